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
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
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


@dataclass
class DayActivity:
    """A day's activity as read from one version of its rows: the active seconds, the day's own
    events (as if its neighbours were empty) and their api documents — all derived once."""

    rows: list[Row]
    seconds: list[Second]
    events: list[Event]
    docs: list[dict[str, Any]]


class _DaySeconds:
    """Per process, a day's activity kept beside the reader's rows it came from: the reader hands
    back the same (cached, read-only) list while the day is unchanged, so parsing a day's headers and
    building its events is paid once per version of the day, like the reader's own day cache
    (daycache.py). Ranges built across several days (or a day and the neighbour an event runs into)
    are kept too, keyed by the versions of every day they were built from."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = capacity
        self._days: OrderedDict[tuple[str, str, date], DayActivity] = OrderedDict()
        self._ranges: OrderedDict[tuple[str, str, tuple[date, ...]], tuple[tuple[Any, ...], list[Event]]] = \
            OrderedDict()
        self._lock = threading.Lock()

    def day(self, bucket: oss2.Bucket, camera: str, day: date) -> DayActivity:
        rows = reader.rows(bucket, camera, day)
        key = (str(getattr(bucket, "bucket_name", "")), camera, day)
        with self._lock:
            hit = self._days.get(key)
            if hit is not None and (hit.rows is rows or not (rows or hit.rows)):
                self._days.move_to_end(key)
                return hit
        seconds = list(active_seconds(rows))
        found = events_of(camera, seconds)
        entry = DayActivity(rows, seconds, found, [e.to_dict() for e in found])
        with self._lock:
            self._put(self._days, key, entry)
        return entry

    def peek(self, bucket: oss2.Bucket, camera: str, day: date) -> DayActivity | None:
        """The version of the day read last, without reading it again (a hint, not an answer)."""
        with self._lock:
            return self._days.get((str(getattr(bucket, "bucket_name", "")), camera, day))

    def get(self, bucket: oss2.Bucket, camera: str, day: date) -> list[Second]:
        return self.day(bucket, camera, day).seconds

    def joined(self, camera: str, bucket: oss2.Bucket, days: list[tuple[date, DayActivity]]) -> list[Event]:
        """Events over consecutive days' seconds (the merge rule applied across their midnights)."""
        key = (str(getattr(bucket, "bucket_name", "")), camera, tuple(d for d, _ in days))
        versions = tuple(a.rows if a.rows else None for _, a in days)
        with self._lock:
            hit = self._ranges.get(key)
            if hit is not None and len(hit[0]) == len(versions) and all(
                    x is y for x, y in zip(hit[0], versions, strict=True)):
                self._ranges.move_to_end(key)
                return hit[1]
        found = events_of(camera, [s for _, a in days for s in a.seconds])
        with self._lock:
            self._put(self._ranges, key, (versions, found))
        return found

    def _put(self, table: OrderedDict[Any, Any], key: Any, value: Any) -> None:
        table[key] = value
        table.move_to_end(key)
        while len(table) > self.capacity:
            table.popitem(last=False)


DAY_SECONDS = _DaySeconds()


