"""`vigil`'s language (issue 31): `_` over the `vigil_ops` gettext catalog, chosen from the locale as
vigil_camera/i18n.py does for both command lines (LANGUAGE / LC_ALL / LC_MESSAGES / LANG; any zh*
locale gets Simplified Chinese). JSON output is never translated."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from pathlib import Path

from vigil_camera.i18n import N_, Said, catalog, language, setup_argparse, translate, translator
from vigil_fn.core.i18n import ENGLISH, Text, render

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "vigil_ops"

_ = translator(DOMAIN, LOCALE_DIR)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The singular or plural template for `n`, in the locale's language (Chinese has one form)."""
    return catalog(DOMAIN, LOCALE_DIR).ngettext(singular, plural, n)


def width(text: str) -> int:
    """Terminal columns of `text`: a Chinese character takes two, so tables pad by this, not len()."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def ljust(text: str, columns: int) -> str:
    """`text` padded with spaces to `columns` terminal columns (str.ljust counts characters)."""
    return text + " " * max(0, columns - width(text))


def rjust(text: str, columns: int) -> str:
    """`text` right-aligned in `columns` terminal columns."""
    return " " * max(0, columns - width(text)) + text


def table_lines(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    """A plain-text table (columns two spaces apart, padded by terminal columns), header first."""
    widths = [max(width(x) for x in col) for col in zip(header, *rows, strict=True)]
    return ["  ".join(ljust(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in (header, *rows)]


def tr(template: str) -> str:
    """A `N_`-marked template of vigil_ops (a table heading, a name kept as data) in the locale's language."""
    return translate(template, domain=DOMAIN, locale_dir=LOCALE_DIR)


def say(text: object) -> str:
    """What a person reads for `text`: a `Said` in the locale's language (from vigil_ops' catalog), anything
    else as it is. JSON output keeps the English `str` of the same value."""
    if isinstance(text, Said):
        return translate(text.template, text.fields, domain=DOMAIN, locale_dir=LOCALE_DIR)
    return str(text)


def describe(exc: BaseException) -> str:
    """An error's message for a person at the terminal: a domain refusal (`Refused`, which the api
    translates too) in the locale's language from the functions' catalog, anything else as it is."""
    text = getattr(exc, "text", None)
    if isinstance(text, Text):
        return describe_text(text)
    return str(exc)


def describe_text(text: Text) -> str:
    """A functions' message (template and fields) in the locale's language, from the functions' catalog."""
    return render(text.template, text.fields, language() or ENGLISH)


__all__ = ["N_", "Said", "_", "describe", "describe_text", "ljust", "ngettext", "rjust", "say", "setup_argparse",
           "table_lines", "tr", "width"]
