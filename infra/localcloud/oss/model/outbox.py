"""The durable event outbox: every object change is one fsynced log record before it is acked.

Records live in segment files `seg-<n>.log` of SEGMENT records each, one JSON line per record
(`{"seq": n, "event": {...}}`), sequence numbers from 1. Appends are group-committed: concurrent
writers share one fdatasync. A torn tail (crash mid-write) is cut off at startup.

Consumers either poll (`read(after_seq, limit)`) or `subscribe(name, handler)`: a thread that
calls `handler(event)` in order and moves a durable per-name cursor (`cursors/<name>.json`) past
a record only after the handler returned. A handler exception retries the same record with
exponential backoff (0.05 s doubling to 5 s), so delivery is at least once, across restarts too.
A new subscriber starts at the beginning of the log (nothing is ever skipped). Segments are kept
(the log is the history; a local stack produces little of it).
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from localcloud.common import logs

log = logs.get("localcloud.oss.outbox")

SEGMENT = 4096
_NAME_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
Handler = Callable[[dict[str, Any]], None]


def _seg_index(seq: int) -> int:
    return (seq - 1) // SEGMENT


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Outbox:
    """Append-only, fsynced event log with durable subscriber cursors."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "cursors").mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._sync_lock = threading.Lock()
        self._cond = threading.Condition(threading.Lock())
        self._retired: list[int] = []
        self._sealed: dict[int, tuple[list[int], int]] = {}
        self._subs: list[Subscription] = []
        self._closed = False
        self._fd = -1
        self._cur = -1
        self._offsets: list[int] = []
        self._size = 0
        last = self._recover()
        self._next = last + 1
        self._synced = last

    # -- writing -------------------------------------------------------------------------------
    def _seg_path(self, index: int) -> Path:
        return self.root / f"seg-{index:08d}.log"

    def _recover(self) -> int:
        """Open the last segment, cut a torn tail, return the last durable seq."""
        segs = sorted(int(p.name[4:12]) for p in self.root.glob("seg-*.log"))
        index = segs[-1] if segs else 0
        path = self._seg_path(index)
        last = index * SEGMENT
        offsets: list[int] = []
        good = 0
        if path.exists():
            data = path.read_bytes()
            pos = 0
            while True:
                nl = data.find(b"\n", pos)
                if nl < 0:
                    break
                try:
                    seq = int(json.loads(data[pos:nl])["seq"])
                except (ValueError, KeyError, TypeError):
                    break
                if seq != last + 1:
                    break
                offsets.append(pos)
                last = seq
                pos = nl + 1
            good = pos
        self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        if os.fstat(self._fd).st_size != good:
            log.warning("outbox: cut a torn tail", extra={"segment": path.name, "at": good})
            os.ftruncate(self._fd, good)
            os.fsync(self._fd)
        _fsync_dir(self.root)
        self._cur, self._offsets, self._size = index, offsets, good
        return last

    def _roll(self, index: int) -> None:
        """Start segment `index` (caller holds _lock); the old fd is synced and retired."""
        os.fdatasync(self._fd)
        self._retired.append(self._fd)
        self._fd = os.open(self._seg_path(index), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        _fsync_dir(self.root)
        self._cur, self._offsets, self._size = index, [], 0

    def append(self, event: dict[str, Any], eid: str | None = None) -> int:
        """Append one record and return its seq once it is on disk (fdatasync, group-committed).

        `eid` (the store's id of the change) lets crash recovery tell whether a change already
        has its record (see `recent_eids`); it is not part of the event.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("outbox is closed")
            seq = self._next
            record: dict[str, Any] = {"seq": seq, "event": event}
            if eid is not None:
                record["eid"] = eid
            line = (json.dumps(record, separators=(",", ":")) + "\n").encode()
            if _seg_index(seq) != self._cur:
                self._roll(_seg_index(seq))
            view = memoryview(line)
            at = self._size
            while view:  # pwrite: the position never depends on the fd offset
                n = os.pwrite(self._fd, view, at)
                view, at = view[n:], at + n
            self._offsets.append(self._size)
            self._size += len(line)
            self._next = seq + 1
        self._sync_to(seq)
        return seq

    def _sync_to(self, seq: int) -> None:
        with self._sync_lock:
            if self._synced >= seq:
                return
            with self._lock:
                target, fd = self._next - 1, self._fd
                retired, self._retired = self._retired, []
            os.fdatasync(fd)
            for old in retired:
                os.close(old)
            with self._cond:
                self._synced = max(self._synced, target)
                self._cond.notify_all()

    @property
    def last_seq(self) -> int:
        """The seq of the last durable record (0 when empty)."""
        return self._synced

    # -- reading -------------------------------------------------------------------------------
    def read(self, after_seq: int = 0, limit: int = 100) -> list[tuple[int, dict[str, Any]]]:
        """Up to `limit` durable records with seq > after_seq, as (seq, event), in order."""
        out: list[tuple[int, dict[str, Any]]] = []
        seq = max(after_seq, 0) + 1
        while len(out) < limit and seq <= self._synced:
            got = self._read_segment(seq, min(limit - len(out), self._synced - seq + 1))
            if not got:
                break
            out.extend(got)
            seq = got[-1][0] + 1
        return out

    def _read_segment(self, seq: int, count: int) -> list[tuple[int, dict[str, Any]]]:
        index = _seg_index(seq)
        with self._lock:
            if index == self._cur:
                start = self._offsets[seq - index * SEGMENT - 1]
                last = seq + count - 1
                end_i = last - index * SEGMENT
                end = self._offsets[end_i] if end_i < len(self._offsets) else self._size
                fd = os.dup(self._fd)
            else:
                start, end, fd = -1, -1, -1
        if fd < 0:  # a full, immutable segment: index its line offsets once
            offsets, size = self._sealed_offsets(index)
            i = seq - index * SEGMENT - 1
            start = offsets[i]
            end = offsets[i + count] if i + count < len(offsets) else size
            fd = os.open(self._seg_path(index), os.O_RDONLY)
        try:
            data = os.pread(fd, end - start, start)
        finally:
            os.close(fd)
        out = []
        for raw in data.splitlines():
            if not raw:
                continue
            rec = json.loads(raw)
            if rec["seq"] >= seq:
                out.append((int(rec["seq"]), rec["event"]))
            if len(out) >= count:
                break
        return out

    def _sealed_offsets(self, index: int) -> tuple[list[int], int]:
        """Line start offsets and size of a sealed segment (a small cache: readers catching up
        walk segments in order)."""
        with self._lock:
            hit = self._sealed.get(index)
        if hit is not None:
            return hit
        data = self._seg_path(index).read_bytes()
        offsets = [0]
        pos = data.find(b"\n")
        while pos >= 0 and pos + 1 < len(data):
            offsets.append(pos + 1)
            pos = data.find(b"\n", pos + 1)
        entry = (offsets, len(data))
        with self._lock:
            self._sealed[index] = entry
            while len(self._sealed) > 4:
                self._sealed.pop(next(iter(self._sealed)))
        return entry

    def recent_eids(self) -> set[str]:
        """The change ids in the last two segments (where the records of changes that were in
        flight at a crash can be: at most one per concurrent writer)."""
        out: set[str] = set()
        for index in (self._cur - 1, self._cur):
            path = self._seg_path(index)
            if index < 0 or not path.exists():
                continue
            for raw in path.read_bytes().splitlines():
                try:
                    eid = json.loads(raw).get("eid")
                except ValueError:
                    continue
                if eid:
                    out.add(str(eid))
        return out

    def wait_for(self, after_seq: int, timeout: float) -> bool:
        """Block until a record with seq > after_seq is durable (or timeout); True if there is one."""
        with self._cond:
            return self._cond.wait_for(lambda: self._synced > after_seq or self._closed, timeout)

    # -- subscribers -----------------------------------------------------------------------------
    def cursor(self, name: str) -> int:
        """The durable cursor of subscriber `name` (0 when it never acknowledged anything)."""
        path = self._cursor_path(name)
        try:
            return int(json.loads(path.read_text())["seq"])
        except (FileNotFoundError, ValueError, KeyError):
            return 0

    def _cursor_path(self, name: str) -> Path:
        if not _NAME_RE.match(name):
            raise ValueError(f"bad subscriber name {name!r}")
        return self.root / "cursors" / f"{name}.json"

    def save_cursor(self, name: str, seq: int) -> None:
        path = self._cursor_path(name)
        tmp = path.with_suffix(f".tmp{threading.get_ident()}")
        tmp.write_text(json.dumps({"seq": seq}))
        os.replace(tmp, path)

    def subscribe(self, name: str, handler: Handler, start: str = "earliest") -> Subscription:
        """Start delivering records after `name`'s cursor to `handler` on a thread of its own.

        A name without a cursor starts at the beginning of the log (`start="earliest"`) or after
        its current end (`start="latest"`); an existing cursor always wins.
        """
        if start not in ("earliest", "latest"):
            raise ValueError("start must be 'earliest' or 'latest'")
        if start == "latest" and not self._cursor_path(name).exists():
            self.save_cursor(name, self.last_seq)
        sub = Subscription(self, name, handler)
        with self._lock:
            self._subs.append(sub)
        sub.start()
        return sub

    def close(self) -> None:
        """Stop subscribers and close the log (appends after close raise)."""
        with self._lock:
            subs, self._subs = list(self._subs), []
        for sub in subs:
            sub.stop()
        self._sync_to(self._next - 1)
        with self._lock:
            self._closed = True
            os.close(self._fd)
            for old in self._retired:
                os.close(old)
            self._retired = []
        with self._cond:
            self._cond.notify_all()


class Subscription:
    """One in-order, at-least-once consumer of the outbox (see `Outbox.subscribe`)."""

    BACKOFF_START = 0.05
    BACKOFF_MAX = 5.0

    def __init__(self, outbox: Outbox, name: str, handler: Handler) -> None:
        self.name = name
        self._outbox = outbox
        self._handler = handler
        self._stop = threading.Event()
        self._cursor = outbox.cursor(name)
        self._thread = threading.Thread(target=self._run, name=f"outbox-{name}", daemon=True)

    @property
    def cursor(self) -> int:
        """Seq of the last record the handler finished."""
        return self._cursor

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the record in hand (its cursor is saved only if the handler returned)."""
        self._stop.set()
        with self._outbox._cond:
            self._outbox._cond.notify_all()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            batch = self._outbox.read(self._cursor, 64)
            if not batch:
                self._outbox.wait_for(self._cursor, 0.5)
                continue
            for seq, event in batch:
                if not self._deliver(event):
                    return
                self._cursor = seq
                self._outbox.save_cursor(self.name, seq)

    def _deliver(self, event: dict[str, Any]) -> bool:
        delay = self.BACKOFF_START
        while not self._stop.is_set():
            try:
                self._handler(event)
                return True
            except Exception as exc:  # noqa: BLE001 - any handler failure means "retry later"
                log.warning("outbox handler failed; retrying", extra={
                    "subscriber": self.name, "error": type(exc).__name__, "retry_in": delay})
            if self._stop.wait(delay):
                return False
            delay = min(delay * 2, self.BACKOFF_MAX)
        return False
