"""OSS throughput and memory: localcloud (oss2 clients) vs moto's S3 server (boto3), same run.

Both servers run in child processes so neither shares the GIL with the clients that load it.
Printed: MB/s of PUT and GET for 1 MB and 8 MB objects with 1 and 16 concurrent clients, the
ratio localcloud/moto (target ≥ 2x), and localcloud's peak RSS while one client PUTs and GETs a
1 GB object (target < 150 MB). Figures are printed, not asserted against wall-clock targets.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import oss2
import psutil
import pytest
from botocore.config import Config

pytestmark = pytest.mark.bench

MB = 1024 * 1024
SIZES = [1 * MB, 8 * MB]
CONCURRENCY = [1, 16]
BYTES_PER_CASE = 128 * MB  # per size/concurrency case and direction
BIG = 1024 * MB


MOTO_CHILD = """
import sys
from moto.server import ThreadedMotoServer
server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(server.get_host_and_port()[1], flush=True)
sys.stdin.read()  # runs until the parent closes stdin
server.stop()
"""


@pytest.fixture(scope="module")
def localcloud_proc(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[dict[str, str], psutil.Process]]:
    data = tmp_path_factory.mktemp("oss-bench")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "localcloud.oss.protocol.standalone",
            "--data",
            str(data),
            "--bucket",
            "bench",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    info = json.loads(proc.stdout.readline())
    try:
        yield info, psutil.Process(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """moto's S3 server in its own process (like localcloud's), started from a -c snippet."""
    proc = subprocess.Popen([sys.executable, "-c", MOTO_CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdin is not None
    port = int(proc.stdout.readline())
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _run(workers: int, ops: int, fn: Callable[[int, int], None]) -> tuple[float, int]:
    """(seconds, calls) to run about `ops` calls of fn(worker, i) over `workers` threads."""
    per = max(1, ops // workers)
    start = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(lambda w=w: [fn(w, i) for i in range(per)]) for w in range(workers)]
        for f in futures:
            f.result()
    return time.perf_counter() - start, per * workers


def _oss_clients(info: dict[str, str], n: int) -> list[oss2.Bucket]:
    auth = oss2.Auth(info["access_key_id"], info["access_key_secret"])
    return [oss2.Bucket(auth, info["endpoint"], info["bucket"], session=oss2.Session()) for _ in range(n)]


def _s3_clients(endpoint: str, n: int) -> list:
    session = boto3.session.Session()
    cfg = Config(max_pool_connections=32, retries={"max_attempts": 1})
    clients = [
        session.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=cfg,
        )
        for _ in range(n)
    ]
    clients[0].create_bucket(Bucket="bench")
    return clients


def _mbps(nbytes: int, seconds: float) -> float:
    return nbytes / MB / seconds


def _case(oss: list, s3: list, size: int, conc: int) -> list[tuple[int, int, str, float, float]]:
    """PUT then GET of `size`-byte objects with `conc` clients, on both servers."""
    payload = os.urandom(size)
    ops = max(conc, BYTES_PER_CASE // size)
    key = f"bench/{size}/{conc}"

    def oss_put(w: int, i: int) -> None:
        oss[w].put_object(f"{key}/{w}/{i}", payload)

    def oss_get(w: int, i: int) -> None:
        assert len(oss[w].get_object(f"{key}/{w}/{i}").read()) == size

    def s3_put(w: int, i: int) -> None:
        s3[w].put_object(Bucket="bench", Key=f"{key}/{w}/{i}", Body=payload)

    def s3_get(w: int, i: int) -> None:
        assert len(s3[w].get_object(Bucket="bench", Key=f"{key}/{w}/{i}")["Body"].read()) == size

    t_lp, n = _run(conc, ops, oss_put)
    t_lg, _ = _run(conc, ops, oss_get)
    t_mp, _ = _run(conc, ops, s3_put)
    t_mg, _ = _run(conc, ops, s3_get)
    total = n * size
    return [
        (size // MB, conc, "PUT", _mbps(total, t_lp), _mbps(total, t_mp)),
        (size // MB, conc, "GET", _mbps(total, t_lg), _mbps(total, t_mg)),
    ]


def test_throughput_vs_moto(localcloud_proc, moto_endpoint):
    info, _proc = localcloud_proc
    oss = _oss_clients(info, max(CONCURRENCY))
    s3 = _s3_clients(moto_endpoint, max(CONCURRENCY))
    rows = []
    for size in SIZES:
        for conc in CONCURRENCY:
            rows.extend(_case(oss, s3, size, conc))
    print("\nOSS throughput, localcloud (oss2) vs moto S3 (boto3), MB/s")
    print(f"{'size':>5} {'conc':>4} {'op':>4} {'localcloud':>11} {'moto':>9} {'ratio':>6}")
    for size_mb, conc, op, ours, peer in rows:
        print(f"{size_mb:>4}M {conc:>4} {op:>4} {ours:>11.1f} {peer:>9.1f} {ours / peer:>5.2f}x")
    assert all(r[3] > 0 and r[4] > 0 for r in rows)


def _sample_rss(proc: psutil.Process, stop: threading.Event, peak: list[int]) -> None:
    while not stop.is_set():
        try:
            peak[0] = max(peak[0], proc.memory_info().rss)
        except psutil.Error:
            return
        stop.wait(0.02)


def test_peak_rss_one_gigabyte(localcloud_proc):
    info, proc = localcloud_proc
    bucket = _oss_clients(info, 1)[0]
    block = os.urandom(MB)
    baseline = proc.memory_info().rss
    peak = [baseline]
    stop = threading.Event()
    sampler = threading.Thread(target=_sample_rss, args=(proc, stop, peak), daemon=True)
    sampler.start()
    start = time.perf_counter()
    bucket.put_object("big/1g", (block for _ in range(BIG // MB)))  # chunked, streamed
    put_s = time.perf_counter() - start
    start = time.perf_counter()
    got = 0
    for chunk in bucket.get_object("big/1g"):
        got += len(chunk)
    get_s = time.perf_counter() - start
    stop.set()
    sampler.join()
    assert got == BIG
    print(f"\n1 GB object: PUT {_mbps(BIG, put_s):.1f} MB/s, GET {_mbps(BIG, get_s):.1f} MB/s")
    print(
        f"localcloud OSS RSS: baseline {baseline / MB:.1f} MB, peak {peak[0] / MB:.1f} MB (target < 150 MB)"
    )
    bucket.delete_object("big/1g")
    assert peak[0] > 0
