"""AssumeRole latency through the real SDK against localcloud STS, with peers measured in the same run.

Peers: GetCallerIdentity over the same client and server (same RPC path, signature check and
caller resolution, no session minting) and the raw model `issue_session` (minting without HTTP or
the SDK). Target: AssumeRole p99 < 20 ms on this machine. Run with `make bench`.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdksts.request.v20150401.AssumeRoleRequest import AssumeRoleRequest
from aliyunsdksts.request.v20150401.GetCallerIdentityRequest import GetCallerIdentityRequest
from localcloud.common.clock import Clock
from localcloud.common.httpserver import ServerThread
from localcloud.ram.model import RamModel
from localcloud.sts.server import make_server
from localcloud.sts.service import STSService

pytestmark = pytest.mark.bench

RAM_DIR = Path(__file__).resolve().parents[2] / "infra" / "ram"
CALLS = 1000
WARMUP = 50
TARGET_P99_MS = 20.0


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(fn: Callable[[int], object], n: int) -> list[float]:
    for i in range(WARMUP):
        fn(-1 - i)
    out = []
    for i in range(n):
        start = time.perf_counter()
        fn(i)
        out.append((time.perf_counter() - start) * 1000)
    return out


def summary(name: str, samples: list[float]) -> str:
    return (
        f"{name:<34} n={len(samples)} p50={percentile(samples, 0.5):7.3f} ms "
        f"p99={percentile(samples, 0.99):7.3f} ms mean={statistics.fmean(samples):7.3f} ms"
    )


def test_assume_role_latency(tmp_path: Path) -> None:
    clock = Clock()
    ram = RamModel.load(RAM_DIR, tmp_path / "ram", "1234567890123456", "vigil-bench", clock)
    server = make_server(STSService(ram, clock), "127.0.0.1", 0)
    thread = ServerThread(server, "bench-sts").start()
    try:
        fn = ram.issue_session(
            ram.role_arn("vigil-token-fn"), "fc-token", 3600, None, None, "fc.aliyuncs.com"
        )
        client = AcsClient(
            region_id="cn-hangzhou",
            timeout=10,
            credential=StsTokenCredential(fn.access_key_id, fn.access_key_secret, fn.security_token),
        )
        caller = ram.resolve(fn.access_key_id, fn.security_token)
        upload_arn = ram.role_arn("vigil-device-upload")
        endpoint = f"127.0.0.1:{server.port}"

        def session_policy(i: int) -> str:
            device = f"cam-{i % 100:03d}"
            return json.dumps(
                {
                    "Version": "1",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": ["oss:PutObject", "oss:AbortMultipartUpload", "oss:ListParts"],
                            "Resource": [
                                f"acs:oss:*:*:vigil-bench/videos/{device}/*",
                                f"acs:oss:*:*:vigil-bench/live/{device}/*",
                            ],
                        }
                    ],
                }
            )

        issued: set[str] = set()

        def assume_role(i: int) -> None:
            req = AssumeRoleRequest()
            req.set_endpoint(endpoint)
            req.set_protocol_type("http")
            req.set_RoleArn(upload_arn)
            req.set_RoleSessionName(f"cam-{abs(i) % 100:03d}")
            req.set_DurationSeconds(900)
            req.set_Policy(session_policy(abs(i)))
            body = json.loads(client.do_action_with_exception(req))
            issued.add(body["Credentials"]["AccessKeyId"])

        def caller_identity(_: int) -> None:
            req = GetCallerIdentityRequest()
            req.set_endpoint(endpoint)
            req.set_protocol_type("http")
            body = json.loads(client.do_action_with_exception(req))
            assert body["IdentityType"] == "AssumedRoleUser"

        policies = [json.loads(session_policy(i)) for i in range(100)]

        def model_only(i: int) -> None:
            ram.issue_session(
                upload_arn, f"cam-{abs(i) % 100:03d}", 900, policies[abs(i) % 100], caller, None
            )

        sdk_assume = measure(assume_role, CALLS)
        sdk_identity = measure(caller_identity, CALLS)
        raw_model = measure(model_only, CALLS)
    finally:
        thread.stop()

    assert len(issued) == CALLS + WARMUP  # every call minted a distinct session
    p99 = percentile(sdk_assume, 0.99)
    print()
    print(summary("AssumeRole (SDK over HTTP)", sdk_assume))
    print(summary("peer: GetCallerIdentity (SDK/HTTP)", sdk_identity))
    print(summary("peer: model issue_session (no HTTP)", raw_model))
    print(
        f"ratio p50 AssumeRole / GetCallerIdentity = "
        f"{percentile(sdk_assume, 0.5) / percentile(sdk_identity, 0.5):.2f}x"
    )
    print(
        f"ratio p50 AssumeRole / model issue_session = "
        f"{percentile(sdk_assume, 0.5) / percentile(raw_model, 0.5):.1f}x"
    )
    print(f"target p99 < {TARGET_P99_MS} ms: {'met' if p99 < TARGET_P99_MS else 'NOT met'} ({p99:.3f} ms)")


def test_policy_evaluate_per_request_cost(tmp_path: Path) -> None:
    """`policy.evaluate` runs for every OSS request: compiled+cached vs compiling each time (peer)."""
    from localcloud.ram import policy

    ram = RamModel.load(RAM_DIR, tmp_path / "ram", "1234567890123456", "vigil-bench", Clock())
    creds = ram.issue_session(ram.role_arn("vigil-api-fn"), "fc-api", 3600, None, None, "fc.aliyuncs.com")
    principal = ram.resolve(creds.access_key_id, creds.security_token)
    keys = [
        f"acs:oss:*:*:vigil-bench/videos/cam-{i % 50:03d}/2026/11/28/1200{i:05d}Z-1.ts" for i in range(5000)
    ]
    ctx = {"acs:SourceIp": "127.0.0.1", "acs:SecureTransport": "false"}
    decisions: list[str] = []

    def cached(i: int) -> None:
        decisions.append(
            policy.evaluate(
                ram.resolve(creds.access_key_id, creds.security_token),
                "oss:GetObject",
                keys[abs(i) % 5000],
                ctx,
            )
        )

    def uncached(i: int) -> None:
        verdict = policy.IMPLICIT_DENY
        for doc in principal.policies:
            d = policy.compile_policy(doc).decide("oss:GetObject", keys[abs(i) % 5000], ctx)
            verdict = d if d != policy.IMPLICIT_DENY else verdict
        decisions.append(verdict)

    fast = measure(cached, 5000)
    slow = measure(uncached, 5000)
    assert set(decisions) == {"Allow"}
    print()
    print(summary("resolve+evaluate (compiled, cached)", [s * 1000 for s in fast]).replace(" ms", " us"))
    print(summary("peer: compile on every request", [s * 1000 for s in slow]).replace(" ms", " us"))
    print(f"ratio p50 uncached / cached = {percentile(slow, 0.5) / percentile(fast, 0.5):.1f}x")
