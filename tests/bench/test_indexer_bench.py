"""Indexer benchmarks: bytes read per clip vs clip size, events/s, timeline query vs a bucket listing."""

from __future__ import annotations

import json
import statistics
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import fc2
import oss2
import pytest
from vigil_camera.keys import clip_key, day_prefix, index_key
from vigil_fn.events import OssEventRecord
from vigil_fn.indexer import reader
from vigil_fn.indexer.log import encode_entry
from vigil_fn.indexer.probe import probe_object
from vigil_fn.indexer.service import index_record

pytestmark = pytest.mark.bench

DAY = datetime(2026, 9, 1, tzinfo=timezone.utc)
NULL_PACKET = b"\x47\x1f\xff\x10" + b"\xff" * 184  # MPEG-TS null packets: valid padding of any length


def _big_ts(clip: bytes, size: int) -> Any:
    """A `size`-byte TS stream: the real clip's head, null packets, the real clip's tail (streamed)."""
    head, tail = clip[: len(clip) // 2 // 188 * 188], clip[len(clip) // 2 // 188 * 188:]
    pad = size - len(head) - len(tail)
    chunk = NULL_PACKET * (1 << 20 // 188)

    def gen() -> Any:
        yield head
        left = pad - pad % 188
        while left > 0:
            piece = chunk[:left]
            left -= len(piece)
            yield piece
        yield tail
    return gen()


def test_bytes_read_per_clip_does_not_grow_with_size(cloud: Any, ts_clip: bytes) -> None:
    bucket = cloud.bucket()
    device = f"bn-{uuid.uuid4().hex[:6]}"
    print("\nindexer probe: bytes read per clip (ranged GETs of head + tail)")
    results = {}
    for i, (label, size) in enumerate([("1 MB", 1 << 20), ("64 MB", 64 << 20), ("1 GB", 1 << 30)]):
        key = clip_key(device, DAY + timedelta(minutes=i), i, "ts")
        bucket.put_object(key, _big_ts(ts_clip, size))
        real_size = bucket.head_object(key).content_length
        result = probe_object(bucket, key, real_size, "ts")
        assert result.info is not None, result.error
        results[label] = result.bytes_read
        print(f"  {label:>6}: object {real_size:>11,} B, read {result.bytes_read:>7,} B "
              f"({result.bytes_read / real_size:.5%}), duration {result.info.duration_ms} ms")
        bucket.delete_object(key)
    print(f"  ratio 1 GB / 1 MB bytes read: {results['1 GB'] / results['1 MB']:.2f}")
    assert max(results.values()) < 256 * 1024


def test_events_indexed_per_second_with_8_concurrent_invocations(cloud: Any, ts_clip: bytes) -> None:
    bucket = cloud.bucket()
    device = f"be-{uuid.uuid4().hex[:6]}"
    n = 400
    keys = [clip_key(device, DAY + timedelta(seconds=10 * i), i, "ts") for i in range(n)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: bucket.put_object(k, ts_clip), keys))
    client = fc2.Client(endpoint=cloud.fc_endpoint, accessKeyID=cloud.access_key_id,
                        accessKeySecret=cloud.access_key_secret)
    local = threading.local()

    def invoke(key: str) -> None:
        c = getattr(local, "client", None) or fc2.Client(endpoint=cloud.fc_endpoint, accessKeyID=cloud.access_key_id,
                                                         accessKeySecret=cloud.access_key_secret)
        local.client = c
        event = {"events": [{"eventName": "ObjectCreated:PutObject", "eventTime": "2026-09-01T00:00:00.000Z",
                             "oss": {"bucket": {"name": cloud.bucket_name},
                                     "object": {"key": key, "size": len(ts_clip), "eTag": "X"}}}]}
        c.invoke_function("vigil", "vigil-indexer", payload=json.dumps(event))

    assert client is not None
    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(invoke, keys))
    fc_rate = n / (time.perf_counter() - start)

    def direct(key: str) -> None:
        index_record(bucket, OssEventRecord("ObjectCreated:PutObject", cloud.bucket_name, key, len(ts_clip), "Y",
                                            int(time.time() * 1000), "bench"))

    start = time.perf_counter()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(direct, keys))
    direct_rate = n / (time.perf_counter() - start)
    print(f"\nindexer: {fc_rate:.0f} events/s through the FC runtime (fc2 Sync, 8 concurrent); "
          f"peer: the same code called in-process {direct_rate:.0f} events/s; ratio {fc_rate / direct_rate:.2f}")
    assert len(reader.day_clips(bucket, device, DAY.date())) == n


def test_timeline_of_a_day_vs_listing_the_day(cloud: Any) -> None:
    bucket = cloud.bucket()
    device = f"bt-{uuid.uuid4().hex[:6]}"
    n = 8640
    keys = [clip_key(device, DAY + timedelta(seconds=10 * i), i, "ts") for i in range(n)]
    lines = b"".join(encode_entry({"op": "create", "key": k, "etag": "E", "size": 1, "status": "ok",
                                   "start": int((DAY + timedelta(seconds=10 * i)).timestamp() * 1000),
                                   "duration": 10_000, "event_time": 1}) for i, k in enumerate(keys))
    bucket.put_object(index_key(device, DAY.date()), lines)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda k: bucket.put_object(k, b"x"), keys))
    timeline_ms, listing_ms = [], []
    for _ in range(5):
        t0 = time.perf_counter()
        items = reader.timeline(bucket, device, DAY, DAY + timedelta(days=1))
        timeline_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        listed = sum(1 for _ in oss2.ObjectIterator(bucket, prefix=day_prefix(device, DAY.date())))
        listing_ms.append((time.perf_counter() - t0) * 1000)
    assert sum(1 for i in items if i["type"] == "clip") == n and listed == n
    t, ls = statistics.median(timeline_ms), statistics.median(listing_ms)
    print(f"\ntimeline of a day of {n} clips: {t:.1f} ms (median of 5); listing the day's objects with "
          f"oss2.ObjectIterator: {ls:.1f} ms; ratio {ls / t:.1f}x faster")
