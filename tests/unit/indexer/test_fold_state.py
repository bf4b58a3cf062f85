"""The fold is a merge of per-key states: folding a log in pieces (as compaction does, through a
JSON round trip like the segments file) gives exactly the fold of the whole log."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vigil_fn.indexer.compact import chain, segment_due
from vigil_fn.indexer.log import FoldState, fold

NOW_MS = 1_796_119_200_000   # the time the index's writers are told it is (summaries' `at`)

pytestmark = pytest.mark.unit

entry_st = st.builds(
    lambda k, op, etag, t, confirmed: {
        "op": op, "key": f"videos/cam-1/2026/11/28/12000{k}000Z-{k}.ts", "etag": etag, "size": 10 + k,
        "start": 1000 * k, "duration": 500, "event_time": t, "status": "ok",
        **({"confirmed": confirmed} if confirmed else {})},
    st.integers(0, 6), st.sampled_from(["create", "create", "delete"]), st.sampled_from(["", "A", "B"]),
    st.integers(0, 20), st.sampled_from([None, "gone", "changed"]))


def _roundtrip(state: FoldState) -> FoldState:
    """What a segment line stores and a reader gets back."""
    doc = json.loads(json.dumps({"rows": list(state.creates.values()),
                                 "dels": [[k, s, t] for k, sc in state.deletes.items() for s, t in sc.items()]}))
    out = FoldState()
    for row in doc["rows"]:
        out.add_row(row)
    for k, s, t in doc["dels"]:
        out.add_delete(k, s, t)
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(entry_st, max_size=60), st.lists(st.integers(0, 60), max_size=5))
def test_pieces_fold_like_the_whole(entries: list[dict[str, Any]], cuts: list[int]) -> None:
    bounds = sorted({0, len(entries), *[min(c, len(entries)) for c in cuts]})
    merged = FoldState()
    for a, b in zip(bounds, bounds[1:], strict=False):
        merged.merge(_roundtrip(FoldState().add_entries(entries[a:b])))
    assert merged.clips() == fold(entries)


def test_a_delete_confirmed_changed_hides_only_its_own_etag() -> None:
    key = "videos/cam-1/2026/11/28/120000000Z-1.ts"
    create = {"op": "create", "key": key, "etag": "REAL", "event_time": 5, "start": 1}
    forged = {"op": "delete", "key": key, "etag": "FORGED", "event_time": 99, "confirmed": "changed"}
    assert [c.etag for c in fold([create, forged])] == ["REAL"]
    assert fold([create, dict(forged, etag="REAL")]) == []
    assert fold([create, {"op": "delete", "key": key, "etag": "", "event_time": 9, "confirmed": "gone"}]) == []


def test_segment_boundaries() -> None:
    assert segment_due(0, 100, 1024) is None
    assert segment_due(1000, 1100, 1024) == 0
    assert segment_due(1100, 2047, 1024) is None
    assert segment_due(2000, 2048, 1024) == 1
    assert segment_due(100, 5000, 1024) == 0   # a line longer than a segment completes only its own


def test_chain_prefers_the_longest_row_per_start_and_skips_overlaps() -> None:
    rows = [{"from": 0, "to": 10}, {"from": 0, "to": 30}, {"from": 30, "to": 50}, {"from": 40, "to": 60},
            {"from": 70, "to": 80}, {"bad": 1}]
    picked, covered = chain(rows)
    assert [(r["from"], r["to"]) for r in picked] == [(0, 30), (30, 50), (70, 80)] and covered == 80


def test_segments_of_a_whole_log_cover_it_in_order_like_the_live_rule() -> None:
    from datetime import date

    from vigil_fn.indexer.compact import segments_of
    from vigil_fn.indexer.dayfold import parse_segments
    from vigil_fn.indexer.log import encode_entry, parse_lines

    entries = [{"op": "create", "key": f"videos/cam-1/2026/11/28/1200{i:02d}000Z-{i}.ts", "etag": "A",
                "start": i, "event_time": i, "pad": "x" * (i * 13 % 300)} for i in range(60)]
    log = b"".join(encode_entry(e) for e in entries)
    segs, sums = segments_of(log, 1024, date(2026, 11, 28), now_ms=NOW_MS)
    docs = parse_segments(segs)   # every line a usable segment, read back as rows
    assert docs and docs[0]["from"] == 0 and len(docs) == len(segs.splitlines())
    for a, b in zip(docs, docs[1:], strict=False):
        assert a["to"] == b["from"]
    for d in docs:   # each segment ends with the line that crosses a boundary, as the live indexer sees it
        assert segment_due(log.rfind(b"\n", 0, d["to"] - 1) + 1, d["to"], 1024) is not None
    state = FoldState()
    for d in docs:
        for row in d["rows"]:
            state.add_row(row)
    state.add_entries(parse_lines(log[docs[-1]["to"]:]))
    assert state.clips() == fold(entries)
    assert len(sums.splitlines()) == len(docs)


def test_timeline_refuses_naive_times_and_overlong_ranges() -> None:
    from datetime import datetime, timedelta, timezone

    from vigil_fn.indexer import reader

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        reader.timeline(None, "cam-1", start, start + timedelta(days=reader.MAX_RANGE_DAYS + 1))
    with pytest.raises(ValueError):
        reader.timeline(None, "cam-1", start.replace(tzinfo=None), start.replace(tzinfo=None))
    assert reader.timeline(None, "cam-1", start, start).items() == []
