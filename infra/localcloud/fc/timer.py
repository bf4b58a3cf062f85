"""Timer triggers on localcloud's clock: `@every 1m` or a six-field cron, one durable async task per tick.

FC fires a timer trigger with the event `{"triggerTime": "2026-12-07T03:49:00Z", "triggerName",
"payload"}` (the trigger's `payload` text). Here the ticks follow the stack's `Clock`, so a test that
moves the clock forward by five minutes sees the ticks of those five minutes without sleeping.

Where this differs from FC, on purpose:
- Missed ticks are coalesced: when the clock jumps (the fault suite moves it by hours) or the host
  stalls, one invocation carries the newest due tick, never a burst of stale ones — and a tick is
  skipped while the previous tick's invocation is still queued or retrying, as a real timer does not
  stack invocations behind a slow function. The log line says how many ticks were folded.
- `@every N` ticks fall on multiples of N since the Unix epoch (FC counts from the trigger's
  creation); cron fields are seconds, minutes, hours, day of month, month, day of week (0 or 7 =
  Sunday), with `*`, `?`, lists, ranges and `/step`, and an optional `CRON_TZ=<zone>` prefix.
- A clock moved backwards restarts the schedule from the new time (no tick is fired twice for the
  same instant, none is owed for the time "given back").
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from localcloud.common import logs
from localcloud.common.clock import Clock
from localcloud.fc.spec import FunctionSpec, TimerTrigger

log = logs.get("localcloud.fc.timer")
_EVERY = re.compile(r"^@every\s+(\d+)\s*([smh])$")
_UNIT = {"s": 1, "m": 60, "h": 3600}
_BOUNDS = ((0, 59), (0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_SEARCH_DAYS = 366 * 5
POLL_SECONDS = 0.2


def _field(text: str, lo: int, hi: int) -> frozenset[int]:
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"step {step_text!r} must be at least 1")
        if base in ("*", "?"):
            start, end = lo, hi
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = int(a), int(b)
        else:
            start = int(base)
            end = hi if step_text else start
        if not lo <= start <= end <= hi:
            raise ValueError(f"{part!r} is outside {lo}-{hi}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


@dataclass(frozen=True)
class Schedule:
    """A parsed timer expression; `next_after(t)` and `latest(since, t)` in Unix seconds."""

    every: int = 0
    fields: tuple[frozenset[int], ...] = ()
    zone: tzinfo = field(default=timezone.utc)

    @classmethod
    def parse(cls, expression: str) -> Schedule:
        text = expression.strip()
        m = _EVERY.match(text)
        if m:
            every = int(m.group(1)) * _UNIT[m.group(2)]
            if every < 1:
                raise ValueError("@every needs a positive interval")
            return cls(every=every)
        zone: tzinfo = timezone.utc
        if text.startswith("CRON_TZ="):
            name, _, text = text[len("CRON_TZ="):].partition(" ")
            try:
                zone = ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r}") from None
        parts = text.split()
        if len(parts) != 6:
            raise ValueError("expected '@every <n>s|m|h' or six cron fields (second minute hour day month weekday)")
        try:
            fields = tuple(_field(p, lo, hi) for p, (lo, hi) in zip(parts, _BOUNDS, strict=True))
        except ValueError as exc:
            raise ValueError(f"bad cron expression {expression!r}: {exc}") from None
        weekdays = frozenset(d % 7 for d in fields[5])
        return cls(fields=fields[:5] + (weekdays,), zone=zone)

    def next_after(self, t: float) -> float:
        """The first tick strictly after `t`."""
        if self.every:
            return (int(t) // self.every + 1) * self.every
        secs, mins, hours, days, months, weekdays = (sorted(f) for f in self.fields)
        start = datetime.fromtimestamp(int(t) + 1, self.zone)
        day = start.date()
        for _ in range(_SEARCH_DAYS):
            if day.month in months and day.day in days and (day.isoweekday() % 7) in weekdays:
                for h in hours:
                    for mi in mins:
                        for s in secs:
                            at = datetime(day.year, day.month, day.day, h, mi, s, tzinfo=self.zone)
                            if at >= start:
                                return at.timestamp()
            day += timedelta(days=1)
        raise ValueError("the cron expression never fires")

    def latest(self, due: float, now: float) -> tuple[float, int]:
        """The newest tick in [due, now] and how many ticks that range holds (`due` is a tick)."""
        if self.every:
            last = (int(now) // self.every) * self.every
            return float(last), int((last - due) // self.every) + 1
        tick, count = due, 1
        while count < 100_000:
            following = self.next_after(tick)
            if following > now:
                break
            tick, count = following, count + 1
        return tick, count


def timer_event(trigger: TimerTrigger, tick: float) -> bytes:
    """The event FC hands a timer-triggered function."""
    when = datetime.fromtimestamp(tick, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return json.dumps({"triggerTime": when, "triggerName": trigger.name, "payload": trigger.payload},
                      separators=(",", ":")).encode()


Enqueue = Callable[[str, bytes, str], str]          # (function, payload, source) -> task id
IsPending = Callable[[str, str], bool]              # (function, task id) -> still queued or retrying


@dataclass
class _Timer:
    function: str
    trigger: TimerTrigger
    schedule: Schedule
    due: float | None = None
    last_tick: float | None = None
    task: str | None = None


class TimerScheduler:
    """One thread for every enabled timer trigger of a runtime; ticks go into the async queue."""

    def __init__(self, functions: Sequence[FunctionSpec], clock: Clock, enqueue: Enqueue,
                 is_pending: IsPending) -> None:
        self.clock = clock
        self._enqueue = enqueue
        self._is_pending = is_pending
        self.timers = [_Timer(fn.name, t, Schedule.parse(t.expression))
                       for fn in functions for t in fn.timer_triggers if t.enabled]
        self.fired = 0
        self.coalesced = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fc-timers", daemon=True)

    def start(self) -> TimerScheduler:
        now = self.clock.now()
        for timer in self.timers:   # armed now: a clock moved right after start still finds its tick
            timer.due = timer.schedule.next_after(now)
        if self.timers:
            self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def poll(self) -> int:
        """Fire what is due at the clock's now; returns the number of invocations queued."""
        now = self.clock.now()
        queued = 0
        for timer in self.timers:
            if timer.due is None or (timer.last_tick is not None and now < timer.last_tick):
                timer.due = timer.schedule.next_after(now)   # start, or a clock moved backwards
                continue
            if now < timer.due:
                continue
            tick, count = timer.schedule.latest(timer.due, now)
            timer.due = timer.schedule.next_after(tick)
            timer.last_tick = tick
            if timer.task is not None and self._is_pending(timer.function, timer.task):
                self.coalesced += count
                log.info("timer tick skipped: the previous one is still queued",
                         extra={"function": timer.function, "trigger": timer.trigger.name, "ticks": count})
                continue
            timer.task = self._enqueue(timer.function, timer_event(timer.trigger, tick),
                                       f"timer:{timer.trigger.name}")
            self.fired += 1
            self.coalesced += count - 1
            queued += 1
            log.info("timer fired", extra={"function": timer.function, "trigger": timer.trigger.name,
                                           "trigger_time": tick, "coalesced": count - 1})
        return queued

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                self.poll()
            except Exception:  # noqa: BLE001 - the scheduler must outlive one bad tick
                log.exception("timer poll failed")
                time.sleep(POLL_SECONDS)
