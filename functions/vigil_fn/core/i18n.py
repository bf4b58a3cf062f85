"""Messages for people in the language they asked for (issue 31): English or Simplified Chinese.

The convention, in one place so every function follows it:
- A message for people is a constant English *template* with `str.format` named fields, never an
  f-string: `ApiError(404, "not_found", "no such camera: {camera}", camera=camera_id)`,
  `UnknownDevice("no such device: {device}", device=device_id)`. The template is the gettext msgid;
  tests/i18n finds every template by walking the code and fails when the zh_CN catalog lacks it.
- The error carries the template and its fields (a `Text`) and is translated only when the HTTP
  response is made, from the request's `Accept-Language` (`negotiate`): the `code` and the status
  never change with the language, and `str(error)` / logs stay English.
- Literal braces in a template are doubled (`{{` `}}`): every template is formatted.
- Catalogs: `vigil_fn/locale/<lang>/LC_MESSAGES/vigil_fn.po` (the source, edited by people) and the
  `.mo` beside it (committed, compiled by `make i18n`; a test fails when it is stale). FC's python3.10
  runs stdlib gettext only, so nothing here needs a dependency.
"""

from __future__ import annotations

import gettext
import string
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

DOMAIN = "vigil_fn"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
ENGLISH = "en"
CHINESE = "zh_CN"
LANGUAGES = (ENGLISH, CHINESE)
MAX_HEADER = 512       # an Accept-Language longer than this is read only this far (a browser sends < 100)


def negotiate(accept_language: str | None) -> str:
    """The language of an `Accept-Language` header: `zh_CN` when a `zh*` range wins, else `en`.

    q-values are honoured (RFC 9110 §12.5.4): the highest q wins, the earlier range on a tie; `q=0`
    means "not this one". Any Chinese range (`zh`, `zh-CN`, `zh-Hans`, `zh-TW`) maps to Simplified
    Chinese, the only Chinese we ship; `*` and anything else we do not ship fall to English."""
    best, best_q = ENGLISH, 0.0
    for part in str(accept_language or "")[:MAX_HEADER].split(","):
        tag, _, params = part.strip().partition(";")
        tag = tag.strip().lower()
        if not tag:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = 0.0
        if not 0.0 < q <= 1.0:
            continue
        lang = CHINESE if tag == "zh" or tag.startswith("zh-") or tag.startswith("zh_") else (
            ENGLISH if tag == "en" or tag.startswith("en-") or tag == "*" else None)
        if lang is not None and q > best_q:
            best, best_q = lang, q
    return best


@cache
def catalog(lang: str) -> gettext.NullTranslations:
    """The compiled catalog of `lang` (English, and a language we lack, are the templates themselves)."""
    if lang == ENGLISH:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, str(LOCALE_DIR), languages=[lang], fallback=True)


def render(template: str, fields: Mapping[str, Any] | None = None, lang: str = ENGLISH) -> str:
    """`template` translated into `lang` and formatted with `fields`.

    A translation that does not format (a placeholder the template lacks: the catalog test forbids it,
    but a message must never turn into a 500) falls back to the English template."""
    values = {k: v.render(lang) if isinstance(v, Text) else v for k, v in (fields or {}).items()}  # nested parts
    text = catalog(lang).gettext(template) if template else template
    try:
        return text.format_map(values)
    except (KeyError, IndexError, ValueError):
        try:
            return template.format_map(values)
        except (KeyError, IndexError, ValueError):
            return template


def placeholders(template: str) -> set[str]:
    """The named fields of a template (`{camera}` → `camera`); used by the catalog check."""
    names = set()
    for _, name, _, _ in string.Formatter().parse(template):
        if name is not None:
            names.add(name.split(".")[0].split("[")[0])
    return names


def N_(template: str) -> str:
    """Mark a template kept in a constant (not written inside an error call) for the catalog; returns it."""
    return template


class Text:
    """A message for people not yet in a language: its template and named fields.

    `str(text)` is English (logs, exceptions, the CLI); `text.render(lang)` is for a response."""

    __slots__ = ("template", "fields")

    def __init__(self, template: str, fields: Mapping[str, Any] | None = None) -> None:
        self.template = template
        self.fields = dict(fields or {})

    def render(self, lang: str = ENGLISH) -> str:
        return render(self.template, self.fields, lang)

    def __str__(self) -> str:
        return self.render(ENGLISH)

    def __repr__(self) -> str:
        return f"Text({self.template!r}, {self.fields!r})"


def as_text(obj: Any) -> Text:
    """An error that carries `template` and `fields` but cannot import Text (the device client's
    ActivitySettingsError, whose parts carry their own template) as a Text, parts included; anything else
    as its English words."""
    template, fields = getattr(obj, "template", None), getattr(obj, "fields", None)
    if not isinstance(template, str) or not isinstance(fields, dict):
        return Text("{details}", {"details": str(obj)})
    return Text(template, {k: as_text(v) if hasattr(v, "template") else v for k, v in fields.items()})
