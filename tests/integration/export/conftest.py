"""Recorded clips in the local stack, indexed by the real indexer, for the export tests."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from vigil_camera.keys import clip_key
from vigil_camera.media import Clip, simulate
from vigil_fn.indexer import reader

FPS = 15
CLIP_SECONDS = 2.0


@dataclass
class Recorded:
    camera: str
    keys: list[str]
    starts: list[datetime]
    frames: list[int]
    durations: list[float]
    gap: tuple[datetime, datetime]

    @property
    def start_ms(self) -> int:
        return int(self.starts[0].timestamp() * 1000)

    @property
    def end_ms(self) -> int:
        return int((self.starts[-1] + timedelta(seconds=self.durations[-1])).timestamp() * 1000)


@pytest.fixture(scope="session")
def sim_clips(tmp_path_factory: pytest.TempPathFactory) -> list[Clip]:
    """Five real H.264 TS clips from the camera simulator (keyframe first, exactly 2 s each)."""
    made: list[Clip] = []
    simulate(tmp_path_factory.mktemp("sim"), made.append, fps=FPS, width=640, height=360,
             clip_seconds=CLIP_SECONDS, count=5, realtime=False)
    assert len(made) == 5
    return made


def wait_for(pred: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = pred()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def record(cloud: Any, clips: list[Clip], gap_after: int = 3, gap_s: float = 7.0) -> Recorded:
    """Upload the clips as one camera's recording with a hole after clip `gap_after`; wait for the index."""
    camera = f"exp-{uuid.uuid4().hex[:8]}"
    bucket = cloud.bucket()
    t = datetime(2026, 11, 30, 10, 0, 0, tzinfo=timezone.utc)
    keys, starts = [], []
    gap = (t, t)
    for i, clip in enumerate(clips):
        if i == gap_after:
            gap = (t, t + timedelta(seconds=gap_s))
            t += timedelta(seconds=gap_s)
        key = clip_key(camera, t, i, "ts")
        bucket.put_object(key, Path(clip.path).read_bytes())
        keys.append(key)
        starts.append(t)
        t += timedelta(seconds=clip.frames / FPS)   # the simulator's own duration omits the last frame's

    def indexed() -> bool:
        return len(reader.day_clips(bucket, camera, starts[0].date())) == len(keys)

    wait_for(indexed, what="the indexer")
    return Recorded(camera, keys, starts, [c.frames for c in clips], [c.frames / FPS for c in clips], gap)


@pytest.fixture()
def recorded(cloud: Any, sim_clips: list[Clip]) -> Recorded:
    return record(cloud, sim_clips)
