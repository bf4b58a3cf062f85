"""Reading the index — the one interface the api uses: timelines with explicit gaps, a day's clips
and summary, a month calendar, devices, and the health of every camera.

A day is read as its compacted segments (one GET) plus the log after them (one ranged GET of at
most about one segment), never the whole log; a month is one GET; the fleet's health is one GET.
No bucket listing (except `devices`), no video download. All times are UTC milliseconds (ints).

Days already read are kept in `DAYS` (per process, bounded, `daycache.py`): reading one again is
a conditional GET of its segments (304 while nothing was compacted) and the ranged GET of its log
tail, so it is as fresh as a cold read.
"""

from __future__ import annotations

import calendar
import gc
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from itertools import accumulate, compress
from operator import add, countOf, itemgetter, sub
from typing import Any

import oss2
from vigil_camera.keys import INDEX, device_health_key, index_month_key, validate_device_id

from . import health as _health
from .daycache import DayCache
from .dayfold import day_rows, midnight_after, spill_rows
from .dayparts import Quarters, quarters
from .log import Clip
from .ranges import read_jsonl
from .rows import (
    CODEC,
    DURATION,
    ETAG,
    EVENT_TIME,
    HAS_KEYFRAME,
    HEIGHT,
    INDEXED_AT,
    KEY,
    REASON,
    SIZE,
    START,
    STATUS,
    WIDTH,
    Row,
    row_end,
)

GAP_TOLERANCE_MS = 1000
DAY_READERS = 8
MAX_RANGE_DAYS = 62        # a timeline reads every day of its range: longer ranges are refused
_QUARTERS_LOCK = threading.Lock()
_QUARTERS_KEPT = 16
# the quarters of an open day per (bucket, device, day), beside the rows they were counted from:
# `DAYS` hands back the same rows object while the day's log is unchanged, so a calendar asked again
# (the page's month view, every viewer of the camera) counts the open day's 8,640 rows once
_QUARTERS: dict[tuple[str, str, date], tuple[list[Row], Quarters | None]] = {}
DAYS = DayCache()          # this process's days already read (bounded; see daycache.py)

def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return int(moment.timestamp() * 1000)


@contextmanager
def _bulk() -> Iterator[None]:
    """Reading a day allocates some 10^5 small acyclic lists and dicts; the cycle collector would
    walk them again and again for nothing (a third of the time, measured). Paused for the read."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def rows(bucket: oss2.Bucket, device_id: str, day: date) -> list[Row]:
    """The visible clips of a UTC day as rows (`rows.CREATE_COLS` order), ordered by (start, key).
    The list and its rows may be shared with other readers: read only."""
    with _bulk():
        return day_rows(bucket, validate_device_id(device_id), day, DAYS)


def day_clips(bucket: oss2.Bucket, device_id: str, day: date) -> list[Clip]:
    """The visible clips of a UTC day, ordered by (start, key)."""
    with _bulk():
        return [Clip(*r) for r in day_rows(bucket, validate_device_id(device_id), day, DAYS)]


def clip_items(timeline: Timeline) -> list[dict[str, Any]]:
    """Timeline clip items, `{"type": "clip", **Clip.to_dict()}` per row, built in one pass over the
    rows' columns (a dict display per clip: no call and no subscript per field)."""
    rows = timeline.rows
    if not rows:
        return []
    cols = list(zip(*rows, strict=True))
    return [{"type": "clip", "key": k, "etag": e, "size": z, "start": s, "duration": d, "codec": c, "width": w,
             "height": h, "has_keyframe": f, "status": st, "reason": rs, "event_time": t, "indexed_at": i}
            for k, e, z, s, d, c, w, h, f, st, rs, t, i in zip(
                cols[KEY], cols[ETAG], cols[SIZE], cols[START], cols[DURATION], cols[CODEC], cols[WIDTH],
                cols[HEIGHT], cols[HAS_KEYFRAME], cols[STATUS], cols[REASON], cols[EVENT_TIME], cols[INDEXED_AT],
                strict=True)]


