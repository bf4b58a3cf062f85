"""Delivery guarantees on localcloud time: a receiver down for five minutes gets every alert once it is
back (exactly once by delivery id), one that answers 500 forever ends in the dead letters, and "send
again" from the API delivers the dead letter with the same id."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from vigil_fn.alerts.rules import check_channel, check_rule
from vigil_fn.alerts.store import AlertStore

pytestmark = pytest.mark.integration


def _hook(cloud: Any, receiver: Any, cameras: list[str], minutes: int = 1) -> tuple[str, str]:
    store = AlertStore(cloud.bucket())
    tag = uuid.uuid4().hex[:6]
    store.save_channel(check_channel({"id": f"hook-{tag}", "kind": "webhook",
                                      "config": {"url": f"{receiver.base}/hook", "secret": receiver.secret}}))
    store.save_rule(check_rule({"id": f"off-{tag}", "kind": "camera_offline", "minutes": minutes,
                                "cameras": cameras, "channels": [f"hook-{tag}"], "cooldown_minutes": 0}))
    return f"off-{tag}", f"hook-{tag}"


def _mine(store: AlertStore, channel: str) -> list[Any]:
    return [d for d in store.pending() if d.channel == channel]


def test_receiver_down_five_minutes_gets_every_alert_once_after_it_returns(cloud: Any, camera: Any,
                                                                            receiver: Any, ticks: Any) -> None:
    store = AlertStore(cloud.bucket())
    first, second = camera(), camera()
    rule, channel = _hook(cloud, receiver, [first], minutes=1)
    receiver.stop()                                          # down from now on
    ticks.minute(2)                                          # `first` goes offline: the delivery fails
    store.save_rule(check_rule({**store.rule(rule).to_doc(), "cameras": [first, second]}))
    ticks.minute(3)                                          # `second` too, while the receiver is still down
    queued = {d.id: d for d in _mine(store, channel)}
    assert len(queued) == 2 and all(d.attempts >= 1 and d.errors for d in queued.values())
    assert receiver.webhooks() == []
    receiver.start()                                         # back after five minutes, on the same address
    for _ in range(12):
        if not _mine(store, channel):
            break
        ticks.minute()
    assert _mine(store, channel) == [] and not [d for d in store.dead_letters() if d["channel"] == channel]
    got = receiver.unique()
    assert set(got) == set(queued)                           # every alert, by its delivery id
    assert len(receiver.webhooks()) == len(got)              # and each exactly once
    cams = sorted(a["camera"] for r in got.values() for a in r.body["alerts"])
    assert cams == sorted([first, second])


def test_a_receiver_answering_500_forever_ends_in_dead_letters_and_send_again_delivers(
        cloud: Any, camera: Any, receiver: Any, ticks: Any, admin_api: Any, monkeypatch: Any) -> None:
    store = AlertStore(cloud.bucket())
    cam = camera()
    rule, channel = _hook(cloud, receiver, [cam], minutes=1)
    receiver.fail_with = 500
    for _ in range(40):                                      # 10 attempts with a capped backoff: ~1.5 h of clock
        ticks.minute(3)
        if any(d["channel"] == channel for d in store.dead_letters()):
            break
    (dead,) = [d for d in store.dead_letters() if d["channel"] == channel]
    assert dead["attempts"] == 10 and "500" in dead["errors"][-1]
    assert _mine(store, channel) == []                      # no retry after the last one
    listed = admin_api.get("/api/v1/alerts/dead-letters").json()["deliveries"]
    assert dead["id"] in [d["id"] for d in listed]
    receiver.fail_with = None
    resp = admin_api.post(f"/api/v1/alerts/dead-letters/{dead['id']}/resend")
    assert resp.status_code == 202, resp.text
    assert resp.json()["id"] == dead["id"] and resp.json()["attempts"] == 0
    ticks.minute()
    assert list(receiver.unique()) == [dead["id"]]
    assert not [d for d in store.dead_letters() if d["channel"] == channel]
    store.delete_rule(rule)
