"""StsBudget: the token function's share of the STS AssumeRole quota (GCRA with booked retries)."""

from __future__ import annotations

import pytest
from vigil_fn.core.config import Settings
from vigil_fn.core.ratelimit import StsBudget

pytestmark = pytest.mark.unit


def test_never_more_than_rate_calls_in_any_window() -> None:
    budget = StsBudget(rate=10.0, max_wait=2.0)
    starts: list[float] = []
    now = 0.0
    for _ in range(5000):                 # 1000 requests a second for 5 s
        adm = budget.acquire(now)
        if adm.allowed:
            starts.append(now + adm.wait)
        now += 0.001
    starts.sort()
    # any one-second window holds at most rate + 1 STS calls (start and end inclusive)
    for i, t in enumerate(starts):
        inside = [s for s in starts[i:i + 20] if s < t + 1.0]
        assert len(inside) <= 11
    assert 60 <= len(starts) <= 71      # 5 s at 10/s, plus the 2 s the queue may hold


def test_waits_within_max_wait_then_sheds_with_booked_retry_after() -> None:
    budget = StsBudget(rate=1.0, max_wait=2.0)
    assert budget.acquire(0.0).wait == 0.0
    assert budget.acquire(0.0).wait == 1.0
    assert budget.acquire(0.0).wait == 2.0
    assert budget.would_shed(0.0)
    shed = [budget.acquire(0.0) for _ in range(5)]
    assert not any(a.allowed for a in shed)
    # the herd is told to come back one slot apart, after the queue already admitted
    assert [a.retry_after for a in shed] == [4, 5, 6, 7, 8]
    assert budget.shed(0.0).retry_after == 9


def test_unused_bookings_lapse_and_retry_after_is_capped() -> None:
    budget = StsBudget(rate=1.0, max_wait=0.0, max_retry_after=30)
    budget.acquire(0.0)
    assert [budget.acquire(0.5).retry_after for _ in range(100)][-1] == 30
    # much later, nobody came back: the next shed starts from the admission schedule again
    assert budget.acquire(1000.0).allowed
    assert budget.acquire(1000.0).retry_after == 2


def test_rate_must_be_positive() -> None:
    with pytest.raises(ValueError):
        StsBudget(0)


def test_settings_split_the_budget_over_the_instance_cap() -> None:
    s = Settings.from_env({"VIGIL_STS_CALLS_PER_SECOND": "80", "VIGIL_TOKEN_MAX_INSTANCES": "100"})
    assert s.sts_rate_per_instance == pytest.approx(0.8)
    assert Settings.from_env({}).sts_calls_per_second == 80.0
