"""The fleet simulation: a virtual clock, an event heap, N cameras, the token function, STS.

No sleeping: events are processed in time order as fast as Python goes (a simulated day of
100,000 cameras with 4 h tokens takes well under a minute). Deterministic for a seed.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from vigil_camera.credentials import REFRESH_FRACTION, REFRESH_JITTER, TokenError

from .camera import NO_TOKEN, Camera
from .cloud import Answer, Sts, Timing, TokenFunctionFleet

SEND, STS_CALL, RECEIVE = 0, 1, 2


@dataclass
class FleetConfig:
    """One scenario. Times in seconds of simulated time from 0 unless named otherwise."""

    cameras: int = 100_000
    ttl: int = 14_400                  # token lifetime the cameras get (s.yaml VIGIL_TOKEN_TTL_DEFAULT)
    hours: float = 24.0                # simulated duration
    seed: int = 1
    outage_start: float = 7200.0       # the token function is unreachable from here ...
    outage_minutes: float = 0.0        # ... for this long (0: no outage)
    reboot_minutes: float = 0.0        # > 0: every camera boots (without a token) within this window
    growth: float = 1.0                # > 1: the fleet grows to growth x cameras ...
    growth_hours: float = 12.0         # ... new cameras booting evenly over this many hours
    sts_quota: float = 100.0           # AssumeRole calls/s the account gets
    sts_budget: float = 80.0           # what the token function allows itself (VIGIL_STS_CALLS_PER_SECOND)
    fc_instances: int = 100            # token-function instance cap (reservedConcurrency)
    max_wait: float = 2.0              # StsBudget: how long a request may wait for its STS slot
    bitrate_kbps: float = 2000.0       # what a camera records (spooled while it has no token)
    spool_budget_mib: float = 2048.0   # the camera's disk budget for the spool
    timing: Timing = field(default_factory=Timing)

    @property
    def seconds(self) -> int:
        return int(math.ceil(self.hours * 3600))

    @property
    def outage(self) -> tuple[float, float] | None:
        if self.outage_minutes <= 0:
            return None
        return self.outage_start, self.outage_start + self.outage_minutes * 60

    def describe(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["timing"] = asdict(self.timing)
        return doc


@dataclass
class FleetResult:
    config: FleetConfig
    sts_per_second: list[int]
    sts_throttled_per_second: list[int]
    without_token: list[int]              # cameras without a usable token, each second
    requests: int = 0                      # token requests sent by cameras
    issued: int = 0
    shed: int = 0                          # 429 sts_busy answers (the token function shedding)
    fc_throttled: int = 0                  # FC's own 429 at the instance cap
    unreachable: int = 0                   # requests during the outage
    refused: int = 0                       # cameras that got a non-retryable refusal
    max_gap: float = 0.0                   # the longest stretch a camera had no usable token
    last_gap_end: float = 0.0              # when the last camera without a token got one
    open_gaps: int = 0                     # cameras still without a token when the run ended
    instances_used: int = 0
    events: int = 0

    # -- the figures the targets are about -----------------------------------------------------------
    @property
    def sts_mean(self) -> float:
        return sum(self.sts_per_second) / max(1, len(self.sts_per_second))

    @property
    def sts_peak(self) -> int:
        return max(self.sts_per_second, default=0)

    def sts_peak_minute(self) -> float:
        """The busiest minute's mean calls/s."""
        s = self.sts_per_second
        return max((sum(s[i:i + 60]) / 60 for i in range(0, max(1, len(s) - 59), 60)), default=0.0)

    @property
    def throttled(self) -> int:
        return sum(self.sts_throttled_per_second)

    @property
    def spool_peak_mib(self) -> float:
        return self.max_gap * self.config.bitrate_kbps * 1000 / 8 / 2**20

    @property
    def recovery_s(self) -> float | None:
        """After the outage ends (or from the start of a reboot): until every camera holds a usable
        token again. None while some camera is still without one at the end of the run, and for
        scenarios with neither."""
        outage, c = self.config.outage, self.config
        if self.open_gaps or (outage is None and c.reboot_minutes <= 0):
            return None
        origin = outage[1] if outage else 0.0
        return max(0.0, self.last_gap_end - origin)

    def summary(self) -> dict[str, Any]:
        c = self.config
        recovery = self.recovery_s
        return {
            "cameras": c.cameras if c.growth <= 1 else int(c.cameras * c.growth),
            "ttl_s": c.ttl,
            "hours": c.hours,
            "sts_calls_per_s_mean": round(self.sts_mean, 2),
            "sts_calls_per_s_peak_minute": round(self.sts_peak_minute(), 2),
            "sts_calls_per_s_peak_second": self.sts_peak,
            "sts_quota_share_mean": round(self.sts_mean / c.sts_quota, 4),
            "sts_quota_share_peak_minute": round(self.sts_peak_minute() / c.sts_quota, 4),
            "sts_above_quota_seconds": sum(1 for n in self.sts_per_second if n > c.sts_quota),
            "sts_throttled": self.throttled,
            "requests": self.requests,
            "issued": self.issued,
            "shed_429": self.shed,
            "fc_throttled_429": self.fc_throttled,
            "unreachable": self.unreachable,
            "refused": self.refused,
            "max_without_token_s": round(self.max_gap, 1),
            "most_cameras_without_token": max(self.without_token, default=0),
            "recovery_s": None if recovery is None else round(recovery, 1),
            "cameras_without_token_at_end": self.open_gaps,
            "spool_peak_mib": round(self.spool_peak_mib, 1),
            "spool_budget_mib": c.spool_budget_mib,
            "instances_used": self.instances_used,
            "events": self.events,
        }


