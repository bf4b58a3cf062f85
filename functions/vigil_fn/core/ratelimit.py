"""Per-device token rate limit that holds across function instances, kept in OSS.

Choice: a fixed one-minute window with numbered slots. A granted request claims the object
`_system/nonces/<device>/rl-<window>-<slot>` for the first free slot number, with
`x-oss-forbid-overwrite: true`; OSS makes each slot claimable exactly once, so two instances can
never both get slot N, and a device gets at most `limit` tokens per window however many instances
serve it. The slots live beside the nonces on purpose: `rl-` can never be a nonce (nonces are hex),
the token role already may write (and list) `_system/nonces/`, and the nonce lifecycle rule deletes
them after a day. Slot numbers are zero-padded so keys sort in slot order.

Each instance remembers the next slot to try per device and window, so a device served by one
instance costs one PutObject per token. When another instance took slots meanwhile, the claim
fails once and one prefix listing (`start-after` the failed slot) finds the highest taken slot, so
a device spread over many instances costs at most a few calls, not a walk over every slot. Without
List permission it falls back to walking forward. A full window is remembered, so a client
hammering a limited device costs no further OSS calls.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass

import oss2
from vigil_camera.keys import SYSTEM
from vigil_camera.protocol import validate_device_id

from .nonces import put_new

WINDOW_SECONDS = 60
MAX_LIMIT = 999_999  # slot numbers are padded to six digits


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # seconds until the window ends (when refused)
    slot: int = -1


def slot_key(device_id: str, window: int, slot: int) -> str:
    return f"{slot_prefix(device_id, window)}{slot:06d}"


def slot_prefix(device_id: str, window: int) -> str:
    return f"{SYSTEM}nonces/{validate_device_id(device_id)}/rl-{window}-"


class RateLimiter:
    def __init__(self, bucket: oss2.Bucket, limit_per_window: int,
                 window_seconds: int = WINDOW_SECONDS) -> None:
        if not 1 <= limit_per_window <= MAX_LIMIT:
            raise ValueError(f"the rate limit must be between 1 and {MAX_LIMIT} per window")
        self.bucket = bucket
        self.limit = limit_per_window
        self.window_seconds = window_seconds
        self._next: dict[str, tuple[int, int]] = {}  # device -> (window, next slot to try)
        self._lock = threading.Lock()

    def acquire(self, device_id: str, now: float) -> Decision:
        """Take one slot in the current window, or say how long to wait."""
        window = int(now // self.window_seconds)
        retry_after = max(1, math.ceil((window + 1) * self.window_seconds - now))
        with self._lock:
            w, slot = self._next.get(device_id, (window, 0))
        if w != window:
            slot = 0
        while slot < self.limit:
            if not put_new(self.bucket, slot_key(device_id, window, slot), b""):
                slot = max(slot + 1, self._highest_taken(device_id, window, slot) + 1)
                continue
            self._remember(device_id, window, slot + 1)
            return Decision(True, 0, slot)
        self._remember(device_id, window, slot)
        return Decision(False, retry_after)

    def _highest_taken(self, device_id: str, window: int, after: int) -> int:
        """The highest slot taken after `after` in this window (`after` if none, or no List right)."""
        highest = after
        prefix = slot_prefix(device_id, window)
        start_after = slot_key(device_id, window, after)
        token = ""
        try:
            while True:
                page = self.bucket.list_objects_v2(prefix=prefix, start_after=start_after,
                                                   continuation_token=token, max_keys=1000)
                for info in page.object_list:
                    tail = info.key[len(prefix):]
                    if tail.isdigit():
                        highest = max(highest, int(tail))
                if not page.is_truncated:
                    return highest
                token = page.next_continuation_token
        except oss2.exceptions.AccessDenied:
            return highest

    def _remember(self, device_id: str, window: int, next_slot: int) -> None:
        with self._lock:
            if len(self._next) > 10_000:  # bound the memory of a long-lived instance
                self._next.clear()
            self._next[device_id] = (window, next_slot)


@dataclass(frozen=True)
class Admission:
    """What `StsBudget` decided for one token request."""

    allowed: bool
    wait: float = 0.0        # seconds to hold the request before calling STS (when allowed)
    retry_after: int = 0     # seconds the device is told to come back after (when shed)


class StsBudget:
    """This instance's share of the account's STS AssumeRole quota, as a virtual schedule (GCRA).

    Why: STS answers `Throttling` above ~100 AssumeRole calls a second per account, and a fleet
    whose tokens expired together (an outage of this function) would ask all at once. Each
    instance may call STS at most `rate` times a second; FC caps the function's instances
    (s.yaml `concurrencyConfig.reservedConcurrency`), so the account never sees more than
    instances × rate — without any shared state. A request that can be served within `max_wait`
    holds its slot and waits; beyond that it is shed with 429 and a Retry-After that books it a
    later slot, so a herd comes back spread at the rate STS can serve, not together.

    Pure: the caller passes `now` (monotonic seconds in the function, virtual time in the simulator).
    """

    def __init__(self, rate: float, max_wait: float = 2.0, max_retry_after: int = 900) -> None:
        if rate <= 0:
            raise ValueError("the STS budget must be a positive number of calls per second")
        self.rate = rate
        self.interval = 1.0 / rate
        self.max_wait = max_wait
        self.max_retry_after = max_retry_after
        self._next_free = 0.0    # when the next STS call may start
        self._promised = 0.0     # the last retry slot handed out to a shed request
        self._lock = threading.Lock()

    def would_shed(self, now: float) -> bool:
        """A cheap look before any I/O: is there no slot within `max_wait`? (Takes nothing.)"""
        return self._next_free - now > self.max_wait

    def acquire(self, now: float) -> Admission:
        """Take the next STS slot, or shed with a Retry-After booked behind earlier ones."""
        with self._lock:
            start = max(now, self._next_free)
            if start - now <= self.max_wait:
                self._next_free = start + self.interval
                return Admission(True, start - now)
            return Admission(False, retry_after=self._book(now))

    def shed(self, now: float) -> Admission:
        """Refuse without taking a slot (after `would_shed`), booking a retry slot."""
        with self._lock:
            return Admission(False, retry_after=self._book(now))

    def _book(self, now: float) -> int:
        # retry slots follow the admission schedule at the same rate; unused ones lapse
        slot = max(self._promised, self._next_free) + self.interval
        self._promised = min(slot, now + self.max_retry_after)
        return max(1, min(self.max_retry_after, math.ceil(self._promised - now)))
