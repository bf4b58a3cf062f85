"""Calendar benchmark: a month of continuous recording (8,640 ten-second clips a day) read as the
local days of Asia/Shanghai and of UTC by `index_view.month_calendar`, beside the peer measured in
the same run: the calendar before time zones (one `reader.day_summary` per UTC day, 8 at a time),
and, for scale, the reader's two-GET `month_calendar` (UTC-day totals only, no positions)."""

from __future__ import annotations

import statistics
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from vigil_fn.api import index_view
from vigil_fn.api.times import month_days
from vigil_fn.core.devices import DeviceRecord, Registry
from vigil_fn.indexer import reader

from .test_api_bench import N, write_day

pytestmark = pytest.mark.bench

MONTH = "2026-07"
RUNS = 5


def before_zones(bucket: Any, camera: str, month: str) -> list[dict[str, Any]]:
    """The calendar as it was: UTC days, one day summary each."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        summaries = list(pool.map(lambda d: reader.day_summary(bucket, camera, d), month_days(month)))
    return [{"day": s["day"], "clips": s["clips"]} for s in summaries if s["clips"]]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    runs, out = [], None
    for _ in range(RUNS):
        t0 = time.perf_counter()
        out = fn()
        runs.append((time.perf_counter() - t0) * 1000)
    return statistics.median(runs), out


def test_month_calendar_in_a_time_zone(cloud: Any) -> None:
    bucket = cloud.bucket()
    camera = f"bench-cal-{uuid.uuid4().hex[:6]}"
    Registry(bucket).create(DeviceRecord(camera, name="bench"))
    first = datetime(2026, 6, 29, tzinfo=timezone.utc)   # the month, the UTC day before it, and one more
    days = [first + timedelta(days=n) for n in range(33)]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda d: write_day(bucket, camera, d), days))
    shanghai_ms, shanghai = timed(lambda: index_view.month_calendar(bucket, camera, MONTH, "Asia/Shanghai"))
    utc_ms, utc = timed(lambda: index_view.month_calendar(bucket, camera, MONTH, "UTC"))
    peer_ms, peer = timed(lambda: before_zones(bucket, camera, MONTH))
    rows_ms, _ = timed(lambda: reader.month_calendar(bucket, camera, 2026, 7))
    assert len(shanghai) == len(utc) == len(peer) == 31
    assert [d["clips"] for d in peer] == [N] * 31
    assert all(d["clips"] in (N, N + 1) for d in shanghai)  # the clip across the local midnight counts twice
    print(f"\nmonth calendar, {N} clips a day (machine shared by other engineers' runs; median of {RUNS})")
    print(f"  local days, Asia/Shanghai:  {shanghai_ms:7.1f} ms (33 UTC days read)")
    print(f"  local days, UTC:            {utc_ms:7.1f} ms (32 UTC days read)")
    print(f"  peer, before zones (UTC):   {peer_ms:7.1f} ms (31 day summaries) -> Shanghai/peer "
          f"{shanghai_ms / peer_ms:.2f}x")
    print(f"  reader.month_calendar:      {rows_ms:7.1f} ms (2 GETs, UTC-day totals without positions)")