@dataclass(frozen=True)
class Timeline:
    """Clips overlapping [lo, hi) and where nothing was recorded, as the reader folds them: its rows
    (shared with the day cache: read only) and its gaps, made in bulk from the rows' columns. A
    caller draws it as items (`items`: clip dicts and gap dicts in order) or as recorded spans
    (`spans`), each built once from the rows, never from another caller's dicts."""

    rows: list[Row]                      # the clips shown (`shows_in`), ordered by (start, key)
    ends: list[int]                      # each row's `row_end`
    gaps: list[tuple[int, int, int]]     # (the row it comes before, or len(rows): after the last; start, end)

    @classmethod
    def of(cls, rows: list[Row], lo: int, hi: int) -> Timeline:
        """`rows` with a gap wherever nothing was recorded for more than GAP_TOLERANCE_MS: before a
        clip starting that long after every clip before it (and `lo`) ended, and before `hi`."""
        starts = list(map(_START, rows))
        ends = list(map(add, starts, [d or 0 for d in map(_DURATION, rows)]))   # `row_end` of each row
        reached = list(accumulate(ends, max, initial=lo))   # [i]: how far the clips before row i reach
        late = compress(range(len(rows)), map(GAP_TOLERANCE_MS.__lt__, map(sub, starts, reached)))
        gaps = [(i, reached[i], starts[i]) for i in late]
        if hi - reached[-1] > GAP_TOLERANCE_MS:
            gaps.append((len(rows), reached[-1], hi))
        return cls(rows, ends, gaps)

    def __len__(self) -> int:
        """How many items `items` gives."""
        return len(self.rows) + len(self.gaps)

    def items(self, clips: Callable[[Timeline], list[dict[str, Any]]] = clip_items) -> list[dict[str, Any]]:
        """`clips(self)` (one item per row, in order, from `rows` and `ends`; the default
        `clip_items`) with `{"type": "gap", "start", "end"}` items between them."""
        with _bulk():
            made = clips(self)
        out: list[dict[str, Any]] = []
        done = 0
        for at, start, end in self.gaps:
            out += made[done:at]
            out.append({"type": "gap", "start": start, "end": end})
            done = at
        out += made[done:]
        return out

    def spans(self) -> list[dict[str, Any]]:
        """The clips between gaps merged into recorded spans, `{"type": "span", "start", "end",
        "clips", "bytes", "unreadable"}` (a week of continuous recording is a handful), gaps kept."""
        out: list[dict[str, Any]] = []
        done = 0
        for at, start, end in self.gaps:
            self._span(out, done, at)
            out.append({"type": "gap", "start": start, "end": end})
            done = at
        self._span(out, done, len(self.rows))
        return out

    def _span(self, out: list[dict[str, Any]], first: int, stop: int) -> None:
        if stop > first:
            run = self.rows[first:stop]
            out.append({"type": "span", "start": run[0][START], "end": max(self.ends[first:stop]),
                        "clips": stop - first, "bytes": sum([z or 0 for z in map(itemgetter(SIZE), run)]),
                        "unreadable": stop - first - countOf(map(itemgetter(STATUS), run), "ok")})


def timeline(bucket: oss2.Bucket, device_id: str, start: datetime, end: datetime) -> Timeline:
    """Clips overlapping [start, end) in order, with gaps made explicit (`Timeline`): nothing
    recorded for more than GAP_TOLERANCE_MS. `start`/`end` must be timezone-aware; an empty or
    inverted range has no clips and no gaps; a range over MAX_RANGE_DAYS days raises ValueError
    (use month_calendar for long spans)."""
    return Timeline.of(rows_between(bucket, device_id, start, end), _ms(start), _ms(end))


