"""FC runtime benchmarks: HTTP-trigger latency vs a bare stdlib HTTP server, and OSS PUT →
function invocation throughput with 16 writers vs the same PUTs with no trigger. `make bench`."""

from __future__ import annotations

import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from localcloud.common.clock import Clock
from localcloud.common.httpserver import ServerThread
from localcloud.fc.runtime import FCRuntime
from localcloud.oss.model.store import Store
from localcloud.oss.protocol.server import make_server
from localcloud.oss.protocol.service import OSSService
from localcloud.ram.model import RamModel

pytestmark = pytest.mark.bench
REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "tests" / "fixtures" / "fc_app" / "s.yaml"
BUCKET = "fcbench"
HTTP_REQUESTS = 2000
WRITERS = 16
EVENTS = 1600


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


@pytest.fixture(scope="module")
def fcbench_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("fcbench")
    clock = Clock()
    ram = RamModel.load(REPO / "infra" / "ram", root / "ram", "1234567890123456", BUCKET, clock)
    store = Store(root / "oss", clock, "cn-hangzhou", "1234567890123456")
    store.create_bucket(BUCKET)
    server = make_server(OSSService(store, ram, clock, "admin"), "127.0.0.1", 0)
    oss_thread = ServerThread(server, "fcbench-oss").start()
    records = root / "records"
    records.mkdir()
    runtime = FCRuntime(SPEC, root / "fc", ram, store.outbox, clock, "127.0.0.1", 0, None,
                        {"FCAPP_BUCKET": BUCKET, "FCAPP_RECORD_DIR": str(records)})
    runtime.start()
    ak, secret = ram.operator_key()
    try:
        yield {"runtime": runtime, "records": records, "endpoint": f"http://127.0.0.1:{server.port}",
               "key": (ak, secret)}
    finally:
        runtime.stop()
        oss_thread.stop()
        store.close()


