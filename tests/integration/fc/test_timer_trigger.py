"""Timer triggers on localcloud's clock: a tick per period of that clock, and one tick — not a burst —
after the clock jumps (the fault suite moves it by hours)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def _ticks(fc_stack: Any) -> list[dict[str, Any]]:
    return [json.loads(r["payload"]) for r in fc_stack.records("ticker")]


def _epoch(event: dict[str, Any]) -> float:
    return datetime.strptime(event["triggerTime"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=__import__("datetime").timezone.utc).timestamp()


def test_clock_moves_one_minute_one_tick_in_fc_event_shape(fc_stack: Any, fc_wait: Any) -> None:
    before = len(_ticks(fc_stack))
    fc_stack.clock.advance(61)
    ticks = fc_wait(lambda: _ticks(fc_stack)[before:], what="a timer tick")
    event = ticks[-1]
    assert set(event) == {"triggerTime", "triggerName", "payload"}
    assert event["triggerName"] == "every-minute"
    assert json.loads(event["payload"]) == {"check": "health"}
    at = _epoch(event)
    assert at % 60 == 0 and at <= fc_stack.clock.now()
    assert fc_stack.runtime.timers is not None and fc_stack.runtime.timers.fired >= 1


def test_clock_jump_of_an_hour_fires_one_tick_not_sixty(fc_stack: Any, fc_wait: Any) -> None:
    fc_wait(lambda: fc_stack.runtime.queue.idle(), what="queue idle")
    before = len(_ticks(fc_stack))
    timers = fc_stack.runtime.timers
    coalesced = timers.coalesced
    fc_stack.clock.advance(3600)
    jump_at = fc_stack.clock.now()
    fc_wait(lambda: len(_ticks(fc_stack)) > before, what="the tick after the jump")
    fc_wait(lambda: fc_stack.runtime.queue.idle(), what="queue idle")
    new = [e for e in _ticks(fc_stack)[before:] if _epoch(e) <= jump_at]
    assert len(new) == 1, new
    assert jump_at - _epoch(new[0]) < 60     # the newest due tick, not a stale one
    assert timers.coalesced - coalesced >= 58


def test_a_disabled_timer_never_fires(fc_stack: Any) -> None:
    timers = fc_stack.runtime.timers
    assert [t.trigger.name for t in timers.timers if t.function == "fcapp-ticker"] == ["every-minute"]
