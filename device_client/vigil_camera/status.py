"""Uploader counters, shared by the threads and written atomically to `status.json` in the spool."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

COUNTERS = ("uploaded", "uploaded_bytes", "existed", "retries", "dropped", "dropped_bytes",
            "failures", "enqueued", "token_errors")


def _iso(ts: float | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def write_json_atomic(path: Path, doc: Any, *, fsync: bool = True, mode: int = 0o644) -> None:
    """Write to a temp file in the same folder, fsync, rename: readers see old or new, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    data = json.dumps(doc, indent=1, sort_keys=True).encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


class Status:
    """Counters plus last success / last error. Cumulative across restarts when `load`ed."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self.counters: dict[str, int] = dict.fromkeys(COUNTERS, 0)
        self.queue_depth = 0
        self.queue_bytes = 0
        self.last_success: float | None = None
        self.last_error: dict[str, Any] | None = None
        self.live_view = False   # this process sends live video when watched (reported with each clip)
        self._dirty = False
        self._last_write = 0.0
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError):
            return
        for name in COUNTERS:
            value = doc.get(name)
            if isinstance(value, int):
                self.counters[name] = value
        self.last_success = doc.get("last_success_unix")
        self.last_error = doc.get("last_error")

    def incr(self, name: str, by: int = 1) -> None:
        with self._lock:
            self.counters[name] = self.counters.get(name, 0) + by
            self._dirty = True

    def success(self, size: int, existed: bool = False) -> None:
        with self._lock:
            self.counters["uploaded"] += 1
            self.counters["uploaded_bytes"] += size
            if existed:
                self.counters["existed"] += 1
            self.last_success = time.time()
            self._dirty = True

    def error(self, message: str) -> None:
        with self._lock:
            self.counters["failures"] += 1
            self.last_error = {"time": _iso(time.time()), "message": message[:500]}
            self._dirty = True

    def queue(self, depth: int, size: int) -> None:
        with self._lock:
            self.queue_depth, self.queue_bytes = depth, size
            self._dirty = True

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            doc: dict[str, Any] = dict(self.counters)
            doc.update(queue_depth=self.queue_depth, queue_bytes=self.queue_bytes,
                       last_success=_iso(self.last_success), last_success_unix=self.last_success,
                       last_error=self.last_error, live_view=self.live_view, updated=_iso(time.time()),
                       pid=os.getpid())
            return doc

    def flush(self, force: bool = False, min_interval: float = 0.5) -> None:
        """Write `status.json` if something changed (at most every `min_interval` unless forced)."""
        if self.path is None:
            return
        now = time.monotonic()
        if not force and (not self._dirty or now - self._last_write < min_interval):
            return
        doc = self.snapshot()
        self._dirty = False
        self._last_write = now
        write_json_atomic(self.path, doc, fsync=False)


def read_status(path: Path) -> dict[str, Any]:
    """The CLI's view; an absent file means nothing ran yet."""
    try:
        doc = json.loads(path.read_text())
        return doc if isinstance(doc, dict) else {}
    except (OSError, ValueError):
        return {}


def spool_status(spool: Path) -> dict[str, Any]:
    """What `vigil-camera status` shows for a spool folder: status.json plus the queue as it is on
    disk now (the counters are written by the uploader; the queue is counted afresh)."""
    doc: dict[str, Any] = dict.fromkeys(COUNTERS, 0)  # nothing ran yet: zeros, not missing fields
    doc.update(read_status(spool / "status.json"))
    queue = spool / "queue"
    doc["queue_depth_now"] = len(list(queue.glob("*.json"))) if queue.is_dir() else 0
    doc["spool_dir"] = str(spool)
    return doc
