"""Alerts benchmarks on a localcloud stack (`make bench`): figures, each beside a peer measured in the same run.

1. Camera stop → first alert for an N-minute offline rule, on localcloud's clock (the clock moves a minute
   at a time and the timer trigger ticks): bound N + 1.5 min. Peer: the bound itself, and the wall time one
   tick takes (fleet health read, confirmation, delivery).
2. Activity event end → signed webhook at the receiver (async invocation of vigil-alerts, as the indexer
   sends it): p50, p95. Peer: the same signed webhook sent directly from this process (the HTTP floor).
3. 100 cameras offline at once: messages per channel per window (1 expected; 100 without grouping), and
   the wall time of that tick beside a tick with nothing to say.
"""

from __future__ import annotations

import json
import statistics
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fc2
import pytest
from vigil_fn.alerts import channels as senders
from vigil_fn.alerts.delivery import delivery_id
from vigil_fn.alerts.messages import Delivery, Notice
from vigil_fn.alerts.rules import check_channel, check_rule
from vigil_fn.alerts.store import AlertStore
from vigil_fn.core.devices import DeviceRecord, Registry

from tests.conftest import CloudHandle
from tests.loading import load_path
from tests.waiting import wait_for

pytestmark = pytest.mark.bench
support = load_path("alert_support", Path(__file__).parents[1] / "integration" / "alerts" / "support.py")
N_MINUTES = 2
EVENTS = 30


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudHandle]:
    yield from support.alerts_cloud(tmp_path_factory.mktemp("alerts-bench"))


@pytest.fixture()
def receiver() -> Iterator[Any]:
    r = support.Receiver(secret="whsec-" + uuid.uuid4().hex).start()
    try:
        yield r
    finally:
        r.stop()


def _hook(stack: CloudHandle, receiver: Any) -> str:
    cid = f"hook-{uuid.uuid4().hex[:6]}"
    AlertStore(stack.bucket()).save_channel(check_channel(
        {"id": cid, "kind": "webhook", "config": {"url": f"{receiver.base}/hook", "secret": receiver.secret}}))
    return cid


def _sim_clip() -> bytes:
    import tempfile

    from vigil_camera.media import simulate

    out: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        simulate(Path(tmp), out.append, fps=10, width=160, height=96, clip_seconds=2.0, count=1, realtime=False)
        return bytes(out[0].path.read_bytes())


def test_bench_camera_stop_to_first_alert(stack: CloudHandle, receiver: Any) -> None:
    ticks = support.Ticks(stack)
    cam = f"cam-{uuid.uuid4().hex[:6]}"
    Registry(stack.bucket()).create(DeviceRecord(cam, name=cam))
    cid = _hook(stack, receiver)
    AlertStore(stack.bucket()).save_rule(check_rule({"id": "off-bench", "kind": "camera_offline",
                                                     "minutes": N_MINUTES, "cameras": [cam], "channels": [cid]}))
    support.upload_clip(stack, cam, _sim_clip())
    stopped_ms = int(stack.stack.clock.now() * 1000)           # the last clip ends now: the camera stops
    tick_walls = []
    for _ in range(N_MINUTES + 3):
        t0 = time.perf_counter()
        ticks.minute()
        tick_walls.append(time.perf_counter() - t0)
        if receiver.unique():
            break
    got = list(receiver.unique().values())
    assert got, "no offline alert"
    alert_ms = got[0].body["alerts"][0]["at_ms"]               # the tick's time on localcloud's clock
    latency_min = (alert_ms - stopped_ms) / 60000
    bound = N_MINUTES + 1.5
    print(f"\n[alerts] camera stop -> first alert ({N_MINUTES}-min rule, localcloud time): {latency_min:.2f} min; "
          f"bound {bound:.1f} min; ratio to bound {latency_min / bound:.2f}; wall time per tick "
          f"p50 {statistics.median(tick_walls):.2f} s (clock step + timer + tick + delivery)")
    assert latency_min >= N_MINUTES   # the alert never comes early


def test_bench_activity_event_end_to_webhook(stack: CloudHandle, receiver: Any) -> None:
    cid = _hook(stack, receiver)
    cam = f"cam-act-{uuid.uuid4().hex[:6]}"
    AlertStore(stack.bucket()).save_rule(check_rule({"id": "act-bench", "kind": "activity", "cameras": [cam],
                                                     "channels": [cid], "cooldown_minutes": 0}))
    client = fc2.Client(endpoint=stack.fc_endpoint, accessKeyID=stack.access_key_id,
                        accessKeySecret=stack.access_key_secret)
    latencies = []
    for i in range(EVENTS):
        end = time.time()
        ev = {"id": f"ev-{i}-{uuid.uuid4().hex[:6]}", "camera": cam, "zone": "door", "score": 0.9,
              "start_ms": int(end * 1000) - 3000, "end_ms": int(end * 1000)}
        want = len(receiver.webhooks()) + 1
        client.invoke_function("vigil", "vigil-alerts", payload=json.dumps({"activity": [ev]}),
                               headers={"x-fc-invocation-type": "Async"})
        wait_for(lambda n=want: len(receiver.webhooks()) >= n, 30, "the activity webhook")
        latencies.append(receiver.webhooks()[-1].at - end)
    assert len(receiver.unique()) == EVENTS                     # one alert each (cool-down 0), once each
    direct = []
    channel = AlertStore(stack.bucket()).channel(cid)
    opts = senders.SendOptions(timeout_s=2, allow_loopback=True)
    for i in range(EVENTS):
        n = Notice(rule="act-bench", rule_name="x", kind="activity", state="event", camera=cam, at_ms=0, detail="d")
        d = Delivery(id=delivery_id("direct", str(i)), channel=cid, created_ms=0, notices=[n])
        t0 = time.time()
        senders.send(channel, d, now_s=int(t0), opts=opts)
        direct.append(time.time() - t0)
    p50, p95, floor = statistics.median(latencies), statistics.quantiles(latencies, n=20)[-1], statistics.median(direct)
    print(f"\n[alerts] activity event end -> webhook over {EVENTS} events: p50 {p50 * 1000:.0f} ms, "
          f"p95 {p95 * 1000:.0f} ms (goal p50 < 10 s); peer: the same signed webhook sent directly p50 "
          f"{floor * 1000:.1f} ms; ratio {p50 / floor:.1f}x")


