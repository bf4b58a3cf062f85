"""Grouping (one message per channel per window), messages that fit robots, and the condition cycle:
fire once, hold in quiet hours, resolve once, cool down."""

from __future__ import annotations

from datetime import datetime, timezone

from vigil_fn.alerts import messages
from vigil_fn.alerts.delivery import backoff_ms, group
from vigil_fn.alerts.health_checks import Level
from vigil_fn.alerts.messages import Notice
from vigil_fn.alerts.rules import check_rule
from vigil_fn.alerts.service import Evaluator
from vigil_fn.core.config import AlertSettings


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp() * 1000)


def notice(cam: str, rule: str = "off") -> Notice:
    return Notice(rule=rule, rule_name="Offline", kind="camera_offline", state="firing", camera=cam, at_ms=0,
                  detail="no clip for 5 min")


def test_a_hundred_cameras_make_one_delivery_per_channel() -> None:
    notices = [notice(f"cam-{i:03d}") for i in range(100)] + [notice("cam-x", rule="lag")]
    deliveries = group(notices, {"off": ("ops", "mail"), "lag": ("ops",)}, "tick:1", 1)
    assert sorted(d.channel for d in deliveries) == ["mail", "ops"]
    ops = next(d for d in deliveries if d.channel == "ops")
    assert len(ops.notices) == 101
    again = group(notices, {"off": ("ops", "mail"), "lag": ("ops",)}, "tick:1", 1)
    assert [d.id for d in again] == [d.id for d in deliveries]          # a re-run queues the same ids
    assert group(notices, {"off": ("ops",)}, "tick:2", 1)[0].id != ops.id
    text = messages.markdown(ops, messages.WECOM_MAX_BYTES)
    assert len(text.encode()) <= messages.WECOM_MAX_BYTES and "more" in text
    assert messages.title(ops).startswith("Vigil: 101 alerts") or "cameras" in messages.title(ops)


def test_backoff_doubles_and_is_capped() -> None:
    s = AlertSettings.from_env({"VIGIL_ALERTS_BACKOFF_SECONDS": "30", "VIGIL_ALERTS_BACKOFF_MAX_SECONDS": "900"})
    assert [backoff_ms(s, n) // 1000 for n in (1, 2, 3, 4, 5, 6, 9)] == [30, 60, 120, 240, 480, 900, 900]


def test_fire_once_hold_in_quiet_hours_resolve_once_and_cool_down() -> None:
    rule = check_rule({"id": "off", "kind": "camera_offline", "channels": ["ops"], "cooldown_minutes": 30,
                       "quiet_hours": {"start": "22:00", "end": "07:00"}, "timezone": "Asia/Shanghai"})
    state: dict = {}

    def at(text: str, on: bool) -> list[str]:
        ev = Evaluator(state, ms(text))
        ev.level(rule, "cam-a", Level(on, "x"))
        return [n.state for n in ev.notices]

    assert at("2026-12-07T02:00:00", True) == ["firing"]        # 10:00 in Shanghai
    assert at("2026-12-07T02:01:00", True) == []                 # told once
    assert at("2026-12-07T02:02:00", False) == ["resolved"]
    assert at("2026-12-07T02:03:00", True) == []                 # flapping back within the cool-down
    assert at("2026-12-07T02:40:00", True) == ["firing"]         # cool-down over, still firing
    assert at("2026-12-07T14:30:00", False) == []                # 22:30 in Shanghai: the resolve waits
    assert at("2026-12-07T23:05:00", False) == ["resolved"]      # 07:05: said once quiet hours end
    assert at("2026-12-07T14:10:00", True) == []                 # quiet hours: a new alert is held
    assert at("2026-12-07T23:10:00", True) == ["firing"]         # … and sent when they end
