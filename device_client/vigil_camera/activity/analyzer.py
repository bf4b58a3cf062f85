"""Activity of a finished clip file: decode only what is needed, feed the detector, sum per second.

How much to decode was chosen by measurement (docs/activity.md, `tests/bench/test_activity_bench.py`):
* `keyframes` — `skip_frame = "NONKEY"`: the decoder parses every packet but decodes only I-frames.
  With the camera's GOP at 1 s (what Vigil's live view already asks for) that is one frame a second,
  and a crossing's start is seen within 1 s. Decoding I-frames is nearly all of the cost (an I-frame
  costs ~4 P-frames), so while nothing moves only every other keyframe is decoded (`quiet_stride`);
  the one skipped is kept (one packet) and, when the next decoded one shows motion, the detector
  is rewound and the skipped one decoded and fed first — a start is still found to the second.
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

from ..access_units import whole_frames
from ..media import scan_clip
from .detector import FrameMotion, MotionDetector, shrink
from .meta import Box, ClipActivity
from .settings import ActivitySettings

Mode = Literal["auto", "keyframes", "all", "nonref"]
# Opening a clip runs FFmpeg's stream probe, which decodes H.264 frames of its own until it has
# guessed the decoder delay (7 pictures): 72 ms of CPU per 1080p clip with `media.OPEN_OPTIONS`,
# a third of what analysing its ten keyframes costs. With the smallest probe it stops after the
# first packet (one keyframe, 24 ms); the analyzer needs only the stream's time base and its packets.
ANALYZE_OPEN = {"probesize": "32", "analyzeduration": "0"}
# Keyframes alone are decoded with no deblocking: an I-frame is predicted from its own unfiltered
# samples, and with no P-frame decoded from it nothing drifts; the picture differs by ~0.4 levels
# on average (the filter smooths 8x8 block edges) and the detector averages 144 pixels into one.
KEYFRAME_DECODER = {"skip_loop_filter": "all"}
MAX_KEY_GAP_S = 1.05
RESET_GAP_S = 3.0         # a pause between clips longer than this starts the background afresh
GOP_RISE = 1.5            # a GOP this much over the quiet mean makes its skipped keyframe worth decoding


class ActivityAnalyzer:
    """One per camera: clips are analysed in order and the background carries across them, so a
    person already in view when a clip starts is still seen moving in its first second."""

    def __init__(self, settings: ActivitySettings | None = None, *, mode: Mode = "auto", rate: float = 2.0,
                 quiet_stride: bool = True) -> None:
        self.settings = settings or ActivitySettings()
        self.mode = mode
        self.rate = rate
        self.quiet_stride = quiet_stride
        self._quiet = False                      # the last frame analysed showed nothing (keyframes mode)
        self._gop_base: float | None = None      # running mean of a quiet GOP's P-frame bytes
        self._detector: MotionDetector | None = None
        self._key: tuple[int, int] | None = None
        self._last_end: float | None = None
        self._key_gap: float | None = None      # seconds between the camera's keyframes, once seen
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
        elif self._detector.fps != fps:           # the GOP learnt from the second keyframe on
            self._detector.set_fps(fps)
        return self._detector

    def analyze(self, path: Path, *, start: datetime | None = None) -> ClipActivity:
        mode = self.mode
        if mode == "auto":
            if self._key_gap is None:      # the camera's GOP, learnt once (a demux pass) then from each clip
                self._key_gap = scan_clip(path).key_gap
            mode = "keyframes" if self._key_gap <= MAX_KEY_GAP_S else "all"
        begin = start.timestamp() if start is not None else None
        if begin is not None and self._last_end is not None and abs(begin - self._last_end) > RESET_GAP_S:
            if self._detector is not None:
                self._detector.reset()
            self._quiet = False
        per_second: dict[int, tuple[float, Box | None, int]] = {}
        with av.open(str(path), options=ANALYZE_OPEN) as container:
            stream: Any = container.streams.video[0]
            ctx = stream.codec_context
            ctx.thread_count = 1                  # CPU and memory the bench can measure; a camera core
            if mode == "keyframes":
                ctx.options = KEYFRAME_DECODER
                ctx.skip_frame = "NONKEY"
            elif mode == "nonref":
                ctx.skip_frame = "NONREF"
            tb = stream.time_base
            first_pts: int | None = None
            end_pts: int | None = None
            keys: list[int] = []
            next_t = 0.0
            skipped: Any = None                   # a keyframe packet not decoded (nothing moved before it)
            gop_bytes = 0                         # compressed bytes of the P-frames since the last keyframe
            stride = mode == "keyframes" and self.quiet_stride

            def record(frame: Any, steps: int) -> FrameMotion | None:
                """Feed one decoded frame; None when it has no time. Kept in `per_second`."""
                if frame.pts is None or first_pts is None:
                    return None
                t = float((frame.pts - first_pts) * tb)
                small = _small(frame)
                if mode != "keyframes":
                    fps = self.rate
                else:                              # the GOP: known, or from this clip's first two keyframes
                    gap = self._key_gap or (float((keys[1] - keys[0]) * tb) if len(keys) > 1 else 1.0)
                    fps = 1.0 / max(gap, 0.2)
                motion = self._detector_for(small, fps).feed(small, steps)
                i = max(0, int(t))
                score, box, mask = per_second.get(i, (0.0, None, 0))
                if motion.box is not None:
                    box, mask = _union(box, motion.box), mask | motion.zone_mask
                per_second[i] = (max(score, motion.score), box, mask)
                return motion

            def after_skip(frame: Any, skipped: Any) -> FrameMotion | None:
                """A decoded keyframe after a skipped one: fed as two steps; when it shows motion,
                the detector (and the second's entry) are rewound and the skipped keyframe decoded
                and fed first, so the start is found to the second as if none had been skipped."""
                detector = self._detector
                assert detector is not None
                saved = detector.save()
                second = None if frame.pts is None or first_pts is None else max(0, int((frame.pts - first_pts) * tb))
                entry = per_second.get(second) if second is not None else None
                motion = record(frame, 2)
                if motion is None or motion.box is None or second is None:
                    return motion
                detector.restore(saved)
                if entry is None:
                    per_second.pop(second, None)
                else:
                    per_second[second] = entry
                for back in ctx.decode(skipped):
                    self.frames_decoded += 1
                    record(back, 1)
                return record(frame, 1)

            def flush_skipped() -> None:
                """The clip's last keyframe was skipped: the next clip cannot rewind to it."""
                for frame in ctx.decode(skipped):
                    self.frames_decoded += 1
                    motion = record(frame, 1)
                    if motion is not None:
                        self._quiet = motion.box is None

            for packet in whole_frames(container.demux(stream)):
                if packet.size == 0 and skipped is not None:     # the end: decode it before the drain
                    flush_skipped()
                    skipped = None
                if packet.pts is not None:
                    first_pts = packet.pts if first_pts is None else min(first_pts, packet.pts)
                    packet_end = packet.pts + (packet.duration or 0)
                    end_pts = packet_end if end_pts is None else max(end_pts, packet_end)
                    if packet.is_keyframe:
                        keys.append(packet.pts)
                        if skipped is not None and self._gop_grew(gop_bytes):
                            flush_skipped()               # the GOP after it changed more than quiet ones do
                            skipped = None
                        elif stride and self._quiet:
                            self._gop_seen(gop_bytes)     # the mean is of quiet GOPs
                        gop_bytes = 0
                        if stride and self._quiet and skipped is None and self._detector is not None:
                            skipped = packet
                            continue
                    else:
                        gop_bytes += packet.size
                for frame in ctx.decode(packet):
                    self.frames_decoded += 1
                    if mode != "keyframes" and frame.pts is not None and first_pts is not None:
                        t = float((frame.pts - first_pts) * tb)
                        if t + 1e-6 < next_t:
                            continue
                        next_t = t + 1.0 / self.rate
                    if skipped is None:
                        motion = record(frame, 1)
                    else:
                        motion = after_skip(frame, skipped)
                        skipped = None
                    if motion is not None:
                        self._quiet = motion.box is None
            if skipped is not None:
                flush_skipped()
        duration = float((end_pts - first_pts) * tb) if first_pts is not None and end_pts is not None else 0.0
        if keys and end_pts is not None:
            marks = sorted(keys) + [end_pts]
            self._key_gap = float(max(b - a for a, b in zip(marks, marks[1:], strict=False)) * tb)
        if begin is not None:
            self._last_end = begin + duration
        return self._summary(per_second, max(1, math.ceil(duration - 1e-3)))

    def _gop_grew(self, size: int) -> bool:
        """Whether the P-frames after a skipped keyframe took clearly more bytes than quiet GOPs do:
        something may have moved that the next keyframe no longer shows (a car in view for under two
        seconds), so the skipped keyframe is decoded after all. Free: every packet is demuxed anyway.
        Noise, the tree and dusk keep a GOP's size steady; an IR switch raises it (one wasted decode)."""
        grew = self._gop_base is not None and size > GOP_RISE * self._gop_base
        if not grew:
            self._gop_seen(size)
        return grew

    def _gop_seen(self, size: int) -> None:
        if size > 0:
            self._gop_base = size if self._gop_base is None else self._gop_base + 0.1 * (size - self._gop_base)

    def _summary(self, per_second: dict[int, tuple[float, Box | None, int]], seconds: int) -> ClipActivity:
        scores = [0.0] * seconds
        boxes: list[Box | None] = [None] * seconds
        masks = [0] * seconds
        for i, (score, box, mask) in per_second.items():
            j = min(i, seconds - 1)
            scores[j] = max(scores[j], score)
            boxes[j] = _union(boxes[j], box) if box is not None else boxes[j]
            masks[j] |= mask
        touched = 0
        for m in masks:
            touched |= m
        names = self.settings.zone_names
        order = [i for i in range(len(names)) if touched >> i & 1]
        remap = [sum(1 << order.index(i) for i in order if m >> i & 1) for m in masks]
        return ClipActivity(tuple(scores), tuple(boxes), tuple(remap), tuple(names[i] for i in order))


def _small(frame: Any) -> np.ndarray:
    """The frame's luma plane shrunk for the detector (no copy of the plane)."""
    plane = frame.planes[0]
    raw: Any = memoryview(plane)
    rows = np.frombuffer(raw, dtype=np.uint8).reshape(-1, plane.line_size)
    return shrink(rows[: frame.height, : frame.width])


def _union(a: Box | None, b: Box) -> Box:
    if a is None:
        return b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