def _union(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return a or b
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _day(ms: int) -> date:
    return date(1970, 1, 1) + timedelta(milliseconds=ms)


# Reads side by side (a range's days, the neighbour an event runs into, the caller's review marks):
# one pool per process whose threads outlive a request — starting threads per request cost more
# than the reads they overlapped on a loaded machine (measured: ~8 ms a thread start at load 6).
# Nothing run here waits on another task of the pool, so it cannot deadlock.
POOL = ThreadPoolExecutor(reader.DAY_READERS, thread_name_prefix="vigil-activity")


Ahead = Mapping[date, "Future[DayActivity]"]
"""Days of one camera already being read (`read_ahead`), as fresh as a read started now."""


def _read_days(bucket: oss2.Bucket, camera: str, days: list[date], ahead: Ahead | None = None) -> list[DayActivity]:
    """The days, in order: those `ahead` holds from it, the first of the others here, the rest on the pool."""
    ahead = ahead or {}
    todo = [d for d in days if d not in ahead]
    futures = {d: POOL.submit(DAY_SECONDS.day, bucket, camera, d) for d in todo[1:]}
    here = {todo[0]: DAY_SECONDS.day(bucket, camera, todo[0])} if todo else {}
    return [here[d] if d in here else (futures.get(d) or ahead[d]).result() for d in days]


def _range(start: int, end: int) -> list[date]:
    first, last = _day(start), _day(end - 1)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def read_ahead(bucket: oss2.Bucket, camera: str, start: int, end: int, *,
               neighbours: bool = True) -> dict[date, Future[DayActivity]]:
    """Start reading the days `day_events(start, end)` will read (the range's days and, with
    `neighbours`, those the last version read says it needs; `histogram` needs none) on the pool,
    and return at once: the api overlaps them with the caller's user record, and hands the result
    to `day_events(ahead=)` / `histogram(ahead=)`."""
    days = _wanted(bucket, camera, _range(start, end)) if neighbours else _range(start, end)
    return {d: POOL.submit(DAY_SECONDS.day, bucket, camera, d) for d in days}


def _wanted(bucket: oss2.Bucket, camera: str, days: list[date]) -> list[date]:
    """`days` and the neighbours the version of them read last says an event runs into (a guess,
    read together with them: one round trip, not two; `day_events` checks it against what it read)."""
    return sorted(days + _neighbours(days, {d: DAY_SECONDS.peek(bucket, camera, d) for d in (days[0], days[-1])}))


def _neighbours(days: list[date], read: Mapping[date, DayActivity | None]) -> list[date]:
    """The days beside `days` an event of theirs comes within MERGE_GAP_MS of (by `read`)."""
    first, last = days[0], days[-1]
    head = next((a.events[0] for a in (read.get(d) for d in days) if a is not None and a.events), None)
    tail = next((a.events[-1] for a in (read.get(d) for d in reversed(days)) if a is not None and a.events), None)
    out = []
    if head is not None and head.start + PRE_ROLL_MS - MERGE_GAP_MS <= _midnight(first):
        out.append(first - timedelta(days=1))
    if tail is not None and tail.end + MERGE_GAP_MS >= _midnight(last) + DAY_MS:
        out.append(last + timedelta(days=1))
    return out


def day_events(bucket: oss2.Bucket, camera: str, start: int, end: int,
               ahead: Ahead | None = None) -> list[tuple[Event, dict[str, Any]]]:
    """Events overlapping [start, end) ms with their documents (`Event.to_dict()`, shared: copy
    before changing). The days of the range are read (cached per process), and the day before / after
    only when an event comes within MERGE_GAP_MS of their midnight, so an event that runs through
    midnight is whole and appears once. Which neighbours are needed is guessed from the version of
    the range's days read last and read together with them (one round trip, not two), then checked
    against what was read; a range within one day whose events keep clear of its midnights — the
    common case — is served from that day's cached events without rebuilding them. `ahead`: days
    `read_ahead` started for this range (used instead of reading them again)."""
    days = _range(start, end)
    wanted = sorted(ahead) if ahead else _wanted(bucket, camera, days)
    read = dict(zip(wanted, _read_days(bucket, camera, wanted, ahead), strict=True))
    missing = [d for d in _neighbours(days, read) if d not in read]
    if missing:
        read.update(zip(missing, _read_days(bucket, camera, missing), strict=True))
    used = sorted(d for d in read if d in days or d in _neighbours(days, read))
    busy = [read[d] for d in used if read[d].events]
    if len(busy) == 1:
        found = list(zip(busy[0].events, busy[0].docs, strict=True))
    elif not busy:
        found = []
    else:
        found = [(e, e.to_dict()) for e in DAY_SECONDS.joined(camera, bucket, [(d, read[d]) for d in used])]
    return [(e, doc) for e, doc in found if e.end > start and e.start < end]


def events(bucket: oss2.Bucket, camera: str, start: int, end: int) -> list[Event]:
    """Events overlapping [start, end) ms (see `day_events`)."""
    return [e for e, _ in day_events(bucket, camera, start, end)]


def _midnight(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_MS


def histogram(bucket: oss2.Bucket, camera: str, start: int, end: int, bins: int,
              ahead: Ahead | None = None) -> list[float]:
    """Peak score per bin over [start, end): the timeline's activity strip in one request
    (`ahead`: the range's days as `read_ahead` started them)."""
    width = (end - start) / bins
    out = [0.0] * bins
    for day in _read_days(bucket, camera, _range(start, end), ahead):
        for t, score, _, _, _ in day.seconds:
            if start <= t < end:
                b = int((t - start) / width)
                if b >= bins:
                    b = bins - 1
                if score > out[b]:
                    out[b] = score
    return [round(v, 3) if v else 0.0 for v in out]