def rows_between(bucket: oss2.Bucket, device_id: str, start: datetime, end: datetime) -> list[Row]:
    """The rows of the clips a timeline of [start, end) shows (`shows_in`), ordered by (start, key),
    without gaps: for callers that select clips rather than draw them. Read only (shared rows)."""
    lo, hi = _ms(start), _ms(end)
    if hi <= lo:
        return []
    validate_device_id(device_id)
    if hi - lo > MAX_RANGE_DAYS * 86_400_000:
        raise ValueError(f"a timeline covers at most {MAX_RANGE_DAYS} days")
    with _bulk():
        return _range_rows(bucket, device_id, start, end, lo, hi)


def _start(r: Row) -> int:
    return int(r[START])


_START, _DURATION = itemgetter(START), itemgetter(DURATION)


def shows_in(start: int, end: int, lo: int, hi: int) -> bool:
    """Whether a clip [start, end) shows on a timeline of [lo, hi): it overlaps it, or it starts in
    it (an unreadable clip has no length). The one rule for every timeline, day and calendar."""
    return start < hi and (start >= lo or end > lo)


def in_range(day: list[Row], lo: int, hi: int) -> list[Row]:
    """The rows (ordered by start) overlapping [lo, hi): unreadable clips have no length, so a
    clip starting in the range is in it whatever its duration."""
    i, j = bisect_left(day, lo, key=_start), bisect_left(day, hi, key=_start)
    before = [r for r in day[:i] if row_end(r) > lo]
    return before + day[i:j] if before else day[i:j]


def _order(r: Row) -> tuple[int, str]:
    return r[START], r[KEY]


def _range_rows(bucket: oss2.Bucket, device_id: str, start: datetime, end: datetime, lo: int,
                hi: int) -> list[Row]:
    first_day = start.astimezone(timezone.utc).date()
    last_day = (end - timedelta(milliseconds=1)).astimezone(timezone.utc).date()  # end is exclusive
    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    # a clip may start the day before and run into the range: that day's spill, not the whole day.
    # Its requests (the month rows, then a HEAD of the log) overlap the days' GETs (each day is its
    # own objects): a warm day costs one round trip of wall time, not three in a row.
    with ThreadPoolExecutor(min(DAY_READERS, len(days)) + 1) as pool:
        spilled = pool.submit(spill_rows, bucket, device_id, first_day - timedelta(days=1), DAYS)
        per_day = list(pool.map(lambda d: day_rows(bucket, device_id, d, DAYS), days))
        spill = [r for r in spilled.result() if shows_in(r[START], row_end(r), lo, hi)]
    chunks = [c for c in [spill, *(in_range(d, lo, hi) for d in per_day)] if c]
    # each chunk is ordered by (start, key) and days follow each other: the whole is ordered unless
    # a clip's log day is not its start's day (a hand-made index); only then sort
    out: list[Row] = []
    for chunk in chunks:
        out.extend(chunk)
    if any(_order(a[-1]) > _order(b[0]) for a, b in zip(chunks, chunks[1:], strict=False)):
        out.sort(key=_order)
    return out


def devices(bucket: oss2.Bucket) -> list[str]:
    """Devices that have an index (one listing of `index/` by prefix)."""
    found = []
    for info in oss2.ObjectIteratorV2(bucket, prefix=INDEX, delimiter="/"):
        if info.is_prefix():
            name = info.key[len(INDEX):].rstrip("/")
            try:
                found.append(validate_device_id(name))
            except ValueError:
                continue
    return found


def day_summary(bucket: oss2.Bucket, device_id: str, day: date) -> dict[str, Any]:
    """`{device, day, clips, bytes, recorded_ms, unreadable, first_start, last_end, gaps}` of a day.
    Days not in `DAYS` are not added to it: a month of summaries would push out the days watched."""
    with _bulk():
        clips = [Clip(*r) for r in day_rows(bucket, validate_device_id(device_id), day, DAYS, admit=False)]
    recorded = sum(c.duration or 0 for c in clips)
    gaps = 0
    for a, b in zip(clips, clips[1:], strict=False):
        if b.start - a.end > GAP_TOLERANCE_MS:
            gaps += 1
    return {
        "device": device_id,
        "day": day.isoformat(),
        "clips": len(clips),
        "bytes": sum(c.size for c in clips),
        "recorded_ms": recorded,
        "unreadable": sum(1 for c in clips if c.status != "ok"),
        "first_start": clips[0].start if clips else None,
        "last_end": clips[-1].end if clips else None,
        "gaps": gaps,
    }


