"""What a full revocation policy costs every request (`make bench`): small PutObjects (operator key)
on a bucket whose 16 KB bucket policy holds the most denies it can (168), vs the same
PutObjects on a bucket without a policy, in the same run."""

from __future__ import annotations

import statistics
import time
from typing import Any

import oss2
import pytest
from vigil_fn.core.revocation import RevocationFull, Revoker

pytestmark = pytest.mark.bench
N = 300


def _puts(bucket: oss2.Bucket, prefix: str) -> float:
    """Median seconds per 1 KB PutObject."""
    times = []
    for i in range(N):
        start = time.perf_counter()
        bucket.put_object(f"{prefix}/{i}", b"x" * 1024)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def test_put_latency_with_a_full_revocation_policy(cloud: Any) -> None:
    plain, full = cloud.bucket("sec-bench-plain"), cloud.bucket("sec-bench-full")
    for b in (plain, full):
        b.create_bucket()
    try:
        revoker = Revoker(full, f"acs:ram::{cloud.account_id}:role/vigil-device-upload", 3600)
        denies = 0
        while True:
            try:
                revoker.revoke(f"cam-{denies:05d}-lobby-doors", 1_700_000_000_000 + denies)
            except RevocationFull:
                break
            denies += 1
        _puts(plain, "warm"), _puts(full, "warm")
        without = _puts(plain, "p")
        with_policy = _puts(full, "p")
        print(f"\nPutObject 1 KB, operator key, median of {N} (machine shared, loaded): "
              f"no bucket policy {without * 1000:.2f} ms, {denies}-deny 16 KB policy "
              f"{with_policy * 1000:.2f} ms, ratio {with_policy / without:.2f}")
        assert with_policy / without < 1.5
    finally:
        for b in (plain, full):
            try:
                b.delete_bucket_policy()
            except oss2.exceptions.OssError:
                pass
            for info in oss2.ObjectIteratorV2(b):
                b.delete_object(info.key)
            b.delete_bucket()
