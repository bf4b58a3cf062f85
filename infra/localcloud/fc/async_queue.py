"""The durable async-invocation queue: OSS-trigger events and `Async` invokes, with retries.

Each task is one JSON file under `pending/<function>/`, written to a temp file, fsynced and
renamed before `enqueue` returns, and removed only after a successful invocation or after its
dead letter (`dead/<id>.json`) is durable — at-least-once across restarts. Failed attempts are
retried `maxAsyncRetryAttempts` times with a doubling backoff from `base_backoff` seconds.
"""

from __future__ import annotations

import base64
import heapq
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.common import logs
from localcloud.fc.instances import Outcome

log = logs.get("localcloud.fc.async")
_MAX_BACKOFF_S = 300.0
_DISPATCH_RETRY_S = 5.0   # the queue's own failure (its files): try the task again this much later

Invoker = Callable[[str, bytes, str, str], Outcome]  # (function, payload, request_id, source)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_json(path: Path, doc: dict[str, Any], durable: bool) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:6]}.tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        if durable:
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)
    if durable:
        _fsync_dir(path.parent)


def new_task_id() -> str:
    """Sortable by enqueue time, so a restart delivers in the original order."""
    return f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class FunctionPolicy:
    max_retries: int
    on_failure: str | None
    concurrency: int


