"""A pydantic refusal in the reader's language (issue 31): `body.password: String should have at least 12
characters` for an English reader, `body.password：字符串至少需要 12 个字符` for a Chinese one.

English keeps pydantic's own words unchanged (tests, scripts and logs match on them). Another language
gets the template of the error's *type* (`string_too_short`, `missing`, ...) filled from pydantic's
context, or, for an error our own validator raised with a template (`Text`), that template. An error
type without a template stays in pydantic's English: better a known English sentence than none.
Only locations and rules are shown, never the rejected value.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..core.i18n import ENGLISH, N_, Text

MAX_ERRORS = 5

# pydantic error type -> our template of its rule; the fields are pydantic's context names
TEMPLATES: dict[str, str] = {
    "missing": N_("Field required"),
    "extra_forbidden": N_("Extra inputs are not permitted"),
    "string_type": N_("Input should be a valid string"),
    "string_too_short": N_("String should have at least {min_length} characters"),
    "string_too_long": N_("String should have at most {max_length} characters"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "int_type": N_("Input should be a valid integer"),
    "int_parsing": N_("Input should be a valid integer"),
    "int_from_float": N_("Input should be a valid integer, got a number with a fractional part"),
    "float_type": N_("Input should be a valid number"),
    "float_parsing": N_("Input should be a valid number"),
    "bool_type": N_("Input should be a valid boolean"),
    "bool_parsing": N_("Input should be a valid boolean"),
    "greater_than": N_("Input should be greater than {gt}"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than": N_("Input should be less than {lt}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "too_short": N_("should have at least {min_length} items"),
    "too_long": N_("should have at most {max_length} items"),
    "list_type": N_("Input should be a valid list"),
    "dict_type": N_("Input should be an object"),
    "model_type": N_("Input should be an object"),
    "model_attributes_type": N_("Input should be an object"),
    "literal_error": N_("Input should be {expected}"),
    "enum": N_("Input should be {expected}"),
    "json_invalid": N_("Invalid JSON"),
}


class PydanticWords(Text):
    """One rule: pydantic's English as it wrote it; another language from `template` (empty: English)."""

    __slots__ = ("english",)

    def __init__(self, english: str, template: str = "", fields: dict[str, Any] | None = None) -> None:
        super().__init__(template, fields)
        self.english = english

    def render(self, lang: str = ENGLISH) -> str:
        if lang == ENGLISH or not self.template:
            return self.english
        return super().render(lang)


class Joined(Text):
    """Several messages, each rendered in the reader's language, one after the other."""

    __slots__ = ("parts",)

    def __init__(self, parts: list[Text]) -> None:
        super().__init__("")
        self.parts = parts

    def render(self, lang: str = ENGLISH) -> str:
        return "; ".join(part.render(lang) for part in self.parts)


def rule(err: Any) -> Text:
    """The words of one pydantic error (a dict of `errors()`)."""
    english = str(err.get("msg", "invalid"))
    ctx = err.get("ctx") or {}
    own = ctx.get("text")                           # PydanticCustomError(..., {"message", "text"}): ours
    if not isinstance(own, Text):
        own = getattr(ctx.get("error"), "text", None)   # a ValueError subclass with a template (value_error)
    if isinstance(own, Text):
        return PydanticWords(english, own.template, own.fields)
    template = TEMPLATES.get(str(err.get("type", "")), "")
    return PydanticWords(english, template, {k: v for k, v in ctx.items() if isinstance(v, (str, int, float))})


def validation_text(exc: ValidationError, where: str) -> Text:
    """`body.password: <rule>; ...` for the first few errors: locations and rules, no values."""
    parts: list[Text] = []
    for err in exc.errors(include_input=False, include_url=False)[:MAX_ERRORS]:
        loc = ".".join(str(p) for p in err.get("loc", ()) if p not in ("function-before",))
        parts.append(Text(N_("{where}{loc}: {rule}"), {"where": where, "loc": "." + loc if loc else "",
                                                      "rule": rule(err)}))
    return Joined(parts) if parts else Text(N_("invalid {where}"), {"where": where})
