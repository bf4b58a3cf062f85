"""`index/<device>/_summary.json`: last clip, clips and bytes on the device's latest day.

Derived data, so updates cannot be lost: a writer folds the day log, writes the summary, then checks
that the log has not grown meanwhile, or that the stored summary already covers the new length (a
later writer wrote it); if neither, it folds again. The last writer therefore always
wrote a summary of the whole log (`log_length` says which length it describes).
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import oss2
from vigil_camera.keys import index_key, summary_key

from .log import fold, read_entries

MAX_ROUNDS = 16


def read_summary(bucket: oss2.Bucket, device_id: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(bucket.get_object(summary_key(device_id)).read())
    except oss2.exceptions.NoSuchKey:
        return None
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


def refresh_summary(bucket: oss2.Bucket, device_id: str, day: date) -> dict[str, Any] | None:
    """Rewrite the summary from `day`'s log unless the summary already describes a later day."""
    current = read_summary(bucket, device_id)
    if current and str(current.get("day", "")) > day.isoformat():
        return current
    log_key = index_key(device_id, day)
    doc: dict[str, Any] | None = None
    for _ in range(MAX_ROUNDS):
        entries, length = read_entries(bucket, log_key)
        clips = [c for c in fold(entries)]
        last = clips[-1] if clips else None
        doc = {
            "device": device_id,
            "day": day.isoformat(),
            "clips": len(clips),
            "bytes": sum(c.size for c in clips),
            "last_clip_start": last.start if last else None,
            "last_clip_key": last.key if last else None,
            "log_length": length,
            "updated_at": int(time.time() * 1000),
        }
        bucket.put_object(summary_key(device_id), json.dumps(doc, sort_keys=True),
                          headers={"Content-Type": "application/json"})
        try:
            now_length = int(bucket.head_object(log_key).content_length)
        except oss2.exceptions.NoSuchKey:
            now_length = 0
        if now_length == length:
            break
        latest = read_summary(bucket, device_id)  # a later writer may already have covered the new length
        if latest and latest.get("day") == doc["day"] and int(latest.get("log_length") or -1) >= now_length:
            break
    return doc
