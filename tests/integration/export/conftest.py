"""Recorded clips in the local stack, indexed by the real indexer, for the export tests."""

from __future__ import annotations

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

from tests.waiting import wait_for as _wait_for

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
    """The shared poll, with the minute an export or a cold indexer may take here."""
    return _wait_for(pred, timeout, what, interval=0.1)


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


# -- clips whose every frame carries its wall-clock time, for the range-cut tests ------------------
STAMP_BITS = 16          # frame wall time − the recording's start, in 10 ms units, as 4×4 blocks
STAMP_W, STAMP_H = 320, 240


def encode_stamped_clip(first_ms: int, frames: int, fps: int, gop: int) -> bytes:
    """A real H.264 TS clip (libx264 through PyAV, as tests/conftest.py's encode_clip) whose frame i
    shows `first_ms + i × 1000/fps` in its pixels, with a keyframe every `gop` frames and no B-frames."""
    import io

    import av
    import numpy as np

    buf = io.BytesIO()    # MPEG-TS is written strictly forward: no file needed
    with av.open(buf, "w", format="mpegts") as out:
        stream: Any = out.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = STAMP_W, STAMP_H, "yuv420p"
        stream.options = {"g": str(gop), "keyint_min": str(gop), "preset": "ultrafast", "bf": "0",
                          "sc_threshold": "0"}
        bw, bh = STAMP_W // 4, STAMP_H // 4
        for i in range(frames):
            value = (first_ms + i * 1000 // fps) // 10
            img = np.zeros((STAMP_H, STAMP_W, 3), dtype=np.uint8)
            for bit in range(STAMP_BITS):
                if value >> bit & 1:
                    row, col = divmod(bit, 4)
                    img[row * bh:(row + 1) * bh, col * bw:(col + 1) * bw] = 255
            for packet in stream.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buf.getvalue()


def read_stamp(frame: Any) -> int:
    """The ms offset a stamped frame shows (block centres, thresholded: survives the lossy codec)."""
    gray = frame.to_ndarray(format="gray")
    bw, bh = STAMP_W // 4, STAMP_H // 4
    value = 0
    for bit in range(STAMP_BITS):
        row, col = divmod(bit, 4)
        if gray[row * bh + bh // 2, col * bw + bw // 2] > 128:
            value |= 1 << bit
    return value * 10


@dataclass
class Stamped:
    camera: str
    t0: int                              # UTC ms of the first clip's first frame
    clips: list[tuple[int, int]]         # (start offset ms, frames) per clip
    keys: list[str]


def record_stamped(cloud: Any, layout: list[tuple[int, int]], fps: int, gop: int) -> Stamped:
    """Upload one stamped clip per (start offset ms, frames) of a new camera; wait for the index."""
    camera = f"cut-{uuid.uuid4().hex[:8]}"
    bucket = cloud.bucket()
    t0 = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)
    keys = []
    for i, (offset, frames) in enumerate(layout):
        key = clip_key(camera, t0 + timedelta(milliseconds=offset), i, "ts")
        bucket.put_object(key, encode_stamped_clip(offset, frames, fps, gop))
        keys.append(key)
    wait_for(lambda: len(reader.day_clips(bucket, camera, t0.date())) == len(keys), what="the indexer")
    return Stamped(camera, int(t0.timestamp() * 1000), layout, keys)