class _Peer(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        body = b"plain text"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _NoDelayServer(ThreadingHTTPServer):
    """A bare stdlib server, with TCP_NODELAY as any latency-minded server sets (else 40 ms ACK delays)."""

    daemon_threads = True

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()


def _latencies(url: str, n: int) -> list[float]:
    session = requests.Session()
    for _ in range(50):  # warm up (instance start, connection)
        session.get(url, timeout=10)
    out = []
    for _ in range(n):
        start = time.perf_counter()
        r = session.get(url, timeout=10)
        out.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200 and r.content == b"plain text"
    return out


def test_http_trigger_latency_vs_bare_server(fcbench_stack: dict[str, Any]) -> None:
    peer = _NoDelayServer(("127.0.0.1", 0), _Peer)
    thread = threading.Thread(target=peer.serve_forever, daemon=True)
    thread.start()
    try:
        fc = _latencies(fcbench_stack["runtime"].function_urls["fcapp-echo"] + "/text", HTTP_REQUESTS)
        bare = _latencies(f"http://127.0.0.1:{peer.server_address[1]}/text", HTTP_REQUESTS)
    finally:
        peer.shutdown()
        peer.server_close()
    fc50, fc99, b50, b99 = _pct(fc, 50), _pct(fc, 99), _pct(bare, 50), _pct(bare, 99)
    print(f"\nHTTP trigger round trip ({HTTP_REQUESTS} sequential keep-alive GETs): "
          f"p50 {fc50:.2f} ms, p99 {fc99:.2f} ms, mean {statistics.mean(fc):.2f} ms (target p99 < 15 ms)")
    print(f"bare stdlib HTTP server, same request: p50 {b50:.2f} ms, p99 {b99:.2f} ms")
    print(f"ratio FC/bare: p50 x{fc50 / b50:.1f}, p99 x{fc99 / b99:.1f}")
    assert len(fc) == len(bare) == HTTP_REQUESTS


_WRITER_SCRIPT = """
import sys, threading, oss2
endpoint, ak, secret, bucket, prefix, n, writers = sys.argv[1:8]
n, writers = int(n), int(writers)
def run(i):
    b = oss2.Bucket(oss2.Auth(ak, secret), endpoint, bucket)
    for j in range(i, n, writers):
        b.put_object(f"{prefix}{j:06d}", b"e")
threads = [threading.Thread(target=run, args=(i,)) for i in range(writers)]
[t.start() for t in threads]
[t.join() for t in threads]
"""


class Phase:
    """Where the machine's time went while a phase ran: the writer process's CPU (it exits within
    the phase), this process's (localcloud's OSS server and the FC dispatcher), and every core's
    busy, I/O-wait and idle share from /proc/stat (the FC workers and everything else included)."""

    def __init__(self) -> None:
        self.wall, self._c0, self._p0, self._m0 = time.perf_counter(), _children_cpu(), time.process_time(), _ticks()

    def end(self) -> Phase:
        self.wall = time.perf_counter() - self.wall
        self.writer_cpu, self.server_cpu = _children_cpu() - self._c0, time.process_time() - self._p0
        ticks = [b - a for a, b in zip(self._m0, _ticks(), strict=True)]
        total = sum(ticks) or 1
        self.idle, self.iowait = ticks[3] / total, ticks[4] / total
        return self

    def describe(self, n: int) -> str:
        return (f"CPU per PUT: writers {self.writer_cpu / n * 1000:.2f} ms, OSS server + FC dispatcher "
                f"{self.server_cpu / n * 1000:.2f} ms; machine ({os.cpu_count()} cores) busy "
                f"{(1 - self.idle - self.iowait) * 100:.0f} %, I/O wait {self.iowait * 100:.0f} %, "
                f"idle {self.idle * 100:.0f} %")


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ticks() -> list[int]:
    """The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal."""
    with open("/proc/stat") as f:
        return [int(v) for v in f.readline().split()[1:9]]


def _put_all(endpoint: str, key: tuple[str, str], prefix: str, n: int) -> Phase:
    """16 writer threads in a separate process (cameras are not inside the server process)."""
    phase = Phase()
    subprocess.run([sys.executable, "-c", _WRITER_SCRIPT, endpoint, key[0], key[1], BUCKET, prefix,
                    str(n), str(WRITERS)], check=True, timeout=600)
    return phase.end()


def _count(log: Path) -> int:
    if not log.exists():
        return 0
    with open(log) as f:
        return sum(1 for _ in f)


def test_oss_put_to_invocation_throughput(fcbench_stack: dict[str, Any]) -> None:
    endpoint, key = fcbench_stack["endpoint"], fcbench_stack["key"]
    log = fcbench_stack["records"] / "count.log"
    # Peer: the same PUTs to a prefix no trigger matches (OSS alone, same run).
    plain = _put_all(endpoint, key, "nobench/", EVENTS)
    put_only = plain.wall
    start = time.perf_counter()
    triggered = _put_all(endpoint, key, "bench/", EVENTS)
    put_s = triggered.wall
    done_at_put_end = _count(log)
    drain_start = time.perf_counter()
    deadline = time.monotonic() + 300
    while True:
        count = _count(log)
        if count >= EVENTS or time.monotonic() > deadline:
            break
        time.sleep(0.01)
    total = time.perf_counter() - start
    drain = time.perf_counter() - drain_start
    rate, put_rate = EVENTS / total, EVENTS / put_only
    print(f"\nOSS PUT → function invocation, {WRITERS} writers, {EVENTS} events: {rate:.0f} events/s "
          f"(all invoked {total:.2f} s after the first PUT; PUT phase {put_s:.2f} s) "
          "(target >= 300 events/s)")
    print(f"peer: same PUTs with no trigger: {put_rate:.0f} PUT/s; "
          f"ratio triggered/plain x{rate / put_rate:.2f}")
    print(f"  plain PUTs: {plain.describe(EVENTS)}")
    print(f"  triggered PUTs: {triggered.describe(EVENTS)}")
    per_put = (plain.writer_cpu + plain.server_cpu) / EVENTS
    print(f"  the writers and the server alone, at {per_put * 1000:.2f} ms of CPU per PUT, would fill "
          f"{os.cpu_count()} cores at {(os.cpu_count() or 1) / per_put:.0f} PUT/s")
    if EVENTS > done_at_put_end:
        print(f"invoked by the end of the PUT phase: {done_at_put_end}; the rest drained at "
              f"{(EVENTS - done_at_put_end) / drain:.0f} events/s once the writers stopped")
    started = fcbench_stack["runtime"].instances_started("fcapp-counter")
    print(f"instances started for the counter: {started}, cpus {os.cpu_count()}")
    assert count == EVENTS