class AsyncQueue:
    """Durable tasks per function, dispatched by a few threads per function."""

    def __init__(self, root: Path, invoker: Invoker, policies: dict[str, FunctionPolicy],
                 base_backoff: float, clock_now: Callable[[], float]) -> None:
        self.root = root
        self._invoker = invoker
        self._policies = policies
        self._base_backoff = base_backoff
        self._now = clock_now
        (root / "dead").mkdir(parents=True, exist_ok=True)
        self._cond = threading.Condition()
        self._heaps: dict[str, list[tuple[float, str]]] = {}
        self._threads: list[threading.Thread] = []
        self._stopping = False
        self._inflight = 0
        for fn in policies:
            (root / "pending" / fn).mkdir(parents=True, exist_ok=True)
            self._heaps[fn] = []

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Schedule what a previous run left pending, then start the dispatchers."""
        for fn in self._policies:
            for path in sorted((self.root / "pending" / fn).glob("*.json")):
                heapq.heappush(self._heaps[fn], (0.0, path.stem))
            for i in range(self._policies[fn].concurrency):
                t = threading.Thread(target=self._run, args=(fn,), name=f"fc-async-{fn}-{i}", daemon=True)
                t.start()
                self._threads.append(t)

    def stop(self, timeout: float = 10.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        for t in self._threads:
            t.join(timeout)
        self._threads.clear()

    # -- producing -----------------------------------------------------------------------------
    def enqueue(self, function: str, payload: bytes, source: str, request_id: str | None = None) -> str:
        """Durably queue one invocation; returns the task id (also its request id if none given)."""
        return self.enqueue_many([(function, payload, source, request_id)])[0]

    def enqueue_many(self, items: Sequence[tuple[str, bytes, str, str | None]]) -> list[str]:
        """Queue a batch with one sync pass (group commit): all durable when this returns."""
        staged: list[tuple[str, str, Path, Path]] = []
        for function, payload, source, request_id in items:
            if function not in self._policies:
                raise KeyError(function)
            task_id = new_task_id()
            doc = {"id": task_id, "function": function, "payload_b64": base64.b64encode(payload).decode(),
                   "attempts": 0, "source": source, "request_id": request_id or task_id,
                   "created": self._now(), "errors": []}
            path = self._pending_path(function, task_id)
            tmp = path.with_name(f".{path.name}.tmp")
            with open(tmp, "w") as f:
                json.dump(doc, f, separators=(",", ":"))
            staged.append((function, task_id, tmp, path))
        for _, _, tmp, _ in staged:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        for _, _, tmp, path in staged:
            os.replace(tmp, path)
        for folder in {path.parent for _, _, _, path in staged}:
            _fsync_dir(folder)
        with self._cond:
            for function, task_id, _, _ in staged:
                heapq.heappush(self._heaps[function], (0.0, task_id))
            self._cond.notify_all()
        return [task_id for _, task_id, _, _ in staged]

    def pending(self, function: str | None = None) -> list[str]:
        fns = [function] if function else list(self._policies)
        return sorted(p.stem for fn in fns for p in (self.root / "pending" / fn).glob("*.json"))

    def is_pending(self, function: str, task_id: str) -> bool:
        """The task is still queued or waiting for a retry (neither delivered nor dead-lettered)."""
        return self._pending_path(function, task_id).exists()

    def idle(self) -> bool:
        """No task waiting or running (tests wait on this)."""
        with self._cond:
            return self._inflight == 0 and not any(self._heaps.values())

    # -- dispatching ---------------------------------------------------------------------------
    def _pending_path(self, function: str, task_id: str) -> Path:
        return self.root / "pending" / function / f"{task_id}.json"

    def _next(self, fn: str) -> str | None:
        heap = self._heaps[fn]
        with self._cond:
            while not self._stopping:
                if heap:
                    due, task_id = heap[0]
                    wait = due - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(heap)
                        self._inflight += 1
                        return task_id
                    self._cond.wait(min(wait, 1.0))
                else:
                    self._cond.wait(1.0)
        return None

    def _run(self, fn: str) -> None:
        while True:
            task_id = self._next(fn)
            if task_id is None:
                return
            try:
                self._attempt(fn, task_id)
            except Exception:  # noqa: BLE001 - a dispatcher must survive anything
                # what is left here is the queue's own bookkeeping (its files): the task stays pending
                # on disk and is scheduled again after a backoff, never dropped until the next restart
                log.exception("async dispatch failed", extra={"function": fn, "task": task_id})
                with self._cond:
                    heapq.heappush(self._heaps[fn], (time.monotonic() + _DISPATCH_RETRY_S, task_id))
                    self._cond.notify_all()
            finally:
                with self._cond:
                    self._inflight -= 1

    def _attempt(self, fn: str, task_id: str) -> None:
        path = self._pending_path(fn, task_id)
        try:
            doc = json.loads(path.read_text())
        except FileNotFoundError:
            return  # already delivered (duplicate schedule)
        try:
            outcome = self._invoker(fn, base64.b64decode(doc["payload_b64"]), doc["request_id"], doc["source"])
        except Exception as exc:  # noqa: BLE001 - a failure of the runtime itself is a failed attempt, not a lost task
            log.exception("async invoke raised", extra={"function": fn, "request_id": doc["request_id"]})
            outcome = Outcome(False, error={"errorMessage": f"the runtime failed to invoke: {exc}",
                                            "errorType": type(exc).__name__, "stackTrace": []}, kind="Crashed")
        if outcome.ok:
            path.unlink(missing_ok=True)
            return
        doc["attempts"] += 1
        error = {"at": self._now(), "kind": outcome.kind, **(outcome.error or {})}
        doc["errors"] = (doc["errors"] + [error])[-5:]
        policy = self._policies[fn]
        if doc["attempts"] > policy.max_retries:
            self._dead_letter(doc)
            path.unlink(missing_ok=True)
            return
        _write_json(path, doc, durable=False)
        delay = min(self._base_backoff * (2 ** (doc["attempts"] - 1)), _MAX_BACKOFF_S)
        log.info("async retry scheduled", extra={"function": fn, "request_id": doc["request_id"],
                                                  "attempt": doc["attempts"], "delay_s": delay})
        with self._cond:
            heapq.heappush(self._heaps[fn], (time.monotonic() + delay, task_id))
            self._cond.notify_all()

    # -- dead letters --------------------------------------------------------------------------
    def _dead_letter(self, doc: dict[str, Any]) -> None:
        doc = dict(doc, dead_at=self._now(), destination=self._policies[doc["function"]].on_failure)
        _write_json(self.root / "dead" / f"{doc['id']}.json", doc, durable=True)
        log.warning("async invocation dead-lettered", extra={
            "function": doc["function"], "request_id": doc["request_id"], "attempts": doc["attempts"],
            "destination": doc["destination"], "error": (doc["errors"] or [{}])[-1].get("errorType")})

    def dead_letters(self, function: str | None = None) -> list[dict[str, Any]]:
        out = []
        for path in sorted((self.root / "dead").glob("*.json")):
            doc = json.loads(path.read_text())
            if function is None or doc["function"] == function:
                try:
                    doc["payload"] = json.loads(base64.b64decode(doc["payload_b64"]))
                except ValueError:
                    pass
                out.append(doc)
        return out

    def replay(self, dead_id: str) -> str:
        """Queue a dead letter again (fresh attempts); the dead record goes once the task is durable."""
        path = self.root / "dead" / f"{dead_id}.json"
        if "/" in dead_id or not path.is_file():
            raise KeyError(dead_id)
        doc = json.loads(path.read_text())
        payload = base64.b64decode(doc["payload_b64"])
        source = f"replay:{doc['source']}"
        task_id = self.enqueue(doc["function"], payload, source, request_id=doc["request_id"])
        path.unlink(missing_ok=True)
        return task_id
