"""Depth-limited JSON: deep nesting is a ValueError before the parser recurses; strings do not count."""

from __future__ import annotations

import pytest
from vigil_fn.core import safejson


def test_depth_ignores_brackets_inside_strings() -> None:
    assert safejson.depth('{"a": "[[[[{{{{", "b": ["\\"]]]"]}') == 2
    assert safejson.loads('{"a": "[[[[", "b": [1, [2]]}') == {"a": "[[[[", "b": [1, [2]]}


@pytest.mark.parametrize("text", ["[" * 1000 + "]" * 1000, "[" * 33 + "]" * 33, '{"a":' * 40 + "1" + "}" * 40,
                                  "[" * 100000])
def test_too_deep_is_a_value_error(text: str) -> None:
    with pytest.raises(ValueError, match="nested deeper"):
        safejson.loads(text)


def test_limit_is_inclusive_and_other_errors_are_value_errors() -> None:
    assert safejson.loads("[" * 32 + "]" * 32) is not None
    for bad in (b"\xff", "{", "", "nope"):
        with pytest.raises(ValueError):
            safejson.loads(bad)
