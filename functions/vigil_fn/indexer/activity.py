"""Activity in the index: the clip's checked header in its day row, and events built from the rows.

Writing: the camera's `x-oss-meta-vigil-activity` arrives with the probe GET the indexer already
makes; `from_meta` checks it (`vigil_camera.activity.meta.unpack`, the one parser) against the
clip's probed duration and keeps it in the entry only when it holds activity. Malformed, oversized
or out-of-range metadata: the clip is indexed without it and the reason logged — never an error.
The work per clip is that check and ~100 more bytes in the appended line: constant, whatever the
day already holds.

Events: a run of active seconds; runs closer than `MERGE_GAP_MS` merge (a person pausing, a clip
boundary, midnight — times are absolute UTC ms, so two clips or two days make no seam). An event
starts `PRE_ROLL_MS` before its first active second: the analyzer samples one frame a second, so
the object entered at most that long before the frame that shows it (the same pre-capture NVRs
give a review item). Events are a pure function of the day's *visible rows*: the fold already
makes every clip count once whatever was replayed, retried, compacted twice or crashed midway,
so an event exists exactly once by construction — there is no second record of it to drift.
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import oss2
from vigil_camera.activity.meta import META_NAME, ActivityMetaError, ClipActivity, unpack

from . import reader
from .rows import ACTIVITY, KEY, START, Row

log = logging.getLogger("vigil_fn.indexer.activity")

MERGE_GAP_MS = 5_000
PRE_ROLL_MS = 1_000
DAY_MS = 86_400_000
MAX_EVENT_MS = 6 * 3600 * 1000     # a run longer than this is cut: an event has to be reviewable


def from_meta(meta: dict[str, str], duration_ms: int | None, key: str) -> str | None:
    """The header to keep in the clip's entry, or None (no activity, or a header not to be trusted)."""
    value = meta.get(META_NAME)
    if value is None:
        return None
    if not duration_ms or duration_ms <= 0:
        log.warning("activity ignored", extra={"key": key, "reason": "the clip has no readable duration"})
        return None
    try:
        activity = unpack(value, max_seconds=math.ceil(duration_ms / 1000) + 1)
    except ActivityMetaError as exc:
        log.warning("activity ignored", extra={"key": key, "reason": str(exc)})
        return None
    return value if activity.active else None


@dataclass
class Event:
    """One thing that happened in front of one camera."""

    camera: str
    start: int                 # UTC ms (first active second − PRE_ROLL_MS)
    end: int                   # UTC ms (end of the last active second)
    peak: float                # highest per-second score, 0–1
    zones: list[str]
    box: tuple[float, float, float, float] | None    # union of the per-second boxes, 0–1 frame coords
    first_clip: str            # the key of the clip it starts in (the still, the player's first seek)
    active_seconds: int

    @property
    def id(self) -> str:
        """Stable while the event grows at its end: the camera and its first active second."""
        return f"{self.camera}:{self.start + PRE_ROLL_MS}"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "camera": self.camera, "start": self.start, "end": self.end,
                "peak": round(self.peak, 3), "zones": self.zones,
                "box": [round(v, 3) for v in self.box] if self.box else None,
                "first_clip": self.first_clip, "active_seconds": self.active_seconds}


def _activity(row: Row) -> ClipActivity | None:
    value = row[ACTIVITY]
    if not value:
        return None
    try:
        return unpack(value, max_seconds=1 << 20)
    except ActivityMetaError:
        return None       # checked when indexed; a row written by another version is skipped, not fatal


def active_seconds(rows: Iterable[Row]) -> Iterable[tuple[int, float, Any, tuple[str, ...], str]]:
    """(second start ms, score, box, zones, clip key) of every active second, in time order."""
    for row in rows:
        act = _activity(row)
        if act is None:
            continue
        base = int(row[START])
        for i, score in enumerate(act.scores):
            if score > 0:
                yield base + i * 1000, score, act.boxes[i], act.zones_at(i), str(row[KEY])


