"""Timeline spans (detail=spans): clips merged into recorded stretches, gaps kept, counts preserved."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vigil_fn.api.index_view import spans
from vigil_fn.indexer.reader import GAP_TOLERANCE_MS

pytestmark = pytest.mark.unit


@st.composite
def timelines(draw: st.DrawFn) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    t = draw(st.integers(0, 10**12))
    for i in range(draw(st.integers(0, 40))):
        gap = draw(st.sampled_from([0, 0, 0, GAP_TOLERANCE_MS // 2, GAP_TOLERANCE_MS + 1, 60_000]))
        if gap > GAP_TOLERANCE_MS:
            items.append({"type": "gap", "start": t, "end": t + gap})
        t += gap
        duration = draw(st.integers(0, 20_000))
        items.append({"type": "clip", "key": f"k{i}", "start": t, "end": t + duration, "duration": duration,
                      "size": draw(st.integers(0, 10**7)), "status": draw(st.sampled_from(["ok", "ok", "unreadable"]))})
        t += duration
    return items


@given(timelines())
def test_spans_keep_counts_bytes_and_gaps(items: list[dict[str, object]]) -> None:
    out = spans(items)
    clips = [i for i in items if i["type"] == "clip"]
    merged = [i for i in out if i["type"] == "span"]
    assert sum(int(s["clips"]) for s in merged) == len(clips)  # type: ignore[call-overload]
    assert sum(int(s["bytes"]) for s in merged) == sum(int(c["size"]) for c in clips)  # type: ignore[call-overload]
    assert sum(int(s["unreadable"]) for s in merged) == sum(c["status"] != "ok" for c in clips)  # type: ignore[call-overload]
    assert [g for g in out if g["type"] == "gap"] == [g for g in items if g["type"] == "gap"]
    for a, b in zip(merged, merged[1:], strict=False):
        assert int(b["start"]) > int(a["end"]) + GAP_TOLERANCE_MS or any(  # type: ignore[call-overload]
            g["type"] == "gap" and int(a["end"]) <= int(g["start"]) < int(b["start"]) for g in out)  # type: ignore[call-overload]