def month_calendar(bucket: oss2.Bucket, device_id: str, year: int, month: int) -> list[dict[str, Any]]:
    """The days of a month that have recordings: `[{"day": "YYYY-MM-DD", "clips", "recorded_ms",
    "bytes"}]`, in day order.

    Closed days are exact (totals written when the device moved on to a later day, rewritten when a
    late clip of the day is compacted); the device's current day comes from its health object and
    counts the compacted part of the day (behind the log by at most one segment, ~8 KiB of log).
    Two small GETs, whatever the history.
    """
    validate_device_id(device_id)
    if not 1 <= month <= 12 or not 1970 <= year <= 9999:
        raise ValueError("year and month out of range")
    rows, _ = read_jsonl(bucket, index_month_key(device_id, year, month))
    best: dict[str, dict[str, Any]] = {}
    for r in rows:
        day = r.get("day")
        if not isinstance(day, str):
            continue
        current = best.get(day)
        if current is None or (int(r.get("to") or 0), int(r.get("at") or 0)) >= \
                (int(current.get("to") or 0), int(current.get("at") or 0)):
            best[day] = {"day": day, "clips": int(r.get("clips") or 0), "recorded_ms": int(r.get("recorded_ms") or 0),
                         "bytes": int(r.get("bytes") or 0), "to": int(r.get("to") or 0),
                         "at": int(r.get("at") or 0)}
    current_doc = _health.get_json(bucket, device_health_key(device_id))
    prefix = f"{year:04d}-{month:02d}-"
    if current_doc and str(current_doc.get("day", "")).startswith(prefix):
        day = str(current_doc["day"])
        row = best.get(day)
        if row is None or int(current_doc.get("covered") or 0) > row["to"]:
            best[day] = {"day": day, "clips": int(current_doc.get("clips_today") or 0),
                         "recorded_ms": int(current_doc.get("recorded_ms_today") or 0),
                         "bytes": int(current_doc.get("bytes_today") or 0)}
    last = calendar.monthrange(year, month)[1]
    out = []
    for day in sorted(best):
        if not day.startswith(prefix) or not 1 <= int(day[-2:]) <= last:
            continue
        r = best[day]
        if r["clips"] > 0:
            out.append({"day": day, "clips": r["clips"], "recorded_ms": r["recorded_ms"], "bytes": r["bytes"]})
    return out


