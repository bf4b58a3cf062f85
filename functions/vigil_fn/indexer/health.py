"""Camera health: one small object per device, merged into one object for the whole fleet.

`index/<device>/_health.json` is derived, never accumulated: after each compaction of a device's
day it is recomputed from that day's segment summaries (`<day>.sums.jsonl`, append-only, so
nothing in it is ever lost), then the writer checks that the summaries did not grow meanwhile and
recomputes if they did — so the last writer always describes every summary (the doc records
`sums_length`). What the camera reports (spool depth, dropped clips, token errors) rides on its
uploads as `x-oss-meta-vigil-*` headers, which the indexer's probe GET returns anyway; the newest
report (by the camera's `reported_at`) wins, whatever day its clip belongs to.

`index/_health.json` (all devices, one small GET for the viewer) is rebuilt from the per-device
objects at most once per `merge_seconds` for the whole fleet: the compaction that first creates the
period's marker `index/_health/<period>` (PutObject with forbid-overwrite: exactly one wins) lists
the devices and merges their objects. A slow merge can at worst be overwritten by an older one for
one period; the next period repairs it.
"""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import oss2
from vigil_camera.keys import (
    FLEET_HEALTH_ELECTIONS,
    FLEET_HEALTH_KEY,
    INDEX,
    device_health_key,
    index_sums_key,
    validate_device_id,
)

from .compact import chain, close_day
from .ranges import read_jsonl

MAX_ROUNDS = 8
META_FIELDS = {"spool-depth": "spool_depth", "dropped-clips": "dropped_clips", "token-errors": "token_errors",
               "reported-at": "reported_at"}
META_PREFIX = "vigil-"
MAX_META_VALUE = 10 ** 15


def meta_from_headers(meta: dict[str, str]) -> dict[str, int] | None:
    """The camera's report from its clip's `x-oss-meta-vigil-*` headers (bad values are ignored)."""
    out: dict[str, int] = {}
    for name, field in META_FIELDS.items():
        raw = meta.get(META_PREFIX + name)
        if raw is None:
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            continue
        if 0 <= value < MAX_META_VALUE:
            out[field] = value
    return out or None


