"""Helpers of the durability tests: run a writer child, kill it, and check what survived."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from localcloud.common.clock import Clock
from localcloud.oss.errors import OSSError
from localcloud.oss.model.crc import crc64
from localcloud.oss.model.store import Store

CHILD = Path(__file__).with_name("writer_child.py")


@dataclass
class DurLedger:
    """What a writer promised: per key the last acknowledged content, plus in-flight candidates."""

    acked: dict[str, str | None] = field(default_factory=dict)  # key -> md5 (None = deleted)
    pending: dict[str, set[str | None]] = field(default_factory=dict)  # begun after the last ack
    acks: list[dict[str, Any]] = field(default_factory=list)

    def feed(self, lines: list[str]) -> None:
        """Lines of one child run; a torn last line (killed mid-print) is ignored."""
        for line in lines:
            try:
                doc = json.loads(line)
            except ValueError:
                continue
            key = doc["key"]
            if doc["ev"] == "begin":
                self.pending.setdefault(key, set()).add(doc["md5"])
                self.last_begin = doc
            else:
                self.acked[key] = self.last_begin["md5"]
                self.pending[key] = set()
                self.acks.append(doc)

    def allowed(self, key: str) -> set[str | None]:
        return {self.acked.get(key)} | self.pending.get(key, set())


def _verify(root: Path, ledger: DurLedger, bucket: str) -> Store:
    """Reopen the store and check every promise; returns the (open) store."""
    store = Store(root, Clock(), "cn-hangzhou", "1")
    assert list((root / "tmp").iterdir()) == [], "temp leftovers must be cleaned at startup"
    listed = {i.key: i for i in store.list_objects(bucket, max_keys=1000).contents}
    assert len(listed) < 1000
    for key in set(ledger.acked) | set(ledger.pending) | set(listed):
        assert key in ledger.acked or key in ledger.pending, f"unknown key {key!r} listed"
        try:
            info, reader = store.open_object(bucket, key)
        except OSSError as exc:
            assert exc.code == "NoSuchKey"
            assert key not in listed
            assert None in ledger.allowed(key), f"acknowledged {key!r} lost"
            continue
        with reader:
            data = reader.read()
        digest = hashlib.md5(data).hexdigest()
        assert digest in ledger.allowed(key), f"{key!r} holds a version nobody wrote completely"
        assert len(data) == info.size and crc64(data) == info.crc64
        if info.object_type == "Normal":
            assert info.etag == digest.upper()
        assert key in listed and listed[key] == info
    records = store.outbox.read(0, 10**6)
    assert [seq for seq, _ in records] == list(range(1, len(records) + 1)), "outbox seqs must be dense"
    events = {(e["oss"]["object"]["key"], e["oss"]["object"]["eTag"], e["eventName"].split(":")[0])
              for _, e in records}
    for ack in ledger.acks:
        if ack["etag"] is None:
            continue
        kind = "ObjectRemoved" if ack["op"] == "delete" else "ObjectCreated"
        assert (ack["key"], ack["etag"], kind) in events, f"event of acknowledged {ack} lost"
    # stronger: whatever is visible now has its event, even if the crash came before the ack
    for key, info in listed.items():
        assert (key, info.etag, "ObjectCreated") in events, f"visible {key!r} has no event"
    removed = {k for k, _, kind in events if kind == "ObjectRemoved"}
    for key, digest in ledger.acked.items():
        if digest is not None and key not in listed:
            assert key in removed, f"{key!r} vanished without a delete event"
    return store


def _run_child(root: Path, seed: int, kill_after: float | None, crash: tuple[str, int] | None) -> list[str]:
    """Start the writer; SIGKILL it `kill_after` s after its first operation began (or let a crash
    point kill it); returns the lines it printed. Timing starts at the first line, not at spawn,
    so a slow interpreter start on a loaded machine does not eat the writing window."""
    argv = [sys.executable, str(CHILD), str(root), str(seed)]
    if crash:
        argv += [crash[0], str(crash[1])]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    started = threading.Event()

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.append(raw.decode(errors="replace").rstrip("\n"))
            started.set()
        started.set()

    reader = threading.Thread(target=pump, daemon=True)
    reader.start()
    try:
        if kill_after is not None:
            started.wait(60)
            time.sleep(kill_after)
            proc.kill()  # SIGKILL
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(10)
    err = proc.stderr.read().decode(errors="replace")
    assert proc.returncode == -9, err[-2000:]
    return lines


@pytest.fixture
def dur_ledger() -> DurLedger:
    return DurLedger()


@pytest.fixture
def dur_verify() -> Any:
    """`dur_verify(root, ledger, bucket) -> Store` (the caller closes the store)."""
    return _verify


@pytest.fixture
def dur_run_child() -> Any:
    """`dur_run_child(root, seed, kill_after, crash) -> lines`."""
    return _run_child
