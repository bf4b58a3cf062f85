"""What the indexer does with one OSS event record: plain functions, no FC types.

No event is trusted on its word (anyone who may invoke the function can send one):
- a create is indexed only for the ETag OSS holds — the probe's first ranged GET returns it, with
  the real size, the whole-object CRC-64 (kept in the entry: an export's evidence manifest names
  it without a HEAD per clip) and the camera's `x-oss-meta-vigil-*` report, so confirming costs
  nothing extra;
- a delete is tombstoned only if OSS confirms it: the object is gone (the tombstone hides every
  older create) or holds another ETag (it hides only the deleted ETag's creates); an object that is
  still there with the event's ETag, or an event without one, is refused.
Event times in the future are clamped to now, so a forged time cannot hide a later upload.

Requests per created TS clip: 1 ranged GET when the camera sent its duration (`probe.camera_duration`),
else 2, + 1 append per day log per batch (+1 when another instance appended since
this one last did), and every K bytes of log a compaction (`compact.py`, `health.py`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import oss2
from vigil_camera.keys import index_key, parse_clip_key

from ..core.events import OssEventRecord
from . import activity, health, notify
from .compact import DEFAULT_SEGMENT_BYTES, compact_segment, open_day, segment_due
from .log import Appended, append_line, encode_entry
from .probe import probe_object

log = logging.getLogger("vigil.indexer")


@dataclass
class Outcome:
    key: str
    result: str                # "indexed" | "tombstoned" | "rejected" | "gone"
    status: str | None = None  # entry status for creates
    reason: str | None = None
    bytes_read: int = 0
    compacted: bool = False
    camera_duration: bool = False   # the duration came from the camera's header (no tail GET)


@dataclass(frozen=True)
class Options:
    segment_bytes: int = DEFAULT_SEGMENT_BYTES
    merge_seconds: int = 60
    compact: bool = True
    merge_fleet: bool = True   # the fleet object's merge (a per-minute, fleet-wide cost of its own)
    clock: Callable[[], float] = time.time   # seconds: entries' indexed_at, summaries' and health's times
    # called once per batch, after its lines are in the day logs, with the clips that carry activity
    # (notify.Notifier: the async invocation of vigil-alerts); never raises into indexing
    on_activity: Callable[[oss2.Bucket, list[notify.ActiveClip]], Any] | None = None


def _now_ms(opts: Options) -> int:
    return int(opts.clock() * 1000)


def build_entry(record: OssEventRecord, clip_start_ms: int, op: str, *, now_ms: int, **facts: Any) -> dict[str, Any]:
    now = now_ms
    entry = {
        "op": op,
        "key": record.key,
        "etag": record.etag,
        "size": record.size,
        "start": clip_start_ms,
        "event_time": min(record.event_time_ms, now),
        "indexed_at": now,
    }
    entry.update(facts)
    return entry


def _confirm_delete(bucket: oss2.Bucket, record: OssEventRecord) -> str | None:
    """"gone" / "changed" when OSS confirms the delete, None when it does not."""
    try:
        current = str(bucket.head_object(record.key).etag or "").strip('"').upper()
    except oss2.exceptions.NoSuchKey:
        return "gone"
    if record.etag and current != record.etag:
        return "changed"
    return None


@dataclass
class _Prepared:
    outcome: Outcome
    device_id: str = ""
    day: date | None = None
    entry: dict[str, Any] | None = None   # the log line to append; None when there is nothing to append


def _prepare(bucket: oss2.Bucket, record: OssEventRecord, opts: Options) -> _Prepared:
    """Check a record against OSS and build its log entry (no write yet)."""
    clip = parse_clip_key(record.key)
    if clip is None:
        return _Prepared(Outcome(record.key, "rejected",
                                 reason="key outside videos/<device>/<YYYY>/<MM>/<DD>/<HHMMSSmmm>Z-<seq>.<ts|mp4>"))
    start_ms = int(clip.start.timestamp() * 1000)
    if record.is_remove:
        confirmed = _confirm_delete(bucket, record)
        if confirmed is None:
            return _Prepared(Outcome(record.key, "rejected",
                                     reason="object still exists with this ETag: delete not confirmed"))
        entry = build_entry(record, start_ms, "delete", now_ms=_now_ms(opts), confirmed=confirmed)
        return _Prepared(Outcome(record.key, "tombstoned", reason=confirmed), clip.device_id, clip.day, entry)
    if not record.is_create:
        return _Prepared(Outcome(record.key, "rejected", reason=f"event {record.event_name} is not indexed"))
    try:
        probe = probe_object(bucket, record.key, clip.ext)
    except oss2.exceptions.NoSuchKey:
        return _Prepared(Outcome(record.key, "gone", reason="deleted before it was indexed"))
    if record.etag and probe.etag != record.etag:
        return _Prepared(Outcome(record.key, "rejected", reason="ETag differs from the object OSS holds",
                                 bytes_read=probe.bytes_read))
    info = probe.info
    facts: dict[str, Any] = {
        "etag": probe.etag,
        "size": probe.size,
        "status": "ok" if info else "unreadable",
        "reason": probe.error,
        "duration": info.duration_ms if info else None,
        "codec": info.codec if info else None,
        "width": info.width if info else None,
        "height": info.height if info else None,
        "has_keyframe": bool(info and info.has_keyframe),
    }
    if probe.crc64 is not None:
        facts["crc64"] = probe.crc64
    meta = health.meta_from_headers(probe.meta)
    if meta:
        facts["meta"] = meta
    packed = activity.from_meta(probe.meta, facts["duration"], record.key)
    if packed is not None:
        facts["activity"] = packed
    entry = build_entry(record, start_ms, "create", now_ms=_now_ms(opts), **facts)
    return _Prepared(Outcome(record.key, "indexed", status=facts["status"], reason=probe.error,
                             bytes_read=probe.bytes_read, camera_duration=probe.duration_from_camera),
                     clip.device_id, clip.day, entry)


def index_record(bucket: oss2.Bucket, record: OssEventRecord, options: Options | None = None) -> Outcome:
    """Index one record. OSS errors raise (the invocation fails and FC retries it); bad media is recorded."""
    return index_records(bucket, [record], options)[0]


def index_records(bucket: oss2.Bucket, records: list[OssEventRecord], options: Options | None = None) -> list[Outcome]:
    """Index a batch of records (an invocation's `events`): each checked against OSS as alone, then
    one append per day log for all of that log's lines (a batch of N clips of a camera is one
    AppendObject, not N), then compaction line by line exactly as if each had been appended alone
    (a line that completes a segment compacts it). Outcomes in the records' order. OSS errors
    raise: the invocation fails and is retried whole (duplicates fold away)."""
    opts = options or Options()
    prepared = [_prepare(bucket, record, opts) for record in records]
    groups: dict[tuple[str, date], list[_Prepared]] = {}
    for p in prepared:
        if p.entry is not None and p.day is not None:
            groups.setdefault((p.device_id, p.day), []).append(p)
    for (device_id, day), members in groups.items():
        lines = [encode_entry(p.entry) for p in members if p.entry is not None]
        appended = append_line(bucket, index_key(device_id, day), b"".join(lines))
        position = appended.position
        for p, line in zip(members, lines, strict=True):
            end = position + len(line)
            if opts.compact:
                p.outcome.compacted = after_append(bucket, device_id, day, Appended(position, end), opts)
            position = end
    if opts.on_activity is not None:
        active = [clip for p in prepared if (clip := _active_clip(p)) is not None]
        if active:
            opts.on_activity(bucket, active)
    return [p.outcome for p in prepared]


def _active_clip(p: _Prepared) -> notify.ActiveClip | None:
    """The span of a created clip whose entry kept an activity header (the events to tell alerts about)."""
    e = p.entry
    if e is None or e.get("op") != "create" or not e.get("activity") or not e.get("duration"):
        return None
    return notify.ActiveClip(p.device_id, int(e["start"]), int(e["start"]) + int(e["duration"]))


def after_append(bucket: oss2.Bucket, device_id: str, day: date, appended: Appended, opts: Options) -> bool:
    """Compact what this append completed (a segment, or the day's first line) and refresh health.

    The entry is already safe in the log, so a failure here is logged, not raised: a reader reads
    an uncompacted stretch from the log, and the next compaction refreshes health.
    """
    j = segment_due(appended.position, appended.end, opts.segment_bytes)
    if j is None and appended.position != 0:
        return False
    now_ms = _now_ms(opts)
    try:
        summary = None
        if j is not None:
            summary = compact_segment(bucket, device_id, day, j, appended.end, opts.segment_bytes, now_ms=now_ms)
        elif appended.position == 0:
            summary = open_day(bucket, device_id, day, appended.end, now_ms=now_ms)
        health.update_device(bucket, device_id, day, summary, now_ms=now_ms)
        if opts.merge_fleet:
            health.maybe_merge_fleet(bucket, opts.merge_seconds, now_ms=now_ms)
    except (oss2.exceptions.OssError, RuntimeError, ValueError) as exc:
        log.warning("compaction failed", extra={"device": device_id, "day": day.isoformat(),
                                                "error": f"{type(exc).__name__}: {exc}"})
        return False
    return True
