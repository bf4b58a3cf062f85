"""Token service throughput and latency through the local FC runtime, against STS AssumeRole alone.

Figures: tokens/s sequential and with 16 concurrent clients, p50/p99 latency; the peer measured in
the same run is a bare AssumeRole through the same SDK (operator → `vigil-operator-token`, with a
device-shaped session policy), so `STS share = AssumeRole p50 / token p50`. Each request also does a
registry GET, a nonce PUT and a rate-limit slot PUT; a bare OSS PUT is printed as a second peer.
The rate limit is raised through the environment and requests are spread over many devices, so the
limiter costs its real OSS call but never refuses. Targets (informative, not asserted): p99 < 50 ms,
>= 200 tokens/s.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import oss2
import pytest
import requests
from aliyunsdkcore.client import AcsClient
from aliyunsdksts.request.v20150401.AssumeRoleRequest import AssumeRoleRequest
from vigil_camera import protocol
from vigil_camera.crc import without_crc
from vigil_fn.core.clients import FunctionCredentials, oss_bucket
from vigil_fn.core.config import Settings
from vigil_fn.core.devices import DeviceRecord, Registry
from vigil_fn.core.http import Headers, HttpEvent
from vigil_fn.core.nonces import NonceStore
from vigil_fn.core.ratelimit import RateLimiter
from vigil_fn.core.sts import IssuedCredentials, StsClient, policy_json, split_endpoint
from vigil_fn.core.transport import LeanSession, SmallBodySession
from vigil_fn.token.policy import device_upload_policy
from vigil_fn.token.service import TokenService, build_service

pytestmark = pytest.mark.bench

DEVICES = 64
SEQUENTIAL = 300
CONCURRENT_CLIENTS = 16
CONCURRENT_TOTAL = 1600
PEER_CALLS = 300


@pytest.fixture(scope="module")
def bench_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """`vigil local up` in its own process, as a user runs it: the servers do not share the GIL with
    the 16 client threads of this benchmark."""
    data = tmp_path_factory.mktemp("benchcloud")
    env = {**os.environ, "VIGIL_TOKEN_RATE_PER_MINUTE": "100000",
           "VIGIL_STS_CALLS_PER_SECOND": "100000", "VIGIL_LOG_LEVEL": "WARNING"}
    proc = subprocess.Popen([sys.executable, "-m", "vigil_ops.cli", "local", "up", "--port", "0", "--json",
                             "--data", str(data)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            env=env, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line, "vigil local up exited before it was ready"
        yield SimpleNamespace(**json.loads(line))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _run(call: Callable[[int], None], total: int, clients: int) -> tuple[float, list[float]]:
    """Run `call(i)` `total` times over `clients` threads; (wall seconds, latencies in ms)."""
    latencies: list[float] = []
    lock = threading.Lock()
    counter = iter(range(total))
    errors: list[BaseException] = []

    def worker() -> None:
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            t0 = time.perf_counter()
            try:
                call(i)
            except BaseException as exc:  # noqa: BLE001 - reported after the run
                errors.append(exc)
                return
            dt = (time.perf_counter() - t0) * 1000
            with lock:
                latencies.append(dt)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    assert not errors, errors[0]
    return wall, latencies


def _line(name: str, wall: float, lat: list[float]) -> dict[str, float]:
    fig = {"per_s": len(lat) / wall, "p50": statistics.median(lat), "p99": _percentile(lat, 0.99)}
    print(f"  {name:<34} {fig['per_s']:8.1f}/s   p50 {fig['p50']:7.2f} ms   "
          f"p99 {fig['p99']:7.2f} ms   n={len(lat)}")
    return fig


def _register(operator: oss2.Bucket, master: bytes, prefix: str) -> list[tuple[str, str]]:
    """DEVICES registered devices and their secrets."""
    registry = Registry(operator)
    devices = []
    for i in range(DEVICES):
        device_id = f"{prefix}-{i:03d}-{secrets.token_hex(3)}"
        record = registry.create(DeviceRecord(device_id))
        devices.append((device_id, protocol.device_secret(master, device_id, record.key_version)))
    return devices


def test_token_throughput_and_latency(bench_stack: Any) -> None:
    info = bench_stack
    master = Path(info.master_key_file).read_text().strip().encode()
    operator = oss2.Bucket(oss2.Auth(info.access_key_id, info.access_key_secret), info.oss_endpoint,
                           info.bucket)
    devices = _register(operator, master, "bench")
    base = next(v for k, v in info.functions.items() if k in ("token", "vigil-token")).rstrip("/")
    local = threading.local()

    def session() -> requests.Session:
        if not hasattr(local, "s"):
            local.s = requests.Session()
        return local.s  # type: ignore[no-any-return]

    def token_request(i: int) -> None:
        device_id, secret = devices[i % DEVICES]
        body = b'{"ttl": 900}'
        headers = protocol.signed_headers(device_id, secret, "POST", "/v1/token", body, int(time.time()))
        resp = session().post(base + "/v1/token", data=body, headers=headers, timeout=30)
        assert resp.status_code == 200, resp.text

    sts = StsClient(info.access_key_id, info.access_key_secret, None, info.region, info.sts_endpoint)
    role = f"acs:ram::{info.account_id}:role/vigil-operator-token"

    def assume(i: int) -> None:
        device_id = devices[i % DEVICES][0]
        sts.assume_role(role, device_id, device_upload_policy(info.bucket, device_id), 900)

    def oss_put(i: int) -> None:
        operator.put_object(f"_system/nonces/bench/{i}-{secrets.token_hex(4)}", b"1",
                            headers={"x-oss-forbid-overwrite": "true"})

    for i in range(20):  # warm every worker and connection pool
        token_request(i)
        assume(i)

    print(f"\ntoken service bench ({DEVICES} devices; `vigil local up` in a child process: OSS, STS, "
          f"FC runtime with up to 4 token instances; {os.cpu_count()} CPUs shared with the clients)")
    seq = _line("POST /v1/token sequential", *_run(token_request, SEQUENTIAL, 1))
    _line("POST /v1/token 4 concurrent", *_run(token_request, 600, 4))  # = the instance cap
    conc = _line(f"POST /v1/token {CONCURRENT_CLIENTS} concurrent", *_run(token_request, CONCURRENT_TOTAL,
                                                                           CONCURRENT_CLIENTS))
    peer = _line("peer: AssumeRole (core/sts.py) sequential", *_run(assume, PEER_CALLS, 1))
    put = _line("peer: OSS PutObject sequential", *_run(oss_put, PEER_CALLS, 1))
    share = peer["p50"] / seq["p50"]
    print(f"  ratio token p50 / AssumeRole p50     {seq['p50'] / peer['p50']:.2f}x"
          f"   (STS share of a token request ~ {share:.0%})")
    print(f"  ratio token p50 / OSS PutObject p50  {seq['p50'] / put['p50']:.2f}x")
    print(f"  concurrency speed-up                 {conc['per_s'] / seq['per_s']:.2f}x")
    print(f"  targets: p99 < 50 ms -> seq {seq['p99']:.1f} ms, conc {conc['p99']:.1f} ms; "
          f">= 200 tokens/s -> {conc['per_s']:.0f}/s")
    assert seq["per_s"] > 0 and conc["per_s"] > 0 and 0 < share


class _SdkAssumeRole:
    """AssumeRole through aliyunsdkcore's AcsClient, as `core/sts.py` made it before `core/rpc.py`
    (the peer the lean call is measured against)."""

    def __init__(self, info: Any) -> None:
        self.client = AcsClient(info.access_key_id, info.access_key_secret, info.region, auto_retry=False)
        self.host, self.scheme = split_endpoint(info.sts_endpoint) or ("", "https")

    def assume_role(self, role: str, session: str, policy: dict[str, Any], ttl: int) -> IssuedCredentials:
        request = AssumeRoleRequest()
        request.set_accept_format("json")
        request.set_endpoint(self.host)
        request.set_protocol_type(self.scheme)
        request.set_RoleArn(role)
        request.set_RoleSessionName(session)
        request.set_DurationSeconds(ttl)
        request.set_Policy(policy_json(policy))
        creds = json.loads(self.client.do_action_with_exception(request))["Credentials"]
        return IssuedCredentials(creds["AccessKeyId"], creds["AccessKeySecret"], creds["SecurityToken"],
                                 creds["Expiration"])


def _thread_cpu_ms_per_call(prepare: Callable[[int], Any], call: Callable[[Any], None], total: int,
                            clients: int) -> tuple[float, float]:
    """The CPU of the threads that run `call`, only while they run it, per call (`time.thread_time`).

    Why not `time.process_time()` around the run: that adds every other thread of this process and the
    bench's own work — signing each request as a camera would (`prepare`, done before the clock starts),
    starting and joining the client threads. The servers run in `vigil local up`'s process, so they are
    in neither figure; the thread clock is the function's own CPU and nothing else.
    Returns (thread CPU per call, this process's CPU per call over the same run) in ms."""
    inputs = [prepare(i) for i in range(total)]
    lock = threading.Lock()
    spent = [0.0]

    def timed(i: int) -> None:
        t0 = time.thread_time()
        call(inputs[i])
        dt = time.thread_time() - t0
        with lock:
            spent[0] += dt

    process0 = time.process_time()
    _run(timed, total, clients)
    process = time.process_time() - process0
    return spent[0] * 1000 / total, process * 1000 / total


def test_token_function_cpu_per_token(bench_stack: Any) -> None:
    """The token function's own CPU per token (goal: <= 8 ms sequential, <= 10 ms at 16 clients):
    `TokenService.issue` run in this process over the real SDKs against `vigil local up` (its OSS and
    STS in their own process). The figure is the CPU of the threads calling `issue`, while they call
    it (`_thread_cpu_ms_per_call`): the camera-side signing of each request is done before the clock
    starts. Beside it in the same run: the same service as main had it (OSS over `LeanSession`,
    AssumeRole through aliyunsdkcore), over requests without oss2's CRC and with it (before issue 30),
    and the peers a token cannot do without — a bare AssumeRole and a bare OSS PUT from this process."""
    info = bench_stack
    master = Path(info.master_key_file).read_text().strip().encode()
    operator = oss2.Bucket(oss2.Auth(info.access_key_id, info.access_key_secret), info.oss_endpoint, info.bucket)
    devices = _register(operator, master, "cpu")
    role = f"acs:ram::{info.account_id}:role/vigil-operator-token"
    settings = replace(Settings.from_env({}), region=info.region, bucket=info.bucket, oss_endpoint=info.oss_endpoint,
                       sts_endpoint=info.sts_endpoint, upload_role_arn=role, master_key=master,
                       token_rate_per_minute=100_000, log_level="WARNING")
    creds = FunctionCredentials(info.access_key_id, info.access_key_secret, None)
    service = build_service(settings, creds)
    logging.getLogger("vigil").setLevel(logging.WARNING)
    assert isinstance(service.registry.bucket.session, SmallBodySession)   # oss2 over KeepAlive (core/transport.py)
    assert not service.registry.bucket.enable_crc                       # and CRC-less (vigil_camera.crc)
    # the peers of the same service, as it was: main (ed051de: OSS over LeanSession, AssumeRole
    # through aliyunsdkcore), then also over oss2's requests transport without the CRC (before the
    # urllib3 transport) and with it (before issue 30)
    sdk_sts = _SdkAssumeRole(info)
    sdk_issuer = partial(sdk_sts.assume_role, role)
    main_bucket = without_crc(oss_bucket(settings, creds))   # LeanSession: oss2 over urllib3
    via_sdk = TokenService(settings, Registry(main_bucket), NonceStore(main_bucket),
                           RateLimiter(main_bucket, settings.token_rate_per_minute), sdk_issuer)
    crc_bucket = oss2.Bucket(oss2.Auth(info.access_key_id, info.access_key_secret), info.oss_endpoint, info.bucket)
    crc_bucket.session.session.trust_env = False
    with_crc = TokenService(settings, Registry(crc_bucket), NonceStore(crc_bucket),
                            RateLimiter(crc_bucket, settings.token_rate_per_minute), sdk_issuer)
    plain = without_crc(crc_bucket)
    via_requests = TokenService(settings, Registry(plain), NonceStore(plain),
                                RateLimiter(plain, settings.token_rate_per_minute), sdk_issuer)

    def signed(i: int) -> HttpEvent:
        """A camera's request, signed as the camera signs it (outside the measured CPU)."""
        device_id, secret = devices[i % DEVICES]
        body = b'{"ttl": 900}'
        headers = protocol.signed_headers(device_id, secret, "POST", "/v1/token", body, int(time.time()))
        return HttpEvent("POST", "/v1/token", Headers(headers), {}, body, f"r-{i}")

    def issue(svc: TokenService) -> Callable[[HttpEvent], None]:
        def call(event: HttpEvent) -> None:
            assert svc.issue(event)["statusCode"] == 200
        return call

    def measure(svc: TokenService, total: int, clients: int) -> tuple[float, float]:
        return _thread_cpu_ms_per_call(signed, issue(svc), total, clients)

    sts = StsClient(info.access_key_id, info.access_key_secret, None, info.region, info.sts_endpoint)

    def assume(i: int) -> None:
        device_id = devices[i % DEVICES][0]
        sts.assume_role(role, device_id, device_upload_policy(info.bucket, device_id), 900)

    def assume_sdk(i: int) -> None:
        device_id = devices[i % DEVICES][0]
        sdk_issuer(device_id, device_upload_policy(info.bucket, device_id), 900)

    small = oss2.Bucket(operator.auth, info.oss_endpoint, info.bucket, session=SmallBodySession(), enable_crc=False)
    lean = oss2.Bucket(operator.auth, info.oss_endpoint, info.bucket, session=LeanSession(), enable_crc=False)

    def oss_put(key: str) -> None:   # on the function's own transport
        small.put_object(key, b"", headers={"x-oss-forbid-overwrite": "true"})

    def oss_put_lean(key: str) -> None:
        lean.put_object(key, b"", headers={"x-oss-forbid-overwrite": "true"})

    for svc in (service, via_sdk, with_crc, via_requests):
        measure(svc, 20, 1)   # warm every connection pool
    load = os.getloadavg()
    seq, seq_process = measure(service, SEQUENTIAL, 1)
    conc, conc_process = measure(service, CONCURRENT_TOTAL // 2, CONCURRENT_CLIENTS)
    sdk_seq, _ = measure(via_sdk, SEQUENTIAL, 1)
    sdk_conc, _ = measure(via_sdk, CONCURRENT_TOTAL // 2, CONCURRENT_CLIENTS)
    before, _ = measure(with_crc, SEQUENTIAL, 1)
    plain_requests, _ = measure(via_requests, SEQUENTIAL, 1)
    conc_requests, _ = measure(via_requests, CONCURRENT_TOTAL // 2, CONCURRENT_CLIENTS)
    peer_sts, _ = _thread_cpu_ms_per_call(lambda i: i, assume, PEER_CALLS, 1)
    peer_sdk, _ = _thread_cpu_ms_per_call(lambda i: i, assume_sdk, PEER_CALLS, 1)
    peer_put, _ = _thread_cpu_ms_per_call(lambda i: f"_system/nonces/cpu/{i}-{secrets.token_hex(4)}", oss_put,
                                          PEER_CALLS, 1)
    peer_put_lean, _ = _thread_cpu_ms_per_call(lambda i: f"_system/nonces/cpu/l{i}-{secrets.token_hex(4)}",
                                               oss_put_lean, PEER_CALLS, 1)
    print(f"\ntoken function CPU per token (the calling threads' CPU; {os.cpu_count()} CPUs shared; "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    print(f"  sequential            {seq:6.2f} ms   (goal <= 8 ms: {'held' if seq <= 8 else 'missed'})"
          f"   [whole process over the run: {seq_process:.2f} ms]")
    verdict = "held" if conc <= 10 else "missed"
    print(f"  {CONCURRENT_CLIENTS} clients            {conc:6.2f} ms   (goal <= 10 ms: {verdict})"
          f"   [whole process over the run: {conc_process:.2f} ms]")
    print(f"  peer: main (LeanSession, AssumeRole via aliyunsdkcore) {sdk_seq:6.2f} ms sequential, "
          f"{sdk_conc:6.2f} ms at {CONCURRENT_CLIENTS} clients -> {sdk_seq / seq:.2f}x / {sdk_conc / conc:.2f}x")
    print(f"  peer: requests, CRC (before issue 30) {before:6.2f} ms   -> {before / seq:.2f}x")
    print(f"  peer: requests, no CRC (main before the urllib3 transport) {plain_requests:6.2f} ms sequential, "
          f"{conc_requests:6.2f} ms at {CONCURRENT_CLIENTS} clients -> {plain_requests / seq:.2f}x / "
          f"{conc_requests / conc:.2f}x")
    print(f"  peer: AssumeRole       {peer_sts:6.2f} ms (aliyunsdkcore {peer_sdk:.2f} ms), OSS PUT {peer_put:6.2f} ms "
          f"(LeanSession {peer_put_lean:.2f} ms) -> token / (AssumeRole + 3 OSS calls) "
          f"{seq / (peer_sts + 3 * peer_put):.2f}x")
    assert seq > 0 and conc > 0