def get_json(bucket: oss2.Bucket, key: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(bucket.get_object(key).read())
    except (oss2.exceptions.NoSuchKey, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _length(bucket: oss2.Bucket, key: str) -> int:
    try:
        return int(bucket.head_object(key).content_length)
    except oss2.exceptions.NoSuchKey:
        return 0


def _newer_meta(a: dict[str, Any] | None, b: dict[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(b, dict):
        return a
    if not isinstance(a, dict) or int(b.get("reported_at") or 0) >= int(a.get("reported_at") or 0):
        return b
    return a


def device_doc(device_id: str, day: date, sums: list[dict[str, Any]], sums_length: int,
               previous: dict[str, Any] | None, *, now_ms: int) -> dict[str, Any]:
    """A device's health for `day` from the day's segment summaries."""
    picked, covered = chain([s for s in sums if s.get("day") == day.isoformat()])
    last = max(picked, key=lambda r: int(r.get("last_end") or 0), default=None)
    meta = (previous or {}).get("report")
    for r in picked:
        meta = _newer_meta(meta, r.get("meta"))
    report = meta if isinstance(meta, dict) else {}
    return {
        "device": device_id, "day": day.isoformat(),
        "clips_today": max(0, sum(int(r.get("clips") or 0) for r in picked)),
        "bytes_today": sum(int(r.get("bytes") or 0) for r in picked),
        "recorded_ms_today": sum(int(r.get("recorded_ms") or 0) for r in picked),
        "last_clip_end": last.get("last_end") if last else None,
        "last_clip_key": last.get("last_key") if last else None,
        "upload_lag_ms": last.get("upload_lag_ms") if last else None,
        "spool_depth": report.get("spool_depth"), "dropped_clips": report.get("dropped_clips"),
        "token_errors": report.get("token_errors"), "reported_at": report.get("reported_at"),
        "report": meta, "covered": covered, "sums_length": sums_length,
        "updated_at": now_ms,
    }


def update_device(bucket: oss2.Bucket, device_id: str, day: date,
                  summary: dict[str, Any] | None = None, *, now_ms: int) -> dict[str, Any]:
    """Recompute a device's health after a compaction of `day` (`summary`: that compaction's)."""
    key = device_health_key(device_id)
    previous = get_json(bucket, key)
    prev_day = date.fromisoformat(previous["day"]) if previous and previous.get("day") else None
    if previous is not None and prev_day and prev_day > day:
        # a late segment of an older day: its calendar row gets exact totals again; the report it
        # carries may still be the newest (a camera draining its spool uploads old clips)
        close_day(bucket, device_id, day, now_ms=now_ms)
        meta = _newer_meta(previous.get("report"), (summary or {}).get("meta"))
        if meta is previous.get("report"):
            return previous
        late = dict(previous, report=meta, updated_at=now_ms)
        late.update({f: meta.get(f) for f in META_FIELDS.values()} if isinstance(meta, dict) else {})
        bucket.put_object(key, json.dumps(late, sort_keys=True), headers={"Content-Type": "application/json"})
        return late
    if previous is not None and prev_day and prev_day < day:
        # the device moved on: the old day's calendar row is final
        close_day(bucket, device_id, prev_day, now_ms=now_ms)
        previous = {"report": previous.get("report")}
    sums_key = index_sums_key(device_id, day)
    doc: dict[str, Any] = {}
    for _ in range(MAX_ROUNDS):
        sums, length = read_jsonl(bucket, sums_key)
        doc = device_doc(device_id, day, sums, length, previous, now_ms=now_ms)
        bucket.put_object(key, json.dumps(doc, sort_keys=True), headers={"Content-Type": "application/json"})
        now_length = _length(bucket, sums_key)
        if now_length == length:
            break
        latest = get_json(bucket, key)   # a later writer may already describe the longer summaries
        if latest and latest.get("day") == doc["day"] and int(latest.get("sums_length") or -1) >= now_length:
            break
        previous = latest or previous
    return doc


# -- the fleet object ------------------------------------------------------------------------------
_elected: set[int] = set()
_elected_lock = threading.Lock()


def maybe_merge_fleet(bucket: oss2.Bucket, merge_seconds: int, *, now_ms: int) -> bool:
    """Rebuild `index/_health.json` if this period's merge is not taken yet. True if this call did."""
    period = now_ms // (1000 * max(1, merge_seconds))
    with _elected_lock:
        if period in _elected:
            return False
        _elected.add(period)
        if len(_elected) > 64:
            _elected.discard(min(_elected))
    try:
        bucket.put_object(f"{FLEET_HEALTH_ELECTIONS}{merge_seconds}-{period}", b"",
                          headers={"x-oss-forbid-overwrite": "true"})
    except oss2.exceptions.OssError as exc:
        if getattr(exc, "code", "") == "FileAlreadyExists":
            return False
        raise
    merge_fleet(bucket, now_ms=now_ms)
    return True


def merge_fleet(bucket: oss2.Bucket, workers: int = 8, *, now_ms: int) -> dict[str, Any]:
    """List the devices, merge their health objects into `index/_health.json` (GETs in parallel)."""
    names = []
    for info in oss2.ObjectIteratorV2(bucket, prefix=INDEX, delimiter="/"):
        if not info.is_prefix():
            continue
        name = info.key[len(INDEX):].rstrip("/")
        try:
            names.append(validate_device_id(name))
        except ValueError:
            continue
    devices: dict[str, Any] = {}
    with ThreadPoolExecutor(max(1, workers)) as pool:
        for name, doc in zip(names, pool.map(lambda n: get_json(bucket, device_health_key(n)), names), strict=True):
            if doc:
                doc.pop("report", None)
                devices[name] = doc
    fleet = {"updated_at": now_ms, "devices": devices}
    bucket.put_object(FLEET_HEALTH_KEY, json.dumps(fleet, sort_keys=True), headers={"Content-Type": "application/json"})
    return fleet


def read_fleet(bucket: oss2.Bucket) -> dict[str, Any]:
    return get_json(bucket, FLEET_HEALTH_KEY) or {"updated_at": None, "devices": {}}
