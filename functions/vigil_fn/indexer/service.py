"""What the indexer does with one OSS event record: plain functions, no FC types."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import oss2
from vigil_camera.keys import index_key, parse_clip_key

from ..events import OssEventRecord
from .log import append_entry
from .probe import probe_object
from .summary import refresh_summary


@dataclass
class Outcome:
    key: str
    result: str                # "indexed" | "tombstoned" | "rejected" | "gone"
    status: str | None = None  # entry status for creates
    reason: str | None = None
    bytes_read: int = 0


def build_entry(record: OssEventRecord, clip_start_ms: int, op: str, **facts: Any) -> dict[str, Any]:
    entry = {
        "op": op,
        "key": record.key,
        "etag": record.etag,
        "size": record.size,
        "start": clip_start_ms,
        "event_time": record.event_time_ms,
        "indexed_at": int(time.time() * 1000),
    }
    entry.update(facts)
    return entry


def index_record(bucket: oss2.Bucket, record: OssEventRecord, *, update_summary: bool = True) -> Outcome:
    """Index one record. OSS errors raise (the invocation fails and FC retries it); bad media is recorded."""
    clip = parse_clip_key(record.key)
    if clip is None:
        return Outcome(record.key, "rejected",
                       reason="key outside videos/<device>/<YYYY>/<MM>/<DD>/<HHMMSSmmm>Z-<seq>.<ts|mp4>")
    start_ms = int(clip.start.timestamp() * 1000)
    log_key = index_key(clip.device_id, clip.day)
    if record.is_remove:
        append_entry(bucket, log_key, build_entry(record, start_ms, "delete"))
        outcome = Outcome(record.key, "tombstoned")
    elif record.is_create:
        try:
            probe = probe_object(bucket, record.key, record.size, clip.ext)
        except oss2.exceptions.NoSuchKey:
            return Outcome(record.key, "gone", reason="deleted before it was indexed")
        info = probe.info
        facts: dict[str, Any] = {
            "status": "ok" if info else "unreadable",
            "reason": probe.error,
            "duration": info.duration_ms if info else None,
            "codec": info.codec if info else None,
            "width": info.width if info else None,
            "height": info.height if info else None,
            "has_keyframe": bool(info and info.has_keyframe),
        }
        append_entry(bucket, log_key, build_entry(record, start_ms, "create", **facts))
        outcome = Outcome(record.key, "indexed", status=facts["status"], reason=probe.error,
                          bytes_read=probe.bytes_read)
    else:
        return Outcome(record.key, "rejected", reason=f"event {record.event_name} is not indexed")
    if update_summary:
        refresh_summary(bucket, clip.device_id, clip.day)
    return outcome
