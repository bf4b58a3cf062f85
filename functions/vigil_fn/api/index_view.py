"""The api's view of the recording index, read only through `vigil_fn.indexer.reader`.

`month_calendar` and `camera_activity` are one small function each on top of the reader's
`day_clips`, so they can be swapped for the indexer's own fast calendar and camera health when
those carry what they need (the calendar: where in each UTC day the recordings lie).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import oss2

from ..indexer import reader
from ..indexer.dayparts import QUARTER_MS
from ..indexer.rows import CODEC, DURATION, HEIGHT, KEY, REASON, SIZE, START, STATUS, WIDTH, Row
from .clips import ClipView, clip_format
from .stills import newest_readable
from .times import day_of, month_days, to_datetime
from .zones import local_midnights

MAX_SPAN_MS = 7 * 24 * 3600 * 1000


def clip_items(timeline: reader.Timeline) -> list[dict[str, Any]]:
    """A timeline's rows (`rows.CREATE_COLS` order) as the API's clip items (`end`, `format`; internal
    fields dropped), built in one pass over the rows' columns (`reader.clip_items`' way)."""
    rows = timeline.rows
    if not rows:
        return []
    cols = list(zip(*rows, strict=True))
    return [{"type": "clip", "key": k, "start": s, "end": e, "duration": d, "size": z or 0,
             "status": "ok" if st == "ok" else "unreadable", "reason": rs, "codec": c, "width": w, "height": h,
             "format": f}
            for k, s, e, d, z, st, rs, c, w, h, f in zip(
                cols[KEY], cols[START], timeline.ends, cols[DURATION], cols[SIZE], cols[STATUS], cols[REASON],
                cols[CODEC], cols[WIDTH], cols[HEIGHT], map(clip_format, cols[KEY]), strict=True)]


def timeline(bucket: oss2.Bucket, camera: str, start: int, end: int) -> reader.Timeline:
    """Clips overlapping [start, end) in order, with explicit gaps (the reader's fold): drawn as
    `items` or `reader.Timeline.spans`."""
    return reader.timeline(bucket, camera, to_datetime(start), to_datetime(end))


def items(timeline: reader.Timeline) -> list[dict[str, Any]]:
    """The API's timeline items: clip items (`clip_items`) and gaps, in order."""
    return timeline.items(clip_items)


def clips(bucket: oss2.Bucket, camera: str, start: int, end: int) -> list[ClipView]:
    """The clips a timeline of [start, end) shows, in order, typed (no gaps)."""
    return [ClipView.of(r) for r in reader.rows_between(bucket, camera, to_datetime(start), to_datetime(end))]


def clips_starting(bucket: oss2.Bucket, camera: str, start: int, end: int) -> list[ClipView]:
    """Clips whose start lies in [start, end), from the days those starts fall on only (a playlist
    selects segments by start, so unlike a timeline it never needs the day before)."""
    out: list[ClipView] = []
    day, last = day_of(start), day_of(end - 1)
    while day <= last:
        rows = reader.rows(bucket, camera, day)   # ordered by start: the hour is one slice
        i, j = bisect_left(rows, start, key=_start), bisect_left(rows, end, key=_start)
        out.extend(ClipView.of(r) for r in rows[i:j])
        day += timedelta(days=1)
    return out


def _start(row: Row) -> int:
    return int(row[START])


def month_calendar(bucket: oss2.Bucket, camera: str, month: str, tz: str = "UTC") -> list[dict[str, Any]]:
    """The days of `month` in time zone `tz` that have recordings: `{day, clips, recorded_ms}`.

    A clip counts on every local day whose timeline shows it (the rule of `reader.timeline`: it
    overlaps the day, or is an unreadable one starting in it), and `recorded_ms` is the recorded
    time inside the day, so a marked day always opens on recordings and a day with recordings is
    always marked, in any zone. The index's month rows are UTC-day totals without positions, so the
    UTC days under the local month (and the one before it, for clips running into its first
    midnight) are read, 8 at a time, each folded into per-day counts as it arrives (bounded memory).
    """
    bounds = local_midnights(month_days(month), tz)
    lo, hi = bounds[0], bounds[-1]
    first, last = day_of(lo) - timedelta(days=1), day_of(hi - 1)
    utc_days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    parts = reader.day_quarters(bucket, camera, utc_days) if all(b % QUARTER_MS == 0 for b in bounds) else None
    if parts is not None:   # the usual case: each day's quarter-hour counts, summed per local day
        totals = [(0, 0)] * (len(bounds) - 1)
        for n in range(len(totals)):
            clips = recorded = 0
            for q in parts.values():
                c, r = q.add_to(bounds[n], bounds[n + 1])
                clips, recorded = clips + c, recorded + r
            totals[n] = (clips, recorded)
        return [{"day": f"{month}-{n + 1:02d}", "clips": clips, "recorded_ms": recorded}
                for n, (clips, recorded) in enumerate(totals) if clips]

    def count(day: Any) -> list[tuple[int, int]]:
        per = [(0, 0)] * (len(bounds) - 1)
        for c in reader.day_clips(bucket, camera, day):
            start, end = c.start, c.end
            if not reader.shows_in(start, end, lo, hi):
                continue
            i = max(0, bisect_right(bounds, start) - 1)
            while i < len(per) and bounds[i] < max(end, start + 1):
                inside = max(0, min(end, bounds[i + 1]) - max(start, bounds[i]))
                per[i] = (per[i][0] + 1, per[i][1] + inside)
                i += 1
        return per

    totals = [(0, 0)] * (len(bounds) - 1)
    with ThreadPoolExecutor(max_workers=8) as pool:
        for per in pool.map(count, utc_days):
            totals = [(a[0] + b[0], a[1] + b[1]) for a, b in zip(totals, per, strict=True)]
    return [{"day": f"{month}-{n + 1:02d}", "clips": clips, "recorded_ms": recorded}
            for n, (clips, recorded) in enumerate(totals) if clips]


def camera_activity(bucket: oss2.Bucket, camera: str, now_ms: int) -> dict[str, Any]:
    """Newest clip, upload lag, today's clips and bytes, from today's (else yesterday's) index, and
    the newest readable clip (`stills.newest`'s answer from the same read: its still is the grid's)."""
    today = day_of(now_ms)
    clips = reader.day_clips(bucket, camera, today)
    before = None if clips else reader.day_clips(bucket, camera, today - timedelta(days=1))
    newest_pool = clips or before or []
    newest = max(newest_pool, key=lambda c: c.end, default=None)
    readable = newest_readable(clips)
    if readable is None and clips:    # today holds only unreadable clips: the still is yesterday's
        readable = newest_readable(reader.day_clips(bucket, camera, today - timedelta(days=1)))
    elif readable is None:
        readable = newest_readable(before or [])
    lag = None
    indexed = (getattr(newest, "indexed_at", None) or newest.event_time) if newest is not None else None
    if newest is not None and indexed:  # when it was indexed (else its OSS event time) − its end
        lag = max(0, int(indexed) - newest.end)
    return {
        "last_clip_end": newest.end if newest else None,
        "newest_clip_start": max((c.start for c in newest_pool), default=None),
        "upload_lag_ms": lag,
        "clips_today": len(clips),
        "bytes_today": sum(c.size for c in clips),
        "newest_readable": readable,
    }


HEALTH_FIELDS = ("spool_depth", "dropped_clips", "token_errors", "reported_at", "live_view")


def reported_health(bucket: oss2.Bucket) -> dict[str, dict[str, Any]]:
    """What each camera last reported about itself (spool depth, dropped clips, token errors), from
    the indexer's fleet health when the reader offers it (`reader.health`); {} until then."""
    fleet = getattr(reader, "health", None)
    if fleet is None:
        return {}
    out = {}
    for camera, doc in (fleet(bucket) or {}).items():
        if isinstance(doc, dict) and any(doc.get(k) is not None for k in HEALTH_FIELDS):
            out[str(camera)] = {k: doc.get(k) for k in HEALTH_FIELDS}
            live = out[str(camera)]["live_view"]
            out[str(camera)]["live_view"] = None if live is None else bool(live)
    return out


def indexed_cameras(bucket: oss2.Bucket) -> list[str]:
    return reader.devices(bucket)
