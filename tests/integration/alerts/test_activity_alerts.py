"""Activity alerts: events in the shape the indexer will send them (an async invocation of vigil-alerts
with {"activity": [...]}) alert when their zone, score and weekly schedule match, once per cool-down."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from typing import Any

import fc2
import pytest
from vigil_fn.alerts.rules import DAYS, check_channel, check_rule
from vigil_fn.alerts.store import AlertStore

from tests.waiting import wait_for

pytestmark = pytest.mark.integration


def send_events(cloud: Any, events: list[dict[str, Any]]) -> None:
    """What the indexer does when it finds activity: an async invocation, as fc2 sends it."""
    client = fc2.Client(endpoint=cloud.fc_endpoint, accessKeyID=cloud.access_key_id,
                        accessKeySecret=cloud.access_key_secret)
    client.invoke_function("vigil", "vigil-alerts", payload=json.dumps({"activity": events}),
                           headers={"x-fc-invocation-type": "Async"})


def event(cam: str, end_ms: int, *, zone: str = "door", score: float = 0.9) -> dict[str, Any]:
    return {"id": f"ev-{uuid.uuid4().hex[:10]}", "camera": cam, "zone": zone, "label": "person", "score": score,
            "start_ms": end_ms - 4000, "end_ms": end_ms, "clip_key": ""}


def test_activity_in_zone_during_schedule_above_score_alerts_once_per_cooldown(cloud: Any, receiver: Any) -> None:
    store = AlertStore(cloud.bucket())
    tag = uuid.uuid4().hex[:6]
    cam = f"cam-act-{tag}"
    now_ms = int(cloud.stack.clock.now() * 1000) // 600_000 * 600_000 + 5000   # cool-down windows are aligned
    today = DAYS[datetime.fromtimestamp(now_ms / 1000, timezone.utc).weekday()]
    other_day = DAYS[(DAYS.index(today) + 3) % 7]
    store.save_channel(check_channel({"id": f"hook-{tag}", "kind": "webhook",
                                      "config": {"url": f"{receiver.base}/hook", "secret": receiver.secret}}))
    store.save_rule(check_rule({"id": f"act-{tag}", "kind": "activity", "zones": ["door"], "min_score": 0.6,
                                "schedule": [{"days": [today], "start": "00:00", "end": "00:00"}],
                                "cameras": [cam], "channels": [f"hook-{tag}"], "cooldown_minutes": 10}))
    store.save_rule(check_rule({"id": f"off-day-{tag}", "kind": "activity",
                                "schedule": [{"days": [other_day], "start": "00:00", "end": "00:00"}],
                                "cameras": [cam], "channels": [f"hook-{tag}"]}))
    send_events(cloud, [event(cam, now_ms, score=0.3), event(cam, now_ms, zone="yard")])
    hit = event(cam, now_ms)
    send_events(cloud, [hit])
    got = wait_for(lambda: receiver.unique(), 30, "the activity webhook")
    (only,) = got.values()
    assert [(a["rule"], a["camera"], a["state"]) for a in only.body["alerts"]] == [(f"act-{tag}", cam, "event")]
    assert "door" in only.body["alerts"][0]["detail"] and only.body["alerts"][0]["at_ms"] == hit["end_ms"]
    send_events(cloud, [event(cam, now_ms + 1000)])          # within the 10-minute cool-down: nothing new
    wait_for(lambda: cloud.stack.runtime.queue.idle(), 30, "the invocation")
    assert len(receiver.unique()) == 1


def test_malformed_activity_records_are_refused_alone(cloud: Any) -> None:
    client = fc2.Client(endpoint=cloud.fc_endpoint, accessKeyID=cloud.access_key_id,
                        accessKeySecret=cloud.access_key_secret)
    good = event("cam-nobody", int(cloud.stack.clock.now() * 1000))
    resp = client.invoke_function("vigil", "vigil-alerts", payload=json.dumps(
        {"activity": [good, {"camera": "../x", "score": 2}, "nonsense"]}))
    assert json.loads(resp.data)["refused"] == 2


def test_a_retried_invocation_still_alerts_a_second_batch_does_not(cloud: Any, receiver: Any) -> None:
    """FC retries an invocation that died after taking the cool-down marker: the same event still alerts
    (the marker is its own); another event in the same window does not."""
    from vigil_fn.alerts.activity import ActivityEvent
    from vigil_fn.alerts.service import on_activity
    from vigil_fn.alerts.store import mark
    from vigil_fn.core.config import AlertSettings

    store = AlertStore(cloud.bucket())
    tag = uuid.uuid4().hex[:6]
    cam = f"cam-retry-{tag}"
    store.save_channel(check_channel({"id": f"hook-{tag}", "kind": "webhook",
                                      "config": {"url": f"{receiver.base}/hook", "secret": receiver.secret}}))
    store.save_rule(check_rule({"id": f"act-{tag}", "kind": "activity", "cameras": [cam],
                                "channels": [f"hook-{tag}"], "cooldown_minutes": 10}))
    now_ms = int(cloud.stack.clock.now() * 1000) // 600_000 * 600_000 + 5000
    first = ActivityEvent.parse(event(cam, now_ms))
    assert mark(cloud.bucket(), f"cooldown/act-{tag}/{cam}/{now_ms // 600_000}", owner=first.id)  # died here
    settings = AlertSettings.from_env({"VIGIL_ALERTS_ALLOW_LOOPBACK": "true"})
    retried = on_activity(cloud.bucket(), [first], now_ms, settings)
    assert len(retried.notices) == 1 and retried.outcome.sent
    other = ActivityEvent.parse(event(cam, now_ms + 2000))
    assert on_activity(cloud.bucket(), [other], now_ms + 2000, settings).notices == []
    assert len(receiver.unique()) == 1
