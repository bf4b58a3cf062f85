"""One simulated camera: the token lifecycle of `vigil_camera.credentials.TokenProvider`, event-driven.

The provider is called by the uploader whenever a clip needs a token; it fetches when the token is
due (`refresh_at`) or when its backoff allows (`next_attempt`). The simulation calls it exactly at
those moments — the earliest the real camera would ask — with the provider's own functions:
`refresh_time` for the schedule, `token_backoff` for the retry delays, `TokenError.retryable` for
what is worth retrying. `tests/unit/device_client/test_sim_camera.py` checks, for a fixed seed, that
a real `TokenProvider` asks at the very same virtual times.
"""

from __future__ import annotations

import random

from vigil_camera.credentials import (
    REFRESH_FRACTION,
    REFRESH_JITTER,
    USABLE_MARGIN,
    TokenError,
    refresh_time,
    token_backoff,
)

NO_TOKEN = float("-inf")


class Camera:
    """The provider's state that decides when it asks: token expiry, refresh time, backoff."""

    __slots__ = ("backoff", "expiry", "refresh_at", "since", "sent", "refused", "fetches", "requests")

    def __init__(self, rng: random.Random, booted: float) -> None:
        self.backoff = token_backoff(rng)
        self.expiry = NO_TOKEN       # monotonic time the current token dies (fetched + life)
        self.refresh_at = booted     # when the next request goes out
        self.since = booted          # start of the current stretch without a usable token
        self.sent = 0.0
        self.refused = False
        self.fetches = 0
        self.requests = 0

    def usable_until(self) -> float:
        """The provider hands the token out until `USABLE_MARGIN` seconds before it expires."""
        return self.expiry - USABLE_MARGIN

    def send(self, now: float) -> None:
        self.sent = now
        self.requests += 1

    def issued(self, now: float, life: float, rng: random.Random) -> tuple[float, float] | None:
        """A token arrived at `now` (`life` = expiration - server_time). Returns the stretch without
        a usable token this ends (start, end), if there was one; schedules the next refresh."""
        gap = None
        start = self.since if self.expiry == NO_TOKEN else self.usable_until()
        if start < now:
            gap = (start, now)
        fetched = (self.sent + now) / 2.0          # as fetch_once: the middle of the round trip
        self.expiry = fetched + life
        self.refresh_at = refresh_time(fetched, life, REFRESH_FRACTION, REFRESH_JITTER, rng)
        self.backoff.reset()
        self.fetches += 1
        return gap

    def failed(self, now: float, err: TokenError) -> float | None:
        """A refusal or failure at `now`: when to ask again (None: a refusal, the provider gives up)."""
        if not err.retryable:
            self.refused = True
            return None
        return now + self.backoff.next_delay(err.retry_after)
