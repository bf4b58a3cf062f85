"""Reading the index (used by the api): timelines with explicit gaps, devices, day summaries.

A day's timeline is one GET of its log, folded; no bucket listing, no video download.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import oss2
from vigil_camera.keys import INDEX, index_key, validate_device_id

from .log import Clip, fold, read_entries

GAP_TOLERANCE_MS = 1000


def _ms(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return int(moment.timestamp() * 1000)


def day_clips(bucket: oss2.Bucket, device_id: str, day: date) -> list[Clip]:
    entries, _ = read_entries(bucket, index_key(validate_device_id(device_id), day))
    return fold(entries)


def timeline(bucket: oss2.Bucket, device_id: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """Clips overlapping [start, end) in order, with `{"type": "gap"}` items where nothing was recorded."""
    lo, hi = _ms(start), _ms(end)
    if hi <= lo:
        return []
    clips: list[Clip] = []
    day = start.astimezone(timezone.utc).date() - timedelta(days=1)  # a clip may start the day before
    last_day = (end - timedelta(milliseconds=1)).astimezone(timezone.utc).date()  # end is exclusive
    while day <= last_day:
        clips.extend(c for c in day_clips(bucket, device_id, day) if c.end > lo and c.start < hi)
        day += timedelta(days=1)
    clips.sort(key=lambda c: (c.start, c.key))
    items: list[dict[str, Any]] = []
    cursor = lo
    for clip in clips:
        if clip.start - cursor > GAP_TOLERANCE_MS:
            items.append({"type": "gap", "start": cursor, "end": clip.start})
        items.append({"type": "clip", **clip.to_dict()})
        cursor = max(cursor, clip.end)
    if hi - cursor > GAP_TOLERANCE_MS:
        items.append({"type": "gap", "start": cursor, "end": hi})
    return items


def devices(bucket: oss2.Bucket) -> list[str]:
    """Devices that have an index."""
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
    clips = day_clips(bucket, device_id, day)
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
