"""Property-based tests of the HLS VOD playlist builder (RFC 8216)."""

from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from vigil_fn.api import playlist
from vigil_fn.api.clips import ClipView
from vigil_fn.api.playlist import Segment
from vigil_fn.api.times import iso

pytestmark = pytest.mark.unit
T0 = 1_796_112_000_000  # 2026-12-01T00:00:00Z


@st.composite
def segment_lists(draw: st.DrawFn) -> list[Segment]:
    n = draw(st.integers(min_value=1, max_value=60))
    out, t, seq = [], T0 + draw(st.integers(0, 86_400_000)), draw(st.integers(0, 1000))
    for _ in range(n):
        duration = draw(st.integers(min_value=40, max_value=30_000))
        jump = draw(st.sampled_from(["none", "none", "none", "gap", "overlap", "seq"]))
        if jump == "gap":
            t += draw(st.integers(playlist.CONTINUITY_TOLERANCE_MS + 1, 3_600_000))
        elif jump == "overlap":
            t -= draw(st.integers(playlist.CONTINUITY_TOLERANCE_MS + 1, 5000))
        elif jump == "seq":
            seq += draw(st.integers(2, 50))
        out.append(Segment(f"videos/cam-a/x/{len(out)}.ts", t, duration, seq))
        t += duration
        seq += 1
    return out


def parse(text: str) -> list[dict[str, object]]:
    """The segments of a playlist: url, extinf, program date time, discontinuity before."""
    segs: list[dict[str, object]] = []
    pending: dict[str, object] = {"disc": False}
    for line in text.splitlines():
        if line == "#EXT-X-DISCONTINUITY":
            pending["disc"] = True
        elif line.startswith("#EXT-X-PROGRAM-DATE-TIME:"):
            pending["pdt"] = line.split(":", 1)[1]
        elif line.startswith("#EXTINF:"):
            pending["extinf"] = float(line[len("#EXTINF:"):].rstrip(","))
        elif line and not line.startswith("#"):
            segs.append({**pending, "url": line})
            pending = {"disc": False}
    return segs


@given(segment_lists())
@settings(max_examples=200, deadline=None)
def test_playlist_properties(segs: list[Segment]) -> None:
    urls = [f"https://oss.example/{s.key}?Signature=x&n={i}" for i, s in enumerate(segs)]
    text = playlist.render(segs, urls)
    lines = text.splitlines()
    assert lines[0] == "#EXTM3U" and lines[-1] == "#EXT-X-ENDLIST"
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in lines
    target = int(next(line for line in lines if line.startswith("#EXT-X-TARGETDURATION:")).split(":")[1])
    parsed = parse(text)
    assert [p["url"] for p in parsed] == urls                      # every segment, in order, absolute
    assert [p["pdt"] for p in parsed] == [iso(s.start) for s in segs]  # a date-time on every segment
    for p, s in zip(parsed, segs, strict=True):
        extinf = float(p["extinf"])  # type: ignore[arg-type]
        assert abs(extinf - s.duration / 1000) < 0.0006
        assert round(extinf) <= target                             # RFC 8216 §4.3.3.1
    assert target == math.ceil(max(s.duration for s in segs) / 1000)
    assert parsed[0]["disc"] is False
    for prev, cur, p in zip(segs, segs[1:], parsed[1:], strict=False):
        jumped = abs(cur.start - prev.end) > playlist.CONTINUITY_TOLERANCE_MS or cur.seq != prev.seq + 1
        assert p["disc"] is jumped                                 # exactly at gaps and timestamp jumps


@given(segment_lists(), st.integers(0, 3_600_000))
@settings(max_examples=200, deadline=None)
def test_windows_partition_segments_into_bounded_playlists(segs: list[Segment], tail: int) -> None:
    segs = sorted(segs, key=lambda s: (s.start, s.key))
    lo, hi = segs[0].start, max(s.start for s in segs) + 1 + tail
    windows = playlist.windows(segs, lo, hi)
    chosen = [playlist.select(segs, a, b) for a, b in windows]
    assert sum(len(c) for c in chosen) == len(segs)               # each segment in exactly one playlist
    assert sorted(s.key for c in chosen for s in c) == sorted(s.key for s in segs)
    for (a, b), c in zip(windows, chosen, strict=True):
        assert 0 < b - a <= playlist.MAX_PLAYLIST_MS and c
        assert len(c) <= playlist.MAX_SEGMENTS
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(windows, windows[1:], strict=False))


def test_long_urls_stay_under_a_megabyte() -> None:
    segs = [Segment(f"k{i}", T0 + i * 10_000, 10_000, i) for i in range(playlist.MAX_SEGMENTS)]
    text = playlist.render(segs, ["https://oss.example/" + "x" * 2400] * len(segs))
    assert len(text.encode()) < playlist.MAX_PLAYLIST_BYTES
    with pytest.raises(playlist.PlaylistTooLarge):
        playlist.render(segs, ["https://oss.example/" + "x" * 3000] * len(segs))


def test_unreadable_mp4_and_unknown_duration_are_not_segments() -> None:
    items = [
        ClipView("videos/cam-a/2026/12/01/000000000Z-1.ts", T0, 2000, 10, True),
        ClipView("videos/cam-a/2026/12/01/000002000Z-2.ts", T0 + 2000, 2000, 10, False),
        ClipView("videos/cam-a/2026/12/01/000004000Z-3.mp4", T0 + 4000, 2000, 10, True),
        ClipView("videos/cam-a/2026/12/01/000006000Z-4.ts", T0 + 6000, None, 10, True),
    ]
    segs = playlist.segments(items)
    assert [s.key for s in segs] == [items[0].key] and segs[0].seq == 1
    assert not re.search(r"\s", playlist.render(segs, ["u"]).splitlines()[-2])