class Fleet:
    """The event loop over cameras, the token function on FC, and STS."""

    def __init__(self, config: FleetConfig) -> None:
        self.c = config
        self.rng = random.Random(config.seed)                  # what the cameras' provider code draws
        self.world = random.Random(f"{config.seed}-world")     # boot times, token ages
        seconds = config.seconds
        self.end = float(seconds)
        self.sts = Sts(config.sts_quota, seconds)
        self.fn = TokenFunctionFleet(config.fc_instances, config.sts_budget, config.timing, config.max_wait)
        if config.outage:
            self.fn.outages.append(config.outage)
        self.cameras: list[Camera] = []
        self.pending: dict[int, tuple[Answer, int]] = {}
        self.heap: list[tuple[float, int, int, int]] = []
        self.seq = 0
        self.gap_delta = [0] * (seconds + 2)
        self.result = FleetResult(config, self.sts.asked, self.sts.throttled, [])

    def at(self, when: float, kind: int, index: int) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (when, self.seq, kind, index))

    # -- population ---------------------------------------------------------------------------------
    def populate(self) -> None:
        c = self.c
        for _ in range(c.cameras):
            if c.reboot_minutes > 0:
                self._boot(self.world.uniform(0, c.reboot_minutes * 60))
            else:
                self._warm()
        extra = int(round(c.cameras * (c.growth - 1)))
        for _ in range(max(0, extra)):
            self._boot(self.world.uniform(0, c.growth_hours * 3600))

    def _boot(self, when: float) -> None:
        cam = Camera(self.rng, when)
        self.cameras.append(cam)
        self.at(when, SEND, len(self.cameras) - 1)

    def _warm(self) -> None:
        """A camera that has been running a long time: where it stands in its refresh cycle is drawn
        from the stationary distribution (a length-biased cycle, a uniform point in it), so a
        steady-state run starts steady instead of ringing at the cycle length."""
        cam = Camera(self.rng, 0.0)
        life = float(self.c.ttl)
        low = life * (REFRESH_FRACTION - REFRESH_JITTER)
        high = life * (REFRESH_FRACTION + REFRESH_JITTER)
        cycle = math.sqrt(low * low + self.world.random() * (high * high - low * low))
        cam.refresh_at = self.world.random() * cycle
        cam.expiry = cam.refresh_at - cycle + life
        self.cameras.append(cam)
        self.at(cam.refresh_at, SEND, len(self.cameras) - 1)

    # -- events ---------------------------------------------------------------------------------------
    def run(self, progress: Callable[[float], None] | None = None) -> FleetResult:
        self.populate()
        heap, end, r = self.heap, self.end, self.result
        tick = 600.0
        next_tick = tick
        pop = heapq.heappop
        while heap:
            now, _, kind, index = pop(heap)
            if now >= end:
                break
            r.events += 1
            if progress is not None and now >= next_tick:
                progress(now)
                next_tick = (now // tick + 1) * tick
            if kind == SEND:
                self._send(now, index)
            elif kind == STS_CALL:
                self._sts(now, index)
            else:
                self._receive(now, index)
        self._finish()
        if progress is not None:
            progress(end)
        return r

    def _send(self, now: float, index: int) -> None:
        cam = self.cameras[index]
        cam.send(now)
        self.result.requests += 1
        answer, instance = self.fn.request(now, self.c.ttl)
        self.pending[index] = (answer, instance)
        if answer.sts_at >= 0:
            self.at(answer.sts_at, STS_CALL, index)
        else:
            self.at(answer.at, RECEIVE, index)

    def _sts(self, now: float, index: int) -> None:
        answer, instance = self.pending[index]
        final = self.fn.finish_sts(answer, instance, self.sts.call(now), self.c.ttl)
        self.pending[index] = (final, -1)
        self.at(final.at, RECEIVE, index)

    def _receive(self, now: float, index: int) -> None:
        answer, _ = self.pending.pop(index)
        cam = self.cameras[index]
        r = self.result
        if answer.status == 200:
            r.issued += 1
            gap = cam.issued(now, answer.life, self.rng)
            if gap is not None:
                self._gap(*gap)
            self.at(cam.refresh_at, SEND, index)
            return
        err = TokenError(answer.code, "", answer.status, answer.retry_after)
        again = cam.failed(now, err)
        if again is None:
            r.refused += 1
        else:
            self.at(again, SEND, index)

    def _gap(self, start: float, end: float) -> None:
        r = self.result
        r.max_gap = max(r.max_gap, end - start)
        r.last_gap_end = max(r.last_gap_end, end)
        lo = max(0, int(start))
        hi = max(lo, min(int(end), len(self.gap_delta) - 1))
        self.gap_delta[lo] += 1
        self.gap_delta[hi] -= 1

    def _finish(self) -> None:
        r = self.result
        for cam in self.cameras:
            start = cam.since if cam.expiry == NO_TOKEN else cam.usable_until()
            if start < self.end:           # without a usable token when the run ends
                r.open_gaps += 1
                self._gap(start, self.end)
        count, series = 0, []
        for delta in self.gap_delta[:-2]:
            count += delta
            series.append(count)
        r.without_token = series
        seconds = self.c.seconds
        r.sts_per_second = self.sts.asked[:seconds]
        r.sts_throttled_per_second = self.sts.throttled[:seconds]
        r.fc_throttled = self.fn.fc_throttled
        r.shed = self.fn.shed
        r.unreachable = self.fn.unreachable
        r.instances_used = len(self.fn.budgets)


def run_fleet(config: FleetConfig, progress: Callable[[float], None] | None = None) -> FleetResult:
    """Run one scenario to its end; `progress(simulated_seconds)` is called every 10 simulated minutes."""
    return Fleet(config).run(progress)
