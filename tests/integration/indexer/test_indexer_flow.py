"""The indexer through localcloud: OSS trigger → FC runtime → index log → reader, with real clips."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import oss2
import pytest
from vigil_camera.keys import clip_key, device_health_key, index_key, index_sums_key
from vigil_fn.core.events import OssEventRecord
from vigil_fn.indexer import reader
from vigil_fn.indexer.log import read_entries
from vigil_fn.indexer.service import Options, index_record

from tests.waiting import wait_for

pytestmark = pytest.mark.integration

DAY = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)


def new_device() -> str:
    return f"ix-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def indexer_bucket(cloud: Any) -> oss2.Bucket:
    """An oss2 Bucket with the indexer function's own role (least privilege, as in FC)."""
    ram = cloud.stack.ram
    creds = ram.issue_session(f"acs:ram::{cloud.account_id}:role/vigil-indexer-fn", "indexer-test", 3600,
                              None, caller=None, service="fc.aliyuncs.com")
    auth = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token)
    return cloud.bucket(auth=auth)


def test_trigger_indexes_real_ts_and_mp4_clips_with_media_facts(cloud: Any, media: Any) -> None:
    device = new_device()
    bucket = cloud.bucket()
    clips = {
        clip_key(device, DAY, 0, "ts"): media.encode_clip("mpegts", seconds=2.0),
        clip_key(device, DAY + timedelta(seconds=2), 1, "mp4"): media.encode_clip("mp4", seconds=2.0),
        clip_key(device, DAY + timedelta(seconds=4), 2, "mp4"): media.encode_clip(
            "mp4", seconds=1.6, width=426, height=240, options={"movflags": "faststart"}),
    }
    for key, data in clips.items():
        bucket.put_object(key, data)
    found = wait_for(lambda: len(reader.day_clips(bucket, device, DAY.date())) == 3 and
                     reader.day_clips(bucket, device, DAY.date()))
    assert found, "the indexer did not index all three clips"
    by_key = {c.key: c for c in found}
    for key, data in clips.items():
        width, height, duration = media.decoded_facts(data)
        clip = by_key[key]
        assert clip.status == "ok", clip.reason
        assert (clip.codec, clip.width, clip.height) == ("h264", width, height)
        assert abs((clip.duration or 0) - duration) <= 40, (key, clip.duration, duration)
        assert clip.has_keyframe
        assert clip.size == len(data)
    # the day's first clip opened the day: the device's health object exists (counts follow compactions)
    health = wait_for(lambda: _health_doc(bucket, device))
    assert health["day"] == DAY.date().isoformat() and health["last_clip_end"]


@pytest.mark.parametrize("name,data", [
    ("empty", b""), ("zeros", b"\x00" * 50_000), ("random", os.urandom(70_000)), ("truncated", None),
])
def test_unreadable_objects_are_listed_not_dropped(cloud: Any, media: Any, name: str, data: bytes | None) -> None:
    device = new_device()
    bucket = cloud.bucket()
    if data is None:
        data = media.encode_clip("mp4", seconds=1.0)[:3000]
    key = clip_key(device, DAY, 7, "mp4" if name == "truncated" else "ts")
    bucket.put_object(key, data)
    clips = wait_for(lambda: reader.day_clips(bucket, device, DAY.date()))
    assert [c.key for c in clips] == [key]
    assert clips[0].status == "unreadable" and clips[0].reason


def test_delete_tombstones_the_clip(cloud: Any, ts_clip: bytes) -> None:
    device = new_device()
    bucket = cloud.bucket()
    key = clip_key(device, DAY, 3, "ts")
    bucket.put_object(key, ts_clip)
    assert wait_for(lambda: reader.day_clips(bucket, device, DAY.date()))
    bucket.delete_object(key)
    assert wait_for(lambda: reader.day_clips(bucket, device, DAY.date()) == [])
    entries, _ = read_entries(bucket, index_key(device, DAY.date()))
    assert [e["op"] for e in entries] == ["create", "delete"]


def _health_doc(bucket: oss2.Bucket, device: str) -> dict[str, Any] | None:
    try:
        return dict(json.loads(bucket.get_object(device_health_key(device)).read()))
    except oss2.exceptions.NoSuchKey:
        return None


def _record(bucket: str, key: str, name: str, t_ms: int, size: int = 0, etag: str = "") -> OssEventRecord:
    return OssEventRecord(name, bucket, key, size, etag, t_ms, "req")


def test_duplicate_reordered_and_delete_before_create(cloud: Any, indexer_bucket: oss2.Bucket,
                                                      ts_clip: bytes) -> None:
    device = new_device()
    keep, gone = clip_key(device, DAY, 1, "ts"), clip_key(device, DAY, 2, "ts")
    etags = {key: cloud.bucket().put_object(key, ts_clip).etag.upper() for key in (keep, gone)}
    cloud.bucket().delete_object(gone)
    t = int(time.time() * 1000) - 1000
    # the delete of `gone` arrives first, then its (older) create twice; `keep` arrives twice
    out = index_record(indexer_bucket, _record(cloud.bucket_name, gone, "ObjectRemoved:DeleteObject", t + 10,
                                               etag=etags[gone]))
    assert out.result == "tombstoned"
    for _ in range(2):
        index_record(indexer_bucket, _record(cloud.bucket_name, gone, "ObjectCreated:PutObject", t, len(ts_clip),
                                             etags[gone]))
        index_record(indexer_bucket, _record(cloud.bucket_name, keep, "ObjectCreated:PutObject", t, len(ts_clip),
                                             etags[keep]))
    clips = wait_for(lambda: [c.key for c in reader.day_clips(indexer_bucket, device, DAY.date())]
                     == [keep] and reader.day_clips(indexer_bucket, device, DAY.date()))
    assert [c.key for c in clips] == [keep]


