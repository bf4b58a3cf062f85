"""Timer expressions as FC reads them: `@every`, six-field cron, CRON_TZ, and coalescing."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from localcloud.common.clock import Clock
from localcloud.fc.spec import FunctionSpec, TimerTrigger
from localcloud.fc.timer import Schedule, TimerScheduler


def ts(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def test_every_minute_ticks_on_minute_boundaries() -> None:
    s = Schedule.parse("@every 1m")
    assert s.next_after(ts("2026-12-07T03:49:30")) == ts("2026-12-07T03:50:00")
    assert s.next_after(ts("2026-12-07T03:50:00")) == ts("2026-12-07T03:51:00")
    assert s.latest(ts("2026-12-07T03:50:00"), ts("2026-12-07T05:50:10")) == (ts("2026-12-07T05:50:00"), 121)


def test_cron_fields_seconds_first_with_weekdays_and_zone() -> None:
    s = Schedule.parse("0 0 4 * * *")
    assert s.next_after(ts("2026-12-07T03:49:00")) == ts("2026-12-07T04:00:00")
    weekdays = Schedule.parse("0 30 9 ? * 1-5")   # 09:30 on Monday..Friday
    assert weekdays.next_after(ts("2026-12-05T10:00:00")) == ts("2026-12-07T09:30:00")  # Sat → Mon
    shanghai = Schedule.parse("CRON_TZ=Asia/Shanghai 0 0 8 * * *")
    assert shanghai.next_after(ts("2026-12-07T01:00:00")) == ts("2026-12-08T00:00:00")
    stepped = Schedule.parse("0 */15 * * * *")
    assert stepped.latest(ts("2026-12-07T00:15:00"), ts("2026-12-07T01:01:00")) == (ts("2026-12-07T01:00:00"), 4)


@pytest.mark.parametrize("bad", ["@every 0m", "@every 5d", "* * * *", "0 61 * * * *", "0 0 4 * * * *",
                                 "CRON_TZ=Mars/Base 0 0 4 * * *", "0 0 4 31 2 *"])
def test_bad_expressions_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        Schedule.parse(bad).next_after(0)


def _fn(expression: str) -> FunctionSpec:
    from pathlib import Path
    return FunctionSpec(resource="t", name="fn", handler="a.b", code_dir=Path("."), runtime="python3.10",
                        memory_mb=128, timeout_s=3, role=None, env={}, instance_concurrency=1, initializer=None,
                        initializer_timeout_s=3, max_async_retries=0, on_failure=None,
                        timer_triggers=(TimerTrigger("t", expression, True, "p"),))


def test_scheduler_coalesces_a_jump_and_skips_while_the_last_tick_is_queued() -> None:
    clock = Clock()
    queued: list[bytes] = []
    pending: set[str] = set()

    def enqueue(fn: str, payload: bytes, source: str) -> str:
        queued.append(payload)
        pending.add(str(len(queued)))
        return str(len(queued))

    sched = TimerScheduler([_fn("@every 1m")], clock, enqueue, lambda fn, task: task in pending)
    assert sched.poll() == 0                      # nothing due yet: the first poll arms the schedule
    clock.advance(6 * 3600)
    assert sched.poll() == 1 and len(queued) == 1  # six hours of ticks → one invocation
    assert sched.coalesced >= 359
    clock.advance(60)
    assert sched.poll() == 0                       # the last tick is still queued: skipped
    pending.clear()
    clock.advance(60)
    assert sched.poll() == 1
    clock.advance(-7200)                           # backwards: re-arm, fire nothing owed
    assert sched.poll() == 0
