"""Exponential backoff with full jitter: a fleet that lost the token service together must not
come back together (architecture §3: STS allows ~100 AssumeRole calls a second per account)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)   # small: a fleet simulation holds one per camera
class Backoff:
    """Delay n is uniform in [base * 2**n * (1 - jitter), base * 2**n], capped at `cap`.

    `jitter=1.0` is AWS-style full jitter. A server's Retry-After is a floor, never shortened.
    """

    base: float = 0.5
    cap: float = 60.0
    jitter: float = 1.0
    attempt: int = 0
    rng: random.Random = field(default_factory=random.Random)

    def bounds(self, attempt: int | None = None) -> tuple[float, float]:
        n = self.attempt if attempt is None else attempt
        high = min(self.cap, self.base * (2 ** min(n, 32)))
        return high * (1.0 - self.jitter), high

    def next_delay(self, retry_after: float | None = None) -> float:
        low, high = self.bounds()
        self.attempt += 1
        delay = self.rng.uniform(low, high)
        if retry_after is not None and retry_after > delay:
            # jitter on top of the server's floor spreads the reconnecting fleet
            delay = min(max(self.cap, retry_after), retry_after + self.rng.uniform(0, max(0.0, high - low)))
        return delay

    def reset(self) -> None:
        self.attempt = 0