def test_sixteen_concurrent_indexers_lose_no_entry(cloud: Any, indexer_bucket: oss2.Bucket,
                                                   ts_clip: bytes) -> None:
    device = new_device()
    keys = [clip_key(device, DAY + timedelta(seconds=2 * i), i, "ts") for i in range(48)]
    # objects exist so the probe reads real media; the trigger also indexes them (duplicates fold away)
    for key in keys:
        cloud.bucket().put_object(key, ts_clip)
    errors: list[BaseException] = []

    def work(chunk: list[str]) -> None:
        try:
            for key in chunk:
                index_record(indexer_bucket, _record(cloud.bucket_name, key, "ObjectCreated:PutObject",
                                                     int(time.time() * 1000), len(ts_clip)), Options(compact=False))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(keys[i::16],)) for i in range(16)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    entries, _ = read_entries(indexer_bucket, index_key(device, DAY.date()))
    assert set(keys) <= {e["key"] for e in entries}
    assert [c.key for c in reader.day_clips(indexer_bucket, device, DAY.date())] == keys


def test_keys_outside_the_layout_are_rejected_without_error(cloud: Any, indexer_bucket: oss2.Bucket) -> None:
    for key in ("videos/cam-1/notes.ts", "videos/BAD*/2026/11/28/120000000Z-1.ts", "videos/cam-1/2026/13/40/1Z-1.ts"):
        outcome = index_record(indexer_bucket, _record(cloud.bucket_name, key, "ObjectCreated:PutObject", 1, 5))
        assert outcome.result == "rejected"


def test_timeline_orders_clips_and_makes_gaps_explicit(cloud: Any, ts_clip: bytes) -> None:
    device = new_device()
    bucket = cloud.bucket()
    starts = [DAY, DAY + timedelta(seconds=2), DAY + timedelta(seconds=60)]
    for i, start in enumerate(starts):
        bucket.put_object(clip_key(device, start, i, "ts"), ts_clip)
    assert wait_for(lambda: len(reader.day_clips(bucket, device, DAY.date())) == 3)
    items = reader.timeline(bucket, device, DAY - timedelta(seconds=10), DAY + timedelta(seconds=70)).items()
    kinds = [i["type"] for i in items]
    assert kinds == ["gap", "clip", "clip", "gap", "clip", "gap"]
    assert items[3]["start"] < items[3]["end"] == int(starts[2].timestamp() * 1000)
    assert device in reader.devices(bucket)
    day = reader.day_summary(bucket, device, DAY.date())
    assert day["clips"] == 3 and day["gaps"] == 1


def test_indexer_role_cannot_touch_devices_or_registry(indexer_bucket: oss2.Bucket) -> None:
    with pytest.raises(oss2.exceptions.AccessDenied):
        indexer_bucket.put_object("videos/cam-1/2026/11/28/120000000Z-1.ts", b"x")
    with pytest.raises(oss2.exceptions.AccessDenied):
        indexer_bucket.get_object("_system/devices/cam-1.json")


def test_torn_lines_never_merge_into_an_entry(cloud: Any) -> None:
    bucket = cloud.bucket()
    bucket.put_object("index/torn-test/2026-01-01.jsonl",
                      b'{"op":"create","key":"x"\n"y":1}\n{"op":"create","key":"ok"}\n\n')
    entries, length = read_entries(bucket, "index/torn-test/2026-01-01.jsonl")
    assert [e["key"] for e in entries] == ["ok"] and length > 0


def test_the_indexer_reads_time_from_its_injected_clock(cloud: Any, indexer_bucket: oss2.Bucket,
                                                         ts_clip: bytes) -> None:
    """`indexed_at`, the clamp of a future event time and the summary's `at` come from
    `Options.clock`: nothing beside it reads the wall clock (the trigger indexes the same PUT with
    the real clock meanwhile: duplicates fold away)."""
    device = new_device()
    key = clip_key(device, DAY, 0, "ts")
    cloud.bucket().put_object(key, ts_clip)
    t = 1_900_000_000.0   # far from the real clock, so a stray time.time() shows
    record = _record(cloud.bucket_name, key, "ObjectCreated:PutObject", int(t * 1000) + 86_400_000, len(ts_clip))
    opts = Options(segment_bytes=64, merge_fleet=False, clock=lambda: t)   # this append completes a segment
    assert index_record(indexer_bucket, record, opts).result == "indexed"
    entries, _ = read_entries(indexer_bucket, index_key(device, DAY.date()))
    mine = [e for e in entries if e.get("indexed_at") == t * 1000]
    assert mine and mine[-1]["event_time"] == t * 1000    # the forged future time is clamped to the clock
    sums = indexer_bucket.get_object(index_sums_key(device, DAY.date())).read().splitlines()
    assert any(json.loads(line).get("at") == t * 1000 for line in sums)   # this compaction's summary