def day_quarters(bucket: oss2.Bucket, device_id: str, days: list[date]) -> dict[date, Quarters] | None:
    """Each day's quarter-hour counts (`dayparts.py`), for a calendar in any time zone: from the
    day's closed calendar row when it still describes the whole log (its `to` equals the log's
    length: one listing of the days and one GET per month, in parallel), else from the day read (the
    open day, a day closed before quarters were recorded, a late append; through `DAYS`, which keeps
    the open day: the next calendar reads only its tail, or nothing when the listed ETag shows the log
    unchanged). Days without a log are left out. None when a day cannot be put in quarters (a
    hand-made index): read the days instead."""
    validate_device_id(device_id)
    if not days:
        return {}
    months = sorted({(d.year, d.month) for d in days})
    best: dict[str, dict[str, Any]] = {}
    lengths: dict[str, tuple[int, str]] = {}   # day -> its log's (length, ETag) as listed

    def month_rows(ym: tuple[int, int]) -> list[dict[str, Any]]:
        return read_jsonl(bucket, index_month_key(device_id, ym[0], ym[1]))[0]

    def log_lengths() -> dict[str, tuple[int, str]]:
        """The day logs of `days` and their lengths: one listing across the months (each day has
        its log, segments and sums; the month rows sit between months), stopped past the last day."""
        prefix = f"{INDEX}{device_id}/"
        end = max(days).isoformat()
        found = {}
        for info in oss2.ObjectIteratorV2(bucket, prefix=prefix, start_after=prefix + min(days).isoformat(),
                                          max_keys=min(1000, 3 * len(days) + 2 * len(months) + 8)):
            name = info.key[len(prefix):]
            if name[:10] > end:
                break
            if len(name) == len("YYYY-MM-DD.jsonl") and name.endswith(".jsonl"):
                found[name[:10]] = (int(info.size), str(info.etag))
        return found

    with ThreadPoolExecutor(len(months) + 1) as pool:
        per_month = [pool.submit(month_rows, ym) for ym in months]
        lengths.update(pool.submit(log_lengths).result())
        for rows_of_month in per_month:
            for r in rows_of_month.result():
                day = r.get("day")
                if not isinstance(day, str) or "q" not in r:
                    continue
                if day not in best or _closed_order(r) >= _closed_order(best[day]):
                    best[day] = r
    out: dict[date, Quarters] = {}
    stale = []
    for day in days:
        length = lengths.get(day.isoformat(), (0, ""))[0]
        if not length:
            continue
        row = best.get(day.isoformat())
        midnight = midnight_after(day) - 86_400_000
        parts = Quarters.from_doc(midnight, row.get("q")) if row and int(row.get("to") or 0) == length else None
        if parts is None:
            stale.append(day)
        else:
            out[day] = parts
    admit = len(stale) <= 2   # the open day (the one being watched: kept); a scan of old days is not kept

    def read(day: date) -> Quarters | None:
        rows = day_rows(bucket, device_id, day, DAYS, admit=admit, log_etag=lengths[day.isoformat()][1])
        memo_key = (bucket.bucket_name, device_id, day)
        with _QUARTERS_LOCK:
            memo = _QUARTERS.get(memo_key)
        if memo is not None and memo[0] is rows:   # the cache's same fold (its log did not change)
            return memo[1]
        parts = quarters(rows, midnight_after(day) - 86_400_000)
        if admit:
            with _QUARTERS_LOCK:
                _QUARTERS.pop(memo_key, None)
                _QUARTERS[memo_key] = (rows, parts)
                while len(_QUARTERS) > _QUARTERS_KEPT:
                    del _QUARTERS[next(iter(_QUARTERS))]
        return parts

    with _bulk(), ThreadPoolExecutor(DAY_READERS) as pool:
        for day, parts in zip(stale, pool.map(read, stale), strict=True):
            if parts is None:
                return None
            out[day] = parts
    return out


def _closed_order(row: dict[str, Any]) -> tuple[int, int]:
    return int(row.get("to") or 0), int(row.get("at") or 0)


def health(bucket: oss2.Bucket) -> dict[str, dict[str, Any]]:
    """Every camera's health, from one GET of `index/_health.json`:
    `{device_id: {"day", "last_clip_end", "last_clip_key", "upload_lag_ms", "clips_today",
    "bytes_today", "recorded_ms_today", "spool_depth", "dropped_clips", "token_errors",
    "reported_at", "updated_at"}}`.

    `last_clip_end`, `reported_at`, `updated_at` are UTC ms; `upload_lag_ms` = when the latest clip
    was indexed − its end; `spool_depth` (clips waiting on the camera), `dropped_clips` (dropped by
    its disk budget) and `token_errors` (failed token requests) are what the camera last reported
    on an upload (None if it never did). Counts are as of the device's last compaction (at most
    about one segment of log behind); the object is rebuilt at most once a minute.
    """
    devices_doc = _health.read_fleet(bucket).get("devices") or {}
    out: dict[str, dict[str, Any]] = {}
    for device_id, doc in devices_doc.items():
        if isinstance(doc, dict):
            out[str(device_id)] = {k: v for k, v in doc.items() if k not in ("report", "covered", "sums_length",
                                                                          "device")}
    return out
