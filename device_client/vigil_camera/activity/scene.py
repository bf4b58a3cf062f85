"""A synthetic scene with things to find and things not to: `vigil-camera simulate --activity`.

Objects cross at seeded times (person- and car-sized, different speeds, both directions, entering
and leaving the picture) over a still textured background that carries every negative condition
the detector must ignore: sensor noise, a slow light change (a 30-minute dusk cycle), a sudden
global jump (IR switching every ~17 minutes, which changes gain AND texture), the camera's own
clock drawn top left, and a tree swaying all the time inside an ignore zone. The ground truth is one
`Crossing` per object: when its first pixel enters and its last pixel leaves the picture.

Everything is a fraction of the frame, so the same seed gives the same story at 320x180 (the
detection bench, fast) and at 1920x1080 (the CPU bench).
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO

import numpy as np

from ..media import draw_text
from .settings import Polygon

TREE_ZONE: Polygon = ((0.72, 0.05), (0.98, 0.05), (0.98, 0.42), (0.72, 0.42))
IR_PERIOD_S = 1031.0          # ~17 minutes, not a multiple of a clip
DUSK_PERIOD_S = 1800.0


def clock_zone(width: int, height: int) -> Polygon:
    """The area the simulator (media.test_frame's layout) draws its clock in, as a 0–1 polygon."""
    scale = max(1, height // 90)
    right = min(1.0, scale * (2 + 4 * 23) / width + 0.01)
    bottom = min(1.0, scale * 15 / height + 0.01)
    return ((0.0, 0.0), (right, 0.0), (right, bottom), (0.0, bottom))


@dataclass(frozen=True)
class Crossing:
    kind: str               # "person" | "car"
    start: float            # seconds from the scene's start: first pixel enters
    end: float              # last pixel leaves
    y: float                # top of the object, fraction of the height
    w: float
    h: float
    leftward: bool
    luma: int

    def x_at(self, t: float) -> float:
        """Left edge (fraction of width) at scene time t: from fully left of the frame to fully right."""
        p = (t - self.start) / (self.end - self.start)
        x = -self.w + p * (1.0 + self.w)
        return 1.0 - self.w - x if self.leftward else x

    def truth(self, origin: datetime) -> dict[str, str]:
        def iso(s: float) -> str:
            return (origin + timedelta(seconds=s)).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        return {"start": iso(self.start), "end": iso(self.end), "kind": self.kind}


def crossings(seed: int, *, first_at: float = 20.0, min_gap: float = 30.0,
              max_gap: float = 150.0) -> Iterator[Crossing]:
    """An endless, seeded schedule; crossings never overlap (each is one event to find)."""
    rng = random.Random(seed)
    t = first_at
    while True:
        if rng.random() < 0.6:
            kind, w, h, span = "person", rng.uniform(0.03, 0.05), rng.uniform(0.14, 0.22), rng.uniform(5.0, 14.0)
        else:
            kind, w, h, span = "car", rng.uniform(0.14, 0.22), rng.uniform(0.08, 0.12), rng.uniform(2.5, 6.0)
        y = rng.uniform(0.45, 0.95 - h)
        luma = rng.choice((25, 45, 205, 230))
        yield Crossing(kind, t, t + span, y, w, h, rng.random() < 0.5, luma)
        t += span + rng.uniform(min_gap, max_gap)


class ActivityScene:
    """Renders luma planes of the scene at time t (seconds from `origin`)."""

    def __init__(self, width: int, height: int, *, seed: int = 1, origin: datetime | None = None,
                 truth: IO[str] | None = None) -> None:
        self.width, self.height = width, height
        self.origin = origin or datetime.now(timezone.utc)
        rng = np.random.default_rng(seed)
        self.day = self._texture(rng, 24).astype(np.float32)
        self.night = (0.5 * self.day + 0.5 * self._texture(rng, 10)).astype(np.float32)
        self.noise = [rng.normal(0.0, 4.0, (height, width)).astype(np.float32) for _ in range(8)]
        self.tree = self._texture(rng, 6)
        self._rng = random.Random(seed + 1)
        self._schedule = crossings(seed)
        self._upcoming: list[Crossing] = [next(self._schedule)]
        self._truth = truth

    def _texture(self, rng: np.random.Generator, cells: int) -> np.ndarray:
        rows = max(2, cells * self.height // self.width)
        coarse = rng.uniform(50, 190, (rows, cells))
        ys = np.minimum((np.arange(self.height) * rows) // self.height, rows - 1)
        xs = np.minimum((np.arange(self.width) * cells) // self.width, cells - 1)
        return np.asarray(coarse[ys][:, xs], dtype=np.float32)

    def _active(self, t: float) -> list[Crossing]:
        while self._upcoming[-1].start <= t:
            self._upcoming.append(next(self._schedule))
        done = [c for c in self._upcoming if c.end < t]
        for c in done:
            if self._truth is not None:
                self._truth.write(json.dumps(c.truth(self.origin)) + "\n")
                self._truth.flush()
            self._upcoming.remove(c)
        return [c for c in self._upcoming if c.start <= t]

    def render(self, t: float, moment: datetime | None = None) -> np.ndarray:
        night = int(t // IR_PERIOD_S) % 2 == 1
        base = self.night if night else self.day
        gain = (0.55 if night else 1.0) * (0.8 + 0.2 * math.cos(2 * math.pi * t / DUSK_PERIOD_S))
        img = base * gain + (35.0 if night else 0.0)
        img += self.noise[self._rng.randrange(len(self.noise))]
        self._draw_tree(img, t, gain)
        for c in self._active(t):
            x0 = int(round(c.x_at(t) * self.width))
            y0 = int(round(c.y * self.height))
            x1, y1 = x0 + max(2, int(c.w * self.width)), y0 + max(2, int(c.h * self.height))
            img[y0:y1, max(0, x0):max(0, x1)] = c.luma * gain
        out = np.clip(img, 0, 255).astype(np.uint8)
        moment = moment or self.origin + timedelta(seconds=t)
        scale = max(1, self.height // 90)
        text = moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
        out[scale:scale * 7, scale:scale * (2 + 4 * len(text))] = 16
        draw_text(out, text, 2 * scale, 2 * scale, scale)
        return out

    def _draw_tree(self, img: np.ndarray, t: float, gain: float) -> None:
        """Leaves swaying about a trunk: always moving, always inside TREE_ZONE."""
        (x0, y0), (x1, y1) = TREE_ZONE[0], TREE_ZONE[2]
        w, h = self.width, self.height
        sway = int(round(0.03 * w * math.sin(2 * math.pi * 0.7 * t)))
        left, right = int((x0 + 0.03) * w) + sway, int((x1 - 0.03) * w) + sway
        top, bottom = int((y0 + 0.03) * h), int((y1 - 0.03) * h)
        img[top:bottom, left:right] = self.tree[top:bottom, left:right] * gain * 0.6
