"""Activity of a finished clip file: decode only what is needed, feed the detector, sum per second.

How much to decode was chosen by measurement (docs/activity.md, `tests/bench/test_activity_bench.py`):
* `keyframes` — `skip_frame = "NONKEY"`: the decoder parses every packet but decodes only I-frames.
  With the camera's GOP at 1 s (what Vigil's live view already asks for) that is one frame a second
  for ~8 % of a full decode's CPU, and a crossing's start is seen within 1 s.
* `all` — every frame, sampled to `rate` a second for the detector: the choice for a low-res
  substream (640x360 decodes ~9x cheaper than 1080p) or a long GOP, where keyframes are too rare.
* `nonref` — `skip_frame = "NONREF"` saves nothing on cameras' streams: without B-frames every
  P-frame is a reference (measured: same CPU as `all`).
`auto` picks `keyframes` when the clip has a keyframe at least every `MAX_KEY_GAP_S`, else `all`.
Frame sizes (no decode at all) were measured as a pre-filter and rejected: they cannot give a box or
zones, and sensor noise and an IR switch move them as much as a person does.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import av
import numpy as np

from ..media import OPEN_OPTIONS, scan_clip
from .detector import MotionDetector, shrink
from .meta import Box, ClipActivity
from .settings import ActivitySettings

Mode = Literal["auto", "keyframes", "all", "nonref"]
MAX_KEY_GAP_S = 1.05
RESET_GAP_S = 3.0         # a pause between clips longer than this starts the background afresh


class ActivityAnalyzer:
    """One per camera: clips are analysed in order and the background carries across them, so a
    person already in view when a clip starts is still seen moving in its first second."""

    def __init__(self, settings: ActivitySettings | None = None, *, mode: Mode = "auto", rate: float = 2.0) -> None:
        self.settings = settings or ActivitySettings()
        self.mode = mode
        self.rate = rate
        self._detector: MotionDetector | None = None
        self._key: tuple[int, int] | None = None
        self._last_end: float | None = None
        self.frames_decoded = 0

    def update(self, settings: ActivitySettings) -> None:
        """New settings (from a token answer): the next clip starts a new background."""
        if settings != self.settings:
            self.settings = settings
            self._detector = None

    def _detector_for(self, small: np.ndarray, fps: float) -> MotionDetector:
        key = small.shape
        if self._detector is None or self._key != key:
            self._detector = MotionDetector(self.settings, (key[0], key[1]), fps)
            self._key = (key[0], key[1])
        return self._detector

    def analyze(self, path: Path, *, start: datetime | None = None) -> ClipActivity:
        info = scan_clip(path)
        mode = self.mode
        if mode == "auto":
            mode = "keyframes" if info.key_gap <= MAX_KEY_GAP_S else "all"
        begin = start.timestamp() if start is not None else None
        if begin is not None and self._last_end is not None and abs(begin - self._last_end) > RESET_GAP_S:
            if self._detector is not None:
                self._detector.reset()
        seconds = max(1, math.ceil(info.duration - 1e-3))
        scores = [0.0] * seconds
        boxes: list[Box | None] = [None] * seconds
        masks = [0] * seconds
        with av.open(str(path), options=OPEN_OPTIONS) as container:
            stream: Any = container.streams.video[0]
            ctx = stream.codec_context
            ctx.thread_count = 1                  # CPU and memory the bench can measure; a camera core
            if mode == "keyframes":
                ctx.skip_frame = "NONKEY"
            elif mode == "nonref":
                ctx.skip_frame = "NONREF"
            tb = stream.time_base
            fps = 1.0 / max(info.key_gap, 0.2) if mode == "keyframes" else self.rate
            first_pts: int | None = None
            next_t = 0.0
            for packet in container.demux(stream):
                if first_pts is None and packet.pts is not None:
                    first_pts = packet.pts
                for frame in packet.decode():
                    self.frames_decoded += 1
                    if frame.pts is None or first_pts is None:
                        continue
                    t = float((frame.pts - first_pts) * tb)
                    if mode != "keyframes":
                        if t + 1e-6 < next_t:
                            continue
                        next_t = t + 1.0 / self.rate
                    plane = frame.planes[0]
                    raw: Any = memoryview(plane)
                    rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, plane.line_size)
                    luma = rows[: frame.height, : frame.width]
                    small = shrink(luma)
                    motion = self._detector_for(small, fps).feed(small)
                    i = min(seconds - 1, max(0, int(t)))
                    if motion.score > scores[i]:
                        scores[i] = motion.score
                    if motion.box is not None:
                        boxes[i] = _union(boxes[i], motion.box)
                        masks[i] |= motion.zone_mask
        if begin is not None:
            self._last_end = begin + info.duration
        touched = 0
        for m in masks:
            touched |= m
        names = self.settings.zone_names
        order = [i for i in range(len(names)) if touched >> i & 1]
        remap = [sum(1 << order.index(i) for i in order if m >> i & 1) for m in masks]
        return ClipActivity(tuple(scores), tuple(boxes), tuple(remap), tuple(names[i] for i in order))


def _union(a: Box | None, b: Box) -> Box:
    if a is None:
        return b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
