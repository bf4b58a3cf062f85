"""The cloud side of the simulation: STS as a token bucket, FC as an instance cap, and the token
function's instances deciding with the real `StsBudget` and the real error answers."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from vigil_camera.credentials import _retry_after
from vigil_fn.core.http import ApiError
from vigil_fn.core.ratelimit import StsBudget
from vigil_fn.token.service import shed_early, sts_unavailable, take_sts_slot


class Sts:
    """AssumeRole as the account sees it: `quota` calls a second (a token bucket holding one second
    of burst); beyond it STS answers `Throttling`. Calls must come in time order."""

    def __init__(self, quota: float, seconds: int) -> None:
        self.quota = quota
        self._tokens = quota
        self._last = 0.0
        self.asked = [0] * (seconds + 1)       # calls per second of simulated time
        self.throttled = [0] * (seconds + 1)

    def call(self, now: float) -> bool:
        """One AssumeRole at `now`: True if served, False if throttled."""
        self._tokens = min(self.quota, self._tokens + (now - self._last) * self.quota)
        self._last = now
        sec = min(int(now), len(self.asked) - 1)
        self.asked[sec] += 1
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.throttled[sec] += 1
        return False


@dataclass
class Timing:
    """Service times of one token request (seconds)."""

    rtt: float = 0.04          # camera <-> FC front door, both ways
    shed: float = 0.002        # an early shed: no I/O
    oss: float = 0.03          # registry GET, nonce PUT, rate-limit slot PUT
    sts: float = 0.05          # one AssumeRole
    cold_start: float = 0.4    # a new FC instance


@dataclass
class Answer:
    """What the camera receives (the fields `TokenProvider.fetch_once` reads from the response)."""

    at: float                  # when the camera has the response (virtual time)
    status: int                # 0 = the service could not be reached
    code: str = ""
    retry_after: float | None = None
    life: float = 0.0          # expiration - server_time of an issued token
    sts_at: float = -1.0       # >= 0: the request waits for STS at this time (then `finish_sts`)
    server_time: int = 0       # the function's clock when it checked the request (int, as sent)


class TokenFunctionFleet:
    """The token function on FC: at most `instances` instances of concurrency 1 (s.yaml), each with
    its own `StsBudget` of `budget / instances` calls a second, as `TokenFunction` builds it."""

    def __init__(self, instances: int, budget: float, timing: Timing, max_wait: float = 2.0) -> None:
        self.cap = instances
        self.rate = budget / instances
        self.timing = timing
        self.max_wait = max_wait
        self.budgets: list[StsBudget] = []
        self._free: list[tuple[float, int]] = []   # (busy until, instance) — the least recently busy first
        self.outages: list[tuple[float, float]] = []
        self.fc_throttled = 0
        self.shed = 0
        self.unreachable = 0

    def down(self, now: float) -> bool:
        return any(start <= now < end for start, end in self.outages)

    def _instance(self, now: float) -> tuple[int, float] | None:
        """An idle instance (or a new one, after its cold start); None when FC is at its cap."""
        if self._free and self._free[0][0] <= now:
            return heapq.heappop(self._free)[1], now
        if len(self.budgets) < self.cap:
            self.budgets.append(StsBudget(self.rate, self.max_wait))
            return len(self.budgets) - 1, now + self.timing.cold_start
        return None

    def request(self, sent: float, ttl: int) -> tuple[Answer, int]:
        """A token request leaving the camera at `sent`: the answer, and the instance it holds
        (-1 when none). An admitted request comes back with `sts_at` set: call `finish_sts`."""
        t = self.timing
        arrive = sent + t.rtt / 2
        if self.down(arrive):
            self.unreachable += 1
            return Answer(sent + t.rtt, 0, "unreachable"), -1
        got = self._instance(arrive)
        if got is None:
            self.fc_throttled += 1   # FC's own 429 (a JSON body without our error shape, no Retry-After)
            return Answer(sent + t.rtt, 429, "bad_response"), -1
        index, start = got
        budget = self.budgets[index]
        try:
            shed_early(budget, start)
            checked = start + t.oss
            wait = take_sts_slot(budget, checked)
        except ApiError as err:
            self.shed += 1
            done = start + t.shed
            self._release(index, done)
            return Answer(done + t.rtt / 2, err.status, err.code, _retry_after(err.headers)), -1
        return Answer(0.0, 200, sts_at=checked + wait, server_time=math.floor(checked)), index

    def finish_sts(self, answer: Answer, index: int, served: bool, ttl: int) -> Answer:
        """STS answered the request of `answer` (served or `Throttling`)."""
        done = answer.sts_at + self.timing.sts
        self._release(index, done)
        back = done + self.timing.rtt / 2
        if not served:
            err = sts_unavailable()
            return Answer(back, err.status, err.code, _retry_after(err.headers))
        # expiration (whole seconds, from STS's clock) minus server_time (int, the function's clock)
        return Answer(back, 200, life=float(math.floor(answer.sts_at + ttl) - answer.server_time))

    def _release(self, index: int, at: float) -> None:
        heapq.heappush(self._free, (at, index))
