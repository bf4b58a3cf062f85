"""The per-address login limit (the HTTP tests lift it, since they all come from 127.0.0.1): the same
shared OSS limiter as the token function, through the api's own check, against localcloud."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from vigil_fn.api.services import Services
from vigil_fn.core.http import ApiError
from vigil_fn.core.ratelimit import RateLimiter


def test_per_client_limit_counts_attempts_across_user_names(cloud: Any) -> None:
    bucket = cloud.bucket()
    svc = Services.__new__(Services)
    svc.user_limiter = RateLimiter(bucket, 100)
    svc.client_limiter = RateLimiter(bucket, 3)
    svc.clock = lambda: 1_800_000_030.0
    address = f"10.9.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    for i in range(3):
        svc.check_login_rate(f"user-{i}", address)
    other = RateLimiter(bucket, 3)  # a second instance sees the same slots
    svc.client_limiter = other
    with pytest.raises(ApiError) as err:
        svc.check_login_rate("user-9", address)
    assert err.value.status == 429 and err.value.code == "rate_limited"
    assert err.value.headers["Retry-After"] == "30"
    svc.check_login_rate("user-9", address + "0")  # another address is not affected
