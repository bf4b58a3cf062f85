"""The fast paths of index reads give what the plain ones gave: the JSON-lines parser (orjson, one
parse of the whole run) and the reader's range selection (bisect instead of a filter)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vigil_fn.indexer import reader
from vigil_fn.indexer.log import FoldState, parse_json_lines, parse_lines

pytestmark = pytest.mark.unit


def _slow_parse(data: bytes) -> list[Any]:
    """The parser as it was: json, a line at a time, bad lines skipped."""
    out = []
    for line in data.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


line_st = st.one_of(
    st.builds(lambda k, t: json.dumps({"key": f"k{k}", "event_time": t, "op": "create"}).encode(),
              st.integers(0, 9), st.integers(-2**63, 2**64 - 1)),      # every int the index writes (ms, bytes)
    st.just(b'{"key": "n", "x": NaN}'), st.just(b'{"key": "i", "x": 1e400}'),   # json takes these, orjson not
    st.just(b'{"key": "torn", "ev'),                                    # a torn line
    st.just(b'[1, 2]'), st.just(b"   "), st.just(b'"\xc3\xa9t\xc3\xa9"'), st.just(b"\xff\xfe"),
    st.binary(max_size=20).filter(lambda b: b"\n" not in b and b"\r" not in b),
)


@given(st.lists(line_st, max_size=30))
def test_the_parser_gives_what_json_gave_line_by_line(lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    assert json.dumps(parse_json_lines(data)) == json.dumps(_slow_parse(data))
    assert parse_lines(data) == [d for d in _slow_parse(data) if isinstance(d, dict) and isinstance(d.get("key"), str)]


row_st = st.lists(st.tuples(st.integers(0, 50), st.one_of(st.none(), st.integers(0, 20))), max_size=40)


@given(row_st, st.integers(-5, 60), st.integers(1, 40))
def test_range_selection_equals_the_filter(spans: list[tuple[int, int | None]], lo: int, width: int) -> None:
    hi = lo + width
    state = FoldState()
    for i, (start, duration) in enumerate(spans):
        state.add_row([f"k{i:03d}", "", 1, start, duration, None, None, None, True,
                       "ok" if duration else "unreadable", None, 0, None])
    rows = state.visible_rows()
    assert rows == sorted(state.creates.values(), key=lambda r: (r[3], r[0]))   # ties in start: by key
    want = [r for r in rows if r[3] < hi and (r[3] + (r[4] or 0) > lo or r[3] >= lo)]
    assert reader._in_range(rows, lo, hi) == want


def test_a_row_item_is_the_clip_dict() -> None:
    from vigil_fn.indexer.log import Clip
    row = ["videos/cam-1/2026/11/28/120000000Z-1.ts", "E", 5, 10, 20, "h264", 1, 2, True, "ok", None, 7, 8]
    assert reader.clip_item(row) == {"type": "clip", **Clip(*row).to_dict()}
