"""kill -9 of a real OSS server process while oss2 uploads to it: acknowledged = durable.

The server is `python -m localcloud.oss.protocol.standalone` on a data folder; this process
uploads with the unmodified oss2 client (puts trickled in chunked, overwrites, appends,
deletes), SIGKILLs the server at a random moment, then checks the folder with the Store and
again through oss2 (with CRC checks) against a restarted server.
"""

from __future__ import annotations

import hashlib
import json
import random
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import oss2
import pytest

pytestmark = pytest.mark.integration

BUCKET = "durable-http"


class Trickle:
    """An iterable body (oss2 sends it chunked) that arrives slowly."""

    def __init__(self, data: bytes, rng: random.Random) -> None:
        self.data, self.rng = data, rng

    def __iter__(self):  # type: ignore[no-untyped-def]
        for i in range(0, len(self.data), 128 * 1024):
            time.sleep(0.002)
            yield self.data[i:i + 128 * 1024]


def _start_server(data: Path) -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "localcloud.oss.protocol.standalone", "--data", str(data), "--port", "0",
         "--bucket", BUCKET, "--account-id", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, "the OSS server did not start"
    return proc, json.loads(line)


def _writer(bucket: oss2.Bucket, rng: random.Random, round_: int, lines: list[str],
            stop: threading.Event) -> None:
    """Write until the server dies; record begin/ack lines like the Store writer child."""
    log_key, log_data = f"log/http ü {round_}", b""
    i = 0
    try:
        while not stop.is_set():
            i += 1
            op = rng.choice(["put", "put", "hot", "append", "delete"])
            if op in ("put", "hot"):
                key = f"u/{round_}/{i} spaced+%/ünï" if op == "put" else f"hot/{rng.randint(0, 2)}"
                data = rng.randbytes(rng.choice([0, 1000, 300_000, 1_500_000]))
                lines.append(json.dumps({"ev": "begin", "op": op, "key": key,
                                         "md5": hashlib.md5(data).hexdigest()}))
                result = bucket.put_object(key, Trickle(data, rng) if data else data)
            elif op == "append":
                chunk = rng.randbytes(rng.randint(1, 40_000))
                key = log_key
                lines.append(json.dumps({"ev": "begin", "op": op, "key": key,
                                         "md5": hashlib.md5(log_data + chunk).hexdigest()}))
                result = bucket.append_object(key, len(log_data), chunk)
                log_data += chunk
            else:
                key = f"hot/{rng.randint(0, 2)}"
                lines.append(json.dumps({"ev": "begin", "op": op, "key": key, "md5": None}))
                bucket.delete_object(key)
                lines.append(json.dumps({"ev": "ack", "op": op, "key": key, "etag": None}))
                continue
            lines.append(json.dumps({"ev": "ack", "op": op, "key": key, "etag": result.etag.strip('"')}))
    except (oss2.exceptions.RequestError, oss2.exceptions.ServerError, OSError):
        return  # the server is gone


def test_sigkill_server_during_oss2_uploads(tmp_path: Path, dur_ledger, dur_verify) -> None:
    rng = random.Random()
    total_acks = 0
    for round_ in range(3):
        proc, info = _start_server(tmp_path)
        try:
            auth = oss2.Auth(info["access_key_id"], info["access_key_secret"])
            bucket = oss2.Bucket(auth, info["endpoint"], BUCKET, enable_crc=True, connect_timeout=5)
            lines: list[str] = []
            stop = threading.Event()
            args = (bucket, random.Random(round_), round_, lines, stop)
            writer = threading.Thread(target=_writer, args=args)
            writer.start()
            time.sleep(rng.uniform(0.5, 1.5))
            proc.kill()  # SIGKILL
            proc.wait()
            stop.set()
            writer.join(30)
            assert not writer.is_alive()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        dur_ledger.feed(lines)
        total_acks = len(dur_ledger.acks)
        store = dur_verify(tmp_path / "oss", dur_ledger, BUCKET)
        store.close()
    assert total_acks > 5

    # and through oss2 against a restarted server: every acknowledged object reads back, CRC-checked
    proc, info = _start_server(tmp_path)
    try:
        auth = oss2.Auth(info["access_key_id"], info["access_key_secret"])
        bucket = oss2.Bucket(auth, info["endpoint"], BUCKET, enable_crc=True)
        checked = 0
        for key, digest in dur_ledger.acked.items():
            if digest is None or dur_ledger.pending.get(key):
                continue
            assert hashlib.md5(bucket.get_object(key).read()).hexdigest() == digest
            checked += 1
        assert checked > 0
    finally:
        proc.kill()
        proc.wait()