def test_bench_hundred_cameras_offline_one_message_per_channel(stack: CloudHandle, receiver: Any) -> None:
    ticks = support.Ticks(stack)
    registry = Registry(stack.bucket())
    cams = [f"herd-{i:03d}" for i in range(100)]
    for cam in cams:
        registry.create(DeviceRecord(cam, name=cam))
    cid = _hook(stack, receiver)
    store = AlertStore(stack.bucket())
    t0 = time.perf_counter()
    ticks.minute()
    quiet_tick = time.perf_counter() - t0
    store.save_rule(check_rule({"id": "herd", "kind": "camera_offline", "minutes": 1, "cameras": cams,
                                "channels": [cid]}))
    t0 = time.perf_counter()
    ticks.minute()
    herd_tick = time.perf_counter() - t0
    ticks.minute()
    messages = receiver.webhooks()
    notices = sum(len(r.body["alerts"]) for r in messages)
    print(f"\n[alerts] 100 cameras offline: {len(messages)} message(s) on the channel carrying {notices} alerts "
          f"(without grouping: {notices} messages; ratio {len(messages) / max(1, notices):.2f}); wall time of that "
          f"tick {herd_tick:.2f} s vs a tick with nothing to say {quiet_tick:.2f} s (ratio "
          f"{herd_tick / quiet_tick:.2f})")
    assert len(messages) == 1 and notices == 100


def test_bench_clip_upload_to_activity_webhook(stack: CloudHandle, receiver: Any) -> None:
    """End to end: a camera's clip with activity goes up (PUT with its activity header) → OSS trigger →
    indexer → async vigil-alerts → the signed webhook. Peer in the same run: the same clips' upload →
    indexed latency (the entry's `indexed_at`, written by the indexer just before it invokes alerts)."""
    from datetime import datetime, timezone

    from vigil_camera.activity.meta import HEADER, ClipActivity, pack
    from vigil_camera.keys import clip_key
    from vigil_fn.indexer import reader

    cid = _hook(stack, receiver)
    cam = f"cam-e2e-{uuid.uuid4().hex[:6]}"
    Registry(stack.bucket()).create(DeviceRecord(cam, name=cam))
    AlertStore(stack.bucket()).save_rule(check_rule({"id": "e2e-bench", "kind": "activity", "zones": ["door"],
                                                     "cameras": [cam], "channels": [cid], "cooldown_minutes": 0}))
    data = _sim_clip()
    header = pack(ClipActivity((0.0, 0.9), (None, (0.2, 0.3, 0.4, 0.8)), (0, 1), ("door",)))
    base_ms = (int(stack.stack.clock.now()) - 3600) * 1000
    to_alert, to_index = [], []
    for i in range(EVENTS):
        start = base_ms + i * 60_000                       # a minute apart: one event per clip
        key = clip_key(cam, datetime.fromtimestamp(start / 1000, timezone.utc), i, "ts")
        want = len(receiver.webhooks()) + 1
        t0 = time.time()
        stack.bucket().put_object(key, data, headers={"Content-Type": "video/mp2t", HEADER: header})
        got = wait_for(lambda n=want: receiver.webhooks()[n - 1:], 60, "the activity webhook")
        to_alert.append(got[0].at - t0)
        day = datetime.fromtimestamp(start / 1000, timezone.utc).date()
        (row,) = [c for c in reader.day_clips(stack.bucket(), cam, day) if c.key == key]
        to_index.append(row.indexed_at / 1000 - t0)
        assert got[0].body["alerts"][0]["event_id"] == f"{cam}:{start + 1000}"
    assert len(receiver.unique()) == EVENTS
    q = statistics.quantiles
    a50, a95 = statistics.median(to_alert), q(to_alert, n=20)[-1]
    i50, i95 = statistics.median(to_index), q(to_index, n=20)[-1]
    print(f"\n[alerts] clip upload with activity -> webhook over {EVENTS} clips: p50 {a50 * 1000:.0f} ms, "
          f"p95 {a95 * 1000:.0f} ms (goal p50 < 10 s); peer: upload -> indexed p50 {i50 * 1000:.0f} ms, "
          f"p95 {i95 * 1000:.0f} ms; ratio p50 {a50 / i50:.2f}x, alert after index p50 {(a50 - i50) * 1000:.0f} ms")
