"""Viewer API benchmarks: server time of a full day's timeline (8,640 ten-second clips) and of a
one-hour playlist (360 segments), beside reading the same day with `oss2.ObjectIterator`; playlist
bytes per hour. Server time is the function's own (`Server-Timing: app;dur=`), the round trip through
localcloud's FC runtime is printed beside it."""

from __future__ import annotations

import secrets
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import oss2
import pytest
import requests
from vigil_camera.keys import clip_key, day_prefix, index_key
from vigil_fn.api.users import UserStore
from vigil_fn.core.devices import DeviceRecord, Registry
from vigil_fn.indexer.log import encode_entry


def now_ms() -> int:
    """The time the index's writers are told it is (as the live indexer's clock: real time)."""
    return int(time.time() * 1000)


pytestmark = pytest.mark.bench

DAY = datetime(2026, 8, 1, tzinfo=timezone.utc)
DAY_MS = int(DAY.timestamp() * 1000)
N = 8640
RUNS = 30


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def server_ms(resp: requests.Response) -> float:
    return float(resp.headers["Server-Timing"].split("dur=")[1])


def write_segments(bucket: oss2.Bucket, camera: str, log: bytes, day: datetime) -> bool:
    """Compacted segments as the live indexer leaves a day, when the index has them (issue 12)."""
    try:
        from vigil_camera.keys import index_segments_key, index_sums_key  # type: ignore[attr-defined]
        from vigil_fn.indexer.compact import DEFAULT_SEGMENT_BYTES, segments_of  # type: ignore[attr-defined]
    except ImportError:
        return False
    segs, sums = segments_of(log, DEFAULT_SEGMENT_BYTES, day.date(), now_ms=now_ms())
    bucket.append_object(index_segments_key(camera, day.date()), 0, segs)
    bucket.append_object(index_sums_key(camera, day.date()), 0, sums)
    return True


def write_day(bucket: oss2.Bucket, camera: str, day: datetime) -> tuple[list[str], bool]:
    """A full day of 10 s clips in the index, as the indexer leaves it; returns the keys."""
    day_ms = int(day.timestamp() * 1000)
    keys = [clip_key(camera, day + timedelta(seconds=10 * i), i, "ts") for i in range(N)]
    lines = b"".join(encode_entry({
        "op": "create", "key": k, "etag": "0123456789ABCDEF0123456789ABCDEF", "size": 1_250_000, "status": "ok",
        "start": day_ms + 10_000 * i, "duration": 10_000, "codec": "h264", "width": 1280, "height": 720,
        "has_keyframe": True, "event_time": day_ms + 10_000 * i + 12_000, "indexed_at": day_ms + 10_000 * i + 12_500,
    }) for i, k in enumerate(keys))
    bucket.append_object(index_key(camera, day.date()), 0, lines)
    return keys, write_segments(bucket, camera, lines, day)


@pytest.fixture(scope="module")
def day_camera(cloud: Any) -> str:
    bucket = cloud.bucket()
    camera = f"bench-{uuid.uuid4().hex[:6]}"
    Registry(bucket).create(DeviceRecord(camera, name="bench"))
    write_day(bucket, camera, DAY - timedelta(days=1))  # continuous recording: the day before is full too
    keys, compacted = write_day(bucket, camera, DAY)
    print(f"\ntwo full days indexed, each as {'log + compacted segments' if compacted else 'one log'}")
    # the objects the peer lists: the day's keys with a suffix the indexer's triggers ignore (.ts/.mp4
    # would be probed, found unreadable and re-indexed while the timeline is being measured)
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda k: bucket.put_object(k + ".peer", b"x"), keys))
    return camera


def test_timeline_and_playlist_server_time(cloud: Any, day_camera: str) -> None:
    bucket = cloud.bucket()
    name, password = f"bench-{uuid.uuid4().hex[:6]}", secrets.token_urlsafe(12)
    UserStore(bucket).create(name, password, "viewer")
    base = str(cloud.functions["vigil-api"]).rstrip("/")
    http = requests.Session()
    assert http.post(f"{base}/api/v1/login", json={"username": name, "password": password}, timeout=30).ok
    day = {"start": DAY_MS, "end": DAY_MS + 86_400_000}
    hour = {"start": DAY_MS + 12 * 3_600_000, "end": DAY_MS + 13 * 3_600_000}

    def measure(path: str, params: dict[str, int], gzip: bool) -> tuple[list[float], list[float], requests.Response]:
        server, wall = [], []
        resp: requests.Response | None = None
        headers = {"Accept-Encoding": "gzip" if gzip else "identity"}
        for _ in range(RUNS):
            t0 = time.perf_counter()
            resp = http.get(f"{base}{path}", params=params, headers=headers, timeout=60)
            wall.append((time.perf_counter() - t0) * 1000)
            assert resp.status_code == 200, resp.text[:300]
            server.append(server_ms(resp))
        assert resp is not None
        return server, wall, resp

    tl_server, tl_wall, tl = measure(f"/api/v1/cameras/{day_camera}/timeline", day, gzip=True)
    assert sum(1 for i in tl.json()["items"] if i["type"] == "clip") == N
    tl_plain_server, _, tl_plain = measure(f"/api/v1/cameras/{day_camera}/timeline", day, gzip=False)
    pl_server, pl_wall, pl = measure(f"/api/v1/cameras/{day_camera}/playlist.m3u8", hour, gzip=False)
    assert pl.text.count("#EXTINF") == 360
    listing = []
    for _ in range(RUNS // 3):
        t0 = time.perf_counter()
        listed = sum(1 for _ in oss2.ObjectIterator(bucket, prefix=day_prefix(day_camera, DAY.date())))
        listing.append((time.perf_counter() - t0) * 1000)
        assert listed == N
    ls = statistics.median(listing)
    print(f"\nviewer API (machine shared by other engineers' runs; {RUNS} requests each)")
    print(f"  day timeline ({N} clips, gzip):     server p50 {statistics.median(tl_server):6.1f} ms, "
          f"p95 {p95(tl_server):6.1f} ms; round trip p95 {p95(tl_wall):6.1f} ms; "
          f"{int(tl.headers['Content-Length']):,} B on the wire (gzip), {len(tl_plain.content):,} B plain")
    print(f"  first timeline request (the instance had not read the day: its day cache cold): "
          f"server {tl_server[0]:.1f} ms")
    print(f"  day timeline (no gzip):             server p50 {statistics.median(tl_plain_server):6.1f} ms, "
          f"p95 {p95(tl_plain_server):6.1f} ms")
    print(f"  one-hour playlist (360 segments):   server p50 {statistics.median(pl_server):6.1f} ms, "
          f"p95 {p95(pl_server):6.1f} ms; round trip p95 {p95(pl_wall):6.1f} ms; "
          f"{len(pl.content):,} B per hour")
    print(f"  peer: oss2.ObjectIterator over the same day: median {ls:6.1f} ms "
          f"-> timeline server p95 is {ls / p95(tl_server):.1f}x faster than listing the day")
    print("  targets: timeline p95 < 100 ms, playlist p95 < 50 ms")
