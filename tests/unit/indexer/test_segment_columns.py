"""Segments stored as columns (`rows.to_columns`/`from_columns`) read back as the rows they were made
from, and a `.segs.jsonl` of the older row-list lines (or both kinds, a day compacted across an
upgrade) reads as the same day."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st
from vigil_fn.indexer.compact import segments_of
from vigil_fn.indexer.dayfold import SEGMENT_COLUMNS, SEGMENT_VERSION, fold_whole, parse_segments
from vigil_fn.indexer.log import encode_entry
from vigil_fn.indexer.rows import CRC64, CREATE_COLS, KEY, ROW_LEN, from_columns, to_columns

NOW_MS = 1_796_119_200_000
pytestmark = pytest.mark.unit

value_st = st.one_of(st.none(), st.booleans(), st.integers(-2**53, 2**53), st.sampled_from(["h264", "ok", "", "1"]))
row_st = st.lists(value_st, min_size=ROW_LEN - 1, max_size=ROW_LEN - 1).map(lambda r: [f"k{r[0]!r}", *r])


@given(st.lists(row_st, min_size=1, max_size=12))
def test_columns_give_back_the_rows_value_and_type(rows: list[list[Any]]) -> None:
    """Through JSON as a segment line stores them; `True` and `1` (equal in Python) stay apart."""
    cols = json.loads(json.dumps(to_columns(rows)))
    back = from_columns(len(rows), cols)
    assert back == rows
    assert [[type(v) for v in r] for r in back or []] == [[type(v) for v in r] for r in rows]


def test_a_column_of_one_value_is_stored_once_and_bad_columns_are_refused() -> None:
    rows = [[f"k{i}", "E", 5, i, 10, "h264", 1, 1, True, "ok", None, i, None, None, None] for i in range(3)]
    cols = to_columns(rows)
    assert cols["codec"] == ["h264"] and cols["has_keyframe"] == [True] and cols["start"] == [0, 1, 2]
    assert from_columns(3, cols) == rows
    assert from_columns(3, {k: v for k, v in cols.items() if k != "crc64"}) == rows   # a writer before crc64
    assert from_columns(0, {}) == []
    assert from_columns(3, {**cols, "start": [0, 1]}) is None                   # a column of another length
    assert from_columns(3, {**cols, "key": ["a", 2, "c"]}) is None              # a key that is not a string
    assert from_columns(3, {k: v for k, v in cols.items() if k != "key"}) is None
    assert from_columns("3", cols) is None and from_columns(3, [1]) is None


def _day(n: int = 200) -> tuple[bytes, list[dict[str, Any]]]:
    entries = [{"op": "create", "key": f"videos/cam-1/2026/11/28/12{i:04d}000Z-{i}.ts", "etag": f"E{i}",
                "size": 1000 + i % 7, "start": 1000 * i, "duration": 500, "event_time": i, "status": "ok",
                "codec": "h264", "crc64": str(77 + i)} for i in range(n)]
    return b"".join(map(encode_entry, entries)), entries


def _as_row_lists(segs: bytes) -> bytes:
    """The same segments as an older indexer wrote them: `{"v": 1, ..., "rows": [[...], ...]}`."""
    out = []
    for line in segs.splitlines():
        doc = json.loads(line)
        assert doc["v"] == SEGMENT_COLUMNS and "rows" not in doc
        rows = from_columns(doc.pop("n"), doc.pop("cols"))
        out.append(orjson.dumps({**doc, "v": SEGMENT_VERSION, "rows": rows}) + b"\n")
    return b"".join(out)


def test_a_day_of_row_list_segments_and_a_day_of_both_read_as_the_columns_day() -> None:
    log, entries = _day()
    segs = segments_of(log, 1024, date(2026, 11, 28), now_ms=NOW_MS)[0]
    lines = segs.splitlines(keepends=True)
    assert len(lines) > 4 and len(segs) < len(_as_row_lists(segs))
    new = fold_whole(parse_segments(segs), "E")
    old = fold_whole(parse_segments(_as_row_lists(segs)), "E")
    half = len(lines) // 2   # compacted by an older indexer up to the middle, then by this one
    mixed = fold_whole(parse_segments(_as_row_lists(b"".join(lines[:half])) + b"".join(lines[half:])), "E")
    assert new is not None and old is not None and mixed is not None
    rows = new.state.visible_rows()
    assert rows == old.state.visible_rows() == mixed.state.visible_rows()
    assert [r[KEY] for r in rows] == [e["key"] for e in entries][:len(rows)]
    assert [r[CRC64] for r in rows] == [e["crc64"] for e in entries][:len(rows)]
    assert all(len(r) == ROW_LEN for r in rows) and len(CREATE_COLS) == ROW_LEN
