"""remux() on local simulator clips (no storage involved): both gap modes, skipped clips."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av
import pytest
from vigil_camera.media import simulate
from vigil_fn.export.remux import Gap, RemuxError, SourceClip, remux

FPS = 10
T0 = 1_796_000_000_000


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    made: list[Any] = []
    simulate(tmp_path_factory.mktemp("remux"), made.append, fps=FPS, width=160, height=96, clip_seconds=2,
             count=3, realtime=False)
    return made


def _sources(clips: list[Any], gap_before_last_ms: int) -> list[SourceClip]:
    out, t = [], T0
    for i, c in enumerate(clips):
        if i == len(clips) - 1:
            t += gap_before_last_ms
        out.append(SourceClip(str(c.path), t, t + c.frames * 1000 // FPS, Path(c.path).stat().st_size))
        t += c.frames * 1000 // FPS
    return out


def _run(sources: list[SourceClip], gaps: list[Gap], mode: str) -> tuple[Any, bytes]:
    sink = io.BytesIO()
    result = remux(sources, lambda c: open(c.key, "rb"), sink, camera="cam-unit", start=T0,
                   end=sources[-1].end, gaps=gaps, gap_mode=mode)
    return result, sink.getvalue()


def test_mark_mode_packs_clips_and_names_the_gap(clips: list[Any]) -> None:
    sources = _sources(clips, 5000)
    gap = Gap(sources[1].end, sources[2].start)
    result, data = _run(sources, [gap], "mark")
    frames = sum(c.frames for c in clips)
    assert result.frames == frames and abs(result.duration - frames / FPS) < 1 / FPS
    assert [c.key for c in result.chapters] == [s.key for s in sources]
    assert "GAP of 5.0 s" in result.chapters[2].title
    with av.open(io.BytesIO(data)) as c:
        assert abs(float(c.duration or 0) / 1e6 - frames / FPS) <= len(clips) / FPS


def test_hold_mode_keeps_wall_clock_time_and_gives_the_gap_a_chapter(clips: list[Any]) -> None:
    sources = _sources(clips, 5000)
    gap = Gap(sources[1].end, sources[2].start)
    result, data = _run(sources, [gap], "hold")
    span = (sources[-1].end - T0) / 1000
    assert abs(result.duration - span) < 2 / FPS
    titles = [c.title for c in result.chapters]
    assert len(titles) == 4 and titles[2].startswith("GAP ")
    assert abs(result.chapters[3].start - (sources[2].start - T0) / 1000) < 1 / FPS
    with av.open(io.BytesIO(data)) as c:
        assert sum(1 for _ in c.decode(video=0)) == sum(cl.frames for cl in clips)


def test_unreadable_clips_become_gaps_and_nothing_readable_is_an_error(clips: list[Any], tmp_path: Path) -> None:
    junk = tmp_path / "junk.ts"
    junk.write_bytes(b"\x00" * 4096)
    sources = _sources(clips, 0)
    bad = SourceClip(str(junk), sources[-1].end, sources[-1].end + 2000, 4096)
    result, _ = _run(sources + [bad], [], "mark")
    assert [s["key"] for s in result.skipped] == [str(junk)]
    assert [(g.start, g.end) for g in result.gaps] == [(bad.start, bad.end)]
    with pytest.raises(RemuxError):
        _run([bad], [], "mark")


def test_hold_mode_with_a_cut_range_keeps_wall_time_from_the_first_copied_frame(clips: list[Any]) -> None:
    sources = _sources(clips, 5000)
    gap = Gap(sources[1].end, sources[2].start)
    start, end = T0 + 550, sources[2].start + 1050
    sink = io.BytesIO()
    result = remux(sources, lambda c: open(c.key, "rb"), sink, camera="cam-unit", start=start, end=end,
                   gaps=[gap], gap_mode="hold")
    origin = result.covered_start
    assert origin is not None and T0 <= origin <= start and result.covered_end == end
    assert result.chapters[0].start == 0 and result.chapters[0].wall_start == origin
    gap_chapter, last = result.chapters[2], result.chapters[3]
    assert gap_chapter.title.startswith("GAP ") and gap_chapter.end == pytest.approx((gap.end - origin) / 1000)
    assert last.start == pytest.approx((sources[2].start - origin) / 1000, abs=1 / FPS)
    assert result.duration == pytest.approx((end - origin) / 1000, abs=1e-3)   # the last frame ends at `end`
    with av.open(io.BytesIO(sink.getvalue())) as c:
        times = [float(f.time or 0) for f in c.decode(video=0)]
    assert len(times) == result.frames and times[0] == 0 and times[-1] < (end - origin) / 1000
    assert times[-1] == pytest.approx((sources[2].start + 1000 - origin) / 1000, abs=1e-3)   # 10 fps: 1.0 s in
