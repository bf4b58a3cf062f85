"""Exports honour the requested range (issue 11, Frigate #11398 "a custom range"): cut without
re-encoding from the last keyframe at or before the start to the last frame before the end.

Real localcloud, real H.264 clips whose frames show their own wall-clock time in their pixels, so
every assertion reads what a viewer would see, decoded with PyAV, not what the code says it did.
Layout: 10 fps, a keyframe every 10 frames (1 s GOP); clips of 4 s at 0 s and 4 s (a join), then
a 5 s gap, then a clip at 13 s.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from typing import Any

import av
import oss2
import pytest
from vigil_fn.core.bodies import read_body
from vigil_fn.core.config import ExportSettings
from vigil_fn.export.jobs import ExportJob, JobStore, video_key
from vigil_fn.export.service import run_job

from .conftest import Stamped, read_stamp, record_stamped

pytestmark = pytest.mark.integration

SETTINGS = ExportSettings.from_env({})
FPS, GOP = 10, 10
GOP_MS = GOP * 1000 // FPS
FRAME_MS = 1000 // FPS
LAYOUT = [(0, 40), (4000, 40), (13000, 40)]   # (start offset ms, frames)


@dataclass
class Decoded:
    job: ExportJob
    times: list[float]        # each decoded frame's time in the file, s
    walls: list[int]          # each decoded frame's wall time, ms after t0 (read from its pixels)
    duration: float           # the file's duration, s
    chapters: list[dict[str, Any]]
    meta: dict[str, str]


@pytest.fixture(scope="module")
def stamped(cloud: Any) -> Stamped:
    return record_stamped(cloud, LAYOUT, FPS, GOP)


def _export(cloud: Any, rec: Stamped, start: int, end: int, user: str = "erin") -> Decoded:
    bucket = cloud.bucket()
    store = JobStore(bucket, SETTINGS)
    created = store.create(user, rec.camera, rec.t0 + start, rec.t0 + end)
    job = run_job(bucket, SETTINGS, user, created.id)
    assert job.state == "done", job.error
    data = read_body(bucket.get_object(video_key(user, job.id)))
    times, walls = [], []
    with av.open(io.BytesIO(data)) as c:
        for frame in c.decode(video=0):
            times.append(float(frame.time or 0))
            walls.append(read_stamp(frame))
        duration = float(c.duration or 0) / 1e6
        chapters, meta = c.chapters(), dict(c.metadata)
    store.delete(user, job.id)   # keeps the per-user concurrency count low for the next export
    return Decoded(job, times, walls, duration, chapters, meta)


def _expected(start: int, end: int) -> list[int]:
    """The frames the cut rule keeps, from the layout alone: per clip, the last keyframe at or
    before `start` (or the clip's first frame) to the last frame before `end`."""
    kept = []
    for offset, frames in LAYOUT:
        walls = [offset + i * FRAME_MS for i in range(frames)]
        keys = [w for i, w in enumerate(walls) if i % GOP == 0]
        if walls[-1] + FRAME_MS <= start:
            continue                     # over before the range starts
        first = max([k for k in keys if k <= start], default=walls[0])
        kept += [w for w in walls if first <= w < end]
    return kept


@pytest.mark.parametrize(("start", "end"), [(1000, 2600), (1250, 2650), (1999, 3001), (1050, 1060)])
def test_a_range_inside_one_clip_starts_on_the_keyframe_before_it_and_stops_before_the_end(
        cloud: Any, stamped: Stamped, start: int, end: int) -> None:
    out = _export(cloud, stamped, start, end)
    assert out.walls == _expected(start, end)
    first = out.walls[0]
    assert start - GOP_MS < first <= start            # decodable, at most one GOP early
    assert out.walls[-1] < end
    assert out.times[0] == pytest.approx(0, abs=1e-3)   # the file's clock starts at 0
    assert out.times == pytest.approx([(w - first) / 1000 for w in out.walls], abs=1e-3)
    job = out.job
    assert (job.start, job.end) == (stamped.t0 + start, stamped.t0 + end)
    assert job.covered_start == stamped.t0 + first and job.start_lead_ms == start - first
    covered_end = min(end, out.walls[-1] + FRAME_MS)   # the last frame shows until `end`, not past it
    assert job.covered_end == stamped.t0 + covered_end
    assert out.duration == pytest.approx((covered_end - first) / 1000, abs=0.011)
    assert job.frames == len(out.walls) and job.duration == pytest.approx(out.duration, abs=0.011)
    assert len(out.chapters) == 1 and out.chapters[0]["metadata"]["title"].startswith("12:00:0")
    comment = json.loads(out.meta["comment"])
    assert comment["covered_start"] == job.covered_start and comment["start"] == job.start
    assert out.meta["creation_time"].startswith(f"2026-11-30T12:00:0{first // 1000}.{first % 1000:03d}")


def test_a_range_across_a_clip_join_and_a_gap_keeps_time_monotonic_and_names_the_gap(
        cloud: Any, stamped: Stamped) -> None:
    start, end = 3350, 14550
    out = _export(cloud, stamped, start, end)
    assert out.walls == _expected(start, end)
    assert out.walls[0] == 3000 and out.walls[-1] == 14500
    assert len(out.walls) == 10 + 40 + 16
    steps = [b - a for a, b in zip(out.times, out.times[1:], strict=False)]
    assert min(steps) > 0                                 # monotonic across the join and the gap
    join, after_gap = out.walls.index(4000), out.walls.index(13000)
    assert out.times[join] == pytest.approx(1.0, abs=1e-3)       # clip 2 follows clip 1 without a hole
    assert out.times[after_gap] == pytest.approx(5.0, abs=1e-3)  # the gap takes no time in the file (mark)
    job = out.job
    assert [(g["start"] - stamped.t0, g["end"] - stamped.t0) for g in job.gaps] == [(8000, 13000)]
    assert len(job.chapters) == 3 and [c["key"] for c in job.chapters] == stamped.keys
    assert [c["wall_start"] - stamped.t0 for c in job.chapters] == [3000, 4000, 13000]
    assert "GAP of 5.0 s" in out.chapters[2]["metadata"]["title"]
    assert [round(float(c["start"] * c["time_base"]), 3) for c in out.chapters] == [0.0, 1.0, 5.0]
    assert (job.covered_start, job.covered_end) == (stamped.t0 + 3000, stamped.t0 + 14550)
    assert job.start_lead_ms == 350


def test_a_range_starting_in_the_last_frame_of_a_clip_or_in_a_gap(cloud: Any, stamped: Stamped) -> None:
    # 7950 is on screen in clip 2's last frame (7900): its GOP from the keyframe at 7000 is the start
    tail = _export(cloud, stamped, 7950, 9500)
    assert tail.walls == list(range(7000, 8000, FRAME_MS)) and tail.job.start_lead_ms == 950
    assert tail.job.covered_end == stamped.t0 + 8000 and tail.job.gaps[0]["end"] == stamped.t0 + 9500
    # starting inside the gap: the file starts at the next recorded frame, later than asked, and says so
    late = _export(cloud, stamped, 9000, 13550)
    assert late.walls == list(range(13000, 13600, FRAME_MS))
    assert late.job.covered_start == stamped.t0 + 13000 and late.job.start_lead_ms == 0
    assert [(g["start"] - stamped.t0, g["end"] - stamped.t0) for g in late.job.gaps] == [(9000, 13000)]
    assert "GAP of 4.0 s" in late.chapters[0]["metadata"]["title"]


def test_a_range_with_no_video_fails_clearly_and_writes_nothing(cloud: Any, stamped: Stamped) -> None:
    bucket = cloud.bucket()
    store = JobStore(bucket, SETTINGS)
    job = store.create("frank", stamped.camera, stamped.t0 + 8500, stamped.t0 + 12500)   # inside the gap
    out = run_job(bucket, SETTINGS, "frank", job.id)
    assert out.state == "failed" and out.error == "nothing was recorded in this range"
    assert out.covered_start is None and out.covered_end is None
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.head_object(video_key("frank", job.id))
