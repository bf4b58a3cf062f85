"""Timeline spans (detail=spans): clips merged into recorded stretches, gaps kept, counts preserved —
made from the reader's rows (`Timeline.spans`), beside the clip items the api sends for the same rows."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vigil_fn.api.index_view import clip_items
from vigil_fn.indexer.reader import GAP_TOLERANCE_MS, Timeline

pytestmark = pytest.mark.unit


@st.composite
def timelines(draw: st.DrawFn) -> Timeline:
    rows: list[list[Any]] = []
    lo = t = draw(st.integers(0, 10**12))
    for i in range(draw(st.integers(0, 40))):
        t += draw(st.sampled_from([0, 0, 0, GAP_TOLERANCE_MS // 2, GAP_TOLERANCE_MS + 1, 60_000]))
        duration = draw(st.integers(0, 20_000))
        status = draw(st.sampled_from(["ok", "ok", "unreadable"]))
        rows.append([f"k{i}.ts", "E", draw(st.integers(0, 10**7)), t, duration, "h264", 1, 1, True, status, None, t,
                     None, None, None])
        t += duration
    return Timeline.of(rows, lo, t + draw(st.integers(0, 5_000)))


@given(timelines())
def test_spans_keep_counts_bytes_and_gaps(timeline: Timeline) -> None:
    out = timeline.spans()
    items = timeline.items(clip_items)
    clips = [i for i in items if i["type"] == "clip"]
    merged = [i for i in out if i["type"] == "span"]
    assert len(clips) == len(timeline.rows) and len(items) == len(timeline)
    assert sum(int(s["clips"]) for s in merged) == len(clips)
    assert sum(int(s["bytes"]) for s in merged) == sum(int(c["size"]) for c in clips)
    assert sum(int(s["unreadable"]) for s in merged) == sum(c["status"] != "ok" for c in clips)
    assert [g for g in out if g["type"] == "gap"] == [g for g in items if g["type"] == "gap"]
    for a, b in zip(merged, merged[1:], strict=False):
        assert int(b["start"]) > int(a["end"]) + GAP_TOLERANCE_MS or any(
            g["type"] == "gap" and int(a["end"]) <= int(g["start"]) < int(b["start"]) for g in out)
    for clip in clips:
        assert clip["end"] == clip["start"] + clip["duration"] and clip["format"] == "ts"
