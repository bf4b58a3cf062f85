"""Replay guard and rate limit hold across function instances: OSS decides, not instance memory."""

from __future__ import annotations

import secrets
import threading
from typing import Any

import oss2
import pytest
from vigil_fn.core.nonces import NonceStore
from vigil_fn.core.ratelimit import RateLimiter

pytestmark = pytest.mark.integration


def _race(calls: list[Any]) -> list[Any]:
    results: list[Any] = [None] * len(calls)
    barrier = threading.Barrier(len(calls))

    def run(i: int) -> None:
        barrier.wait()
        results[i] = calls[i]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def test_a_nonce_is_taken_once_across_instances(parity_cloud: Any) -> None:
    instances = [NonceStore(parity_cloud.operator_bucket()) for _ in range(8)]
    nonce = secrets.token_hex(16)
    results = _race([lambda s=s: s.claim("cam-race", nonce, 1) for s in instances])
    assert sorted(results) == [False] * 7 + [True]
    assert instances[0].claim("cam-race", secrets.token_hex(16), 1) is True


def test_rate_limit_is_exact_across_instances(parity_cloud: Any) -> None:
    limiters = [RateLimiter(parity_cloud.operator_bucket(), limit_per_window=5) for _ in range(3)]
    now = 1_800_000_010.0
    calls = [lambda lim=lim: lim.acquire("cam-burst", now) for lim in limiters for _ in range(4)]
    decisions = _race(calls)
    granted = sorted(d.slot for d in decisions if d.allowed)
    assert granted == [0, 1, 2, 3, 4]  # each slot exactly once, fleet-wide
    refused = [d for d in decisions if not d.allowed]
    assert len(refused) == 7 and all(d.retry_after == 50 for d in refused)
    # the next window starts afresh; another device is independent
    assert limiters[0].acquire("cam-burst", now + 60).allowed
    assert limiters[1].acquire("cam-other", now).allowed


class CountingBucket(oss2.Bucket):
    """The real oss2 Bucket, counting the requests it sends (to check the limiter's call budget)."""

    puts = 0
    lists = 0

    def put_object(self, *args: Any, **kwargs: Any) -> Any:
        self.puts += 1
        return super().put_object(*args, **kwargs)

    def list_objects_v2(self, *args: Any, **kwargs: Any) -> Any:
        self.lists += 1
        return super().list_objects_v2(*args, **kwargs)


def test_stale_instance_jumps_to_the_free_slot_with_one_listing(parity_cloud: Any) -> None:
    info = parity_cloud.info
    busy = RateLimiter(parity_cloud.operator_bucket(), limit_per_window=100)
    now = 1_800_000_070.0
    for _ in range(30):
        assert busy.acquire("cam-spread", now).allowed
    counting = CountingBucket(oss2.Auth(info.access_key_id, info.access_key_secret), info.oss_endpoint,
                              info.bucket)
    stale = RateLimiter(counting, limit_per_window=100)
    decision = stale.acquire("cam-spread", now)
    assert decision.allowed and decision.slot == 30
    assert (counting.puts, counting.lists) == (2, 1)  # failed claim of 0, one listing, claim of 30
    assert stale.acquire("cam-spread", now).slot == 31 and counting.puts == 3  # warm: one PUT