Second = tuple[int, float, Any, tuple[str, ...], str]


def build_events(camera: str, rows: Sequence[Row]) -> list[Event]:
    """Events from rows ordered by start (a day, or several consecutive days)."""
    return events_of(camera, list(active_seconds(rows)))


def events_of(camera: str, seconds: Iterable[Second]) -> list[Event]:
    """Events from active seconds in time order (the merge rule lives here only)."""
    events: list[Event] = []
    cur: Event | None = None
    zones: dict[str, None] = {}
    for t, score, box, touched, key in seconds:
        if cur is not None and t - cur.end <= MERGE_GAP_MS and t + 1000 - cur.start <= MAX_EVENT_MS:
            cur.end = max(cur.end, t + 1000)
            cur.peak = max(cur.peak, score)
            cur.box = _union(cur.box, box)
            cur.active_seconds += 1
        else:
            cur = Event(camera, t - PRE_ROLL_MS, t + 1000, score, [], box, key, 1)
            zones = {}
            events.append(cur)
        for z in touched:
            if z not in zones:
                zones[z] = None
                cur.zones.append(z)
    return events


class _DaySeconds:
    """Per process, a day's active seconds kept beside the reader's rows they came from: the reader
    hands back the same (cached, read-only) list while the day is unchanged, so parsing a day's
    headers is paid once per version of the day, like the reader's own day cache (daycache.py)."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = capacity
        self._days: OrderedDict[tuple[str, str, date], tuple[list[Row], list[Second]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, bucket: oss2.Bucket, camera: str, day: date) -> list[Second]:
        rows = reader.rows(bucket, camera, day)
        key = (str(getattr(bucket, "bucket_name", "")), camera, day)
        with self._lock:
            hit = self._days.get(key)
            if hit is not None and hit[0] is rows:
                self._days.move_to_end(key)
                return hit[1]
        seconds = list(active_seconds(rows))
        with self._lock:
            self._days[key] = (rows, seconds)
            self._days.move_to_end(key)
            while len(self._days) > self.capacity:
                self._days.popitem(last=False)
        return seconds


DAY_SECONDS = _DaySeconds()


def _union(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _day(ms: int) -> date:
    return date(1970, 1, 1) + timedelta(milliseconds=ms)


def events(bucket: oss2.Bucket, camera: str, start: int, end: int) -> list[Event]:
    """Events overlapping [start, end) ms. The days of the range are read (cached per process), and
    the day before / after only when an event comes within MERGE_GAP_MS of their midnight, so an
    event that runs through midnight is whole and appears once."""
    first, last = _day(start), _day(end - 1)
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    seconds = [s for d in days for s in DAY_SECONDS.get(bucket, camera, d)]
    found = events_of(camera, seconds)
    extended = False
    if found and found[0].start + PRE_ROLL_MS - MERGE_GAP_MS <= _midnight(first):
        seconds = DAY_SECONDS.get(bucket, camera, first - timedelta(days=1)) + seconds
        extended = True
    if found and found[-1].end + MERGE_GAP_MS >= _midnight(last) + DAY_MS:
        seconds = seconds + DAY_SECONDS.get(bucket, camera, last + timedelta(days=1))
        extended = True
    if extended:
        found = events_of(camera, seconds)
    return [e for e in found if e.end > start and e.start < end]


def _midnight(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_MS


def histogram(bucket: oss2.Bucket, camera: str, start: int, end: int, bins: int) -> list[float]:
    """Peak score per bin over [start, end): the timeline's activity strip in one request."""
    width = (end - start) / bins
    out = [0.0] * bins
    first, last = _day(start), _day(end - 1)
    for i in range((last - first).days + 1):
        for t, score, _, _, _ in DAY_SECONDS.get(bucket, camera, first + timedelta(days=i)):
            if start <= t < end:
                b = min(bins - 1, int((t - start) / width))
                if score > out[b]:
                    out[b] = score
    return [round(v, 3) for v in out]
