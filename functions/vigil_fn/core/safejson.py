"""JSON from outside, parsed with a depth limit: every entry point of the functions uses `loads`.

`json.loads` recurses once per nesting level, so 2 KB of `[` raises `RecursionError` — not a
`ValueError` — and a caller catching only `ValueError` answers 500 (or, in an FC handler, leaks a
stack trace). `loads` refuses documents nested deeper than `MAX_DEPTH` before parsing them, with a
`ValueError` like any other malformed input.
"""

from __future__ import annotations

import json
import re
from typing import Any

MAX_DEPTH = 32
"""Deeper than anything Vigil accepts (OSS events nest 4 levels, FC HTTP events 3)."""

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(r"[\[\]{}]")


class JsonError(ValueError):
    """Not JSON, not UTF-8, or nested deeper than the limit."""


def depth(text: str) -> int:
    """The deepest nesting of arrays/objects in `text` (brackets inside strings do not count)."""
    deepest = level = 0
    for m in _BRACKET.finditer(_STRING.sub('""', text)):
        level += 1 if m.group() in "[{" else -1
        deepest = max(deepest, level)
    return deepest


def loads(data: bytes | bytearray | str, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text (bytes are UTF-8); `JsonError` for anything that is not acceptable JSON."""
    try:
        text = data.decode("utf-8") if isinstance(data, (bytes, bytearray)) else data
    except UnicodeDecodeError as exc:
        raise JsonError("not UTF-8") from exc
    if depth(text) > max_depth:
        raise JsonError(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text)
    except RecursionError as exc:  # belt and braces: the scan above should have caught it
        raise JsonError(f"nested deeper than {max_depth} levels") from exc
    except ValueError as exc:
        raise JsonError(f"not JSON: {exc.msg if isinstance(exc, json.JSONDecodeError) else exc}") from exc
