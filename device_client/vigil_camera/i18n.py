"""The command lines' language (issue 31): `vigil-camera` and `vigil` speak the locale's language.

The language comes from the environment as gettext reads it (LANGUAGE, then LC_ALL, LC_MESSAGES, LANG:
the first one set wins; LANGUAGE may list several, `zh_CN:en`). Any Chinese locale (`zh_CN.UTF-8`,
`zh_TW`, `zh`) gets the Simplified Chinese catalog, the only Chinese shipped; `C`, `POSIX`, English
and anything else get the English the code is written in. Stdlib gettext only: the device client
stays light, and its catalogs are package data (`locale/zh_CN/LC_MESSAGES/*.mo`).

Convention: a message for people is `_("constant text with %(name)s fields")` (argparse help and
descriptions are `help=_("...")`); JSON output is never translated. `setup_argparse()` gives argparse
its own words ("usage:", "show this help message and exit", error lines) from the `argparse` catalog.
`make i18n` adds new strings to the .po files and compiles them (infra/vigil_ops/catalogs.py).
"""

from __future__ import annotations

import argparse
import gettext
import os
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "vigil_camera"
CHINESE = "zh_CN"
_ENV = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def language(environ: Mapping[str, str] | None = None) -> str | None:
    """`zh_CN` when the locale asks for Chinese before anything else we could answer, else None (English)."""
    env = os.environ if environ is None else environ
    for name in _ENV:
        value = env.get(name)
        if not value:
            continue
        for item in value.split(":"):
            tag = item.split(".")[0].split("@")[0].strip().lower()
            if tag == "zh" or tag.startswith(("zh_", "zh-")):
                return CHINESE
            if tag:
                return None   # C, POSIX, en_US, fr_FR...: English (the only other language shipped)
        return None
    return None


@cache
def _catalog(domain: str, locale_dir: str, lang: str | None) -> gettext.NullTranslations:
    if lang is None:
        return gettext.NullTranslations()
    return gettext.translation(domain, locale_dir, languages=[lang], fallback=True)


def catalog(domain: str = DOMAIN, locale_dir: Path = LOCALE_DIR) -> gettext.NullTranslations:
    """The catalog of `domain` in the environment's language (read at each call: tests change it)."""
    return _catalog(domain, str(locale_dir), language())


def translator(domain: str, locale_dir: Path) -> Callable[[str], str]:
    """A `_` for one package's domain."""
    def gettext_(message: str) -> str:
        return catalog(domain, locale_dir).gettext(message)
    return gettext_


_ = translator(DOMAIN, LOCALE_DIR)


def N_(template: str) -> str:  # noqa: N802 - the gettext convention's name, which the extractor looks for
    """Marks a template kept as data (an error's English words that also go into JSON or a log line): the
    catalog has it, the code keeps English, and `translate()` renders it where a person reads it."""
    return template


class Said(str):
    """English words that remember their `%(name)s` template and fields (issue 31): JSON, logs and tests see
    the English string (a `str`, byte-identical in every locale); the place a person reads it renders
    `template` in the locale's language (`vigil_ops.i18n.say`). The extractor catalogs `Said("...")`."""

    template: str
    fields: dict[str, object]

    def __new__(cls, template: str, **fields: object) -> Said:
        self = super().__new__(cls, template % fields if fields else template)
        self.template, self.fields = template, fields
        return self


def translate(template: str, fields: Mapping[str, object] | None = None, *, domain: str = DOMAIN,
              locale_dir: Path = LOCALE_DIR) -> str:
    """A `N_`-marked `%(name)s` template in the locale's language, filled; English if the translation
    is broken (a missing field must not turn a message into a crash)."""
    values = dict(fields or {})
    text = catalog(domain, locale_dir).gettext(template)
    try:
        return text % values if values else text
    except (KeyError, ValueError, TypeError):
        return template % values if values else template


def setup_argparse() -> None:
    """argparse's own words in the environment's language.

    argparse looks its words up through module-level `_` and `ngettext` (`from gettext import ...`), in
    the process-wide default domain; pointing those two names at our `argparse` catalog translates it
    for this process without touching the global gettext domain other libraries may rely on."""
    words = catalog("argparse", LOCALE_DIR)
    argparse._ = words.gettext            # type: ignore[attr-defined]
    argparse.ngettext = words.ngettext    # type: ignore[attr-defined]
    argparse.ArgumentError.__str__ = _argument_error   # type: ignore[method-assign,assignment]
    argparse.ArgumentDefaultsHelpFormatter._get_help_string = _defaults_help   # type: ignore[method-assign,assignment]


_ENGLISH_DEFAULT = " (default: %(default)s)"


def _defaults_help(self: argparse.ArgumentDefaultsHelpFormatter, action: argparse.Action) -> str:
    """An option's help with its default: `ArgumentDefaultsHelpFormatter` appends " (default: ...)"
    without `_()` (Python 3.10), so `vigil sim` / `vigil cost --help` ended each line in English under
    zh_CN; the same rule, its words through our catalog. `BooleanOptionalAction` (3.10) appends the
    English words to its help itself: they are taken off and put back translated."""
    text = action.help or ""
    if isinstance(action, argparse.BooleanOptionalAction) and text.endswith(_ENGLISH_DEFAULT):
        text = text[:-len(_ENGLISH_DEFAULT)]
    if "%(default)" not in text and action.default is not argparse.SUPPRESS and (
            action.option_strings or action.nargs in (argparse.OPTIONAL, argparse.ZERO_OR_MORE)):
        text += _(" (default: %(default)s)")
    return text


def _argument_error(self: argparse.ArgumentError) -> str:
    """`argument COMMAND: invalid choice...`: Python 3.10's argparse writes this prefix without `_()` (3.12
    wraps it), so it stayed English under zh_CN; the same words, through our catalog."""
    if self.argument_name is None:
        return str(self.message)
    return _("argument %(argument_name)s: %(message)s") % {"argument_name": self.argument_name,
                                                         "message": self.message}
