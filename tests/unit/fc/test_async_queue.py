"""The durable async queue on its own: retries with backoff, dead letters, replay, restart."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from localcloud.fc.async_queue import AsyncQueue, FunctionPolicy
from localcloud.fc.instances import Outcome

pytestmark = pytest.mark.unit


def _wait(pred: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := pred()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
    return value


class Recorder:
    """An invoker that fails the first `fail` attempts of each payload."""

    def __init__(self, fail: int) -> None:
        self.fail = fail
        self.calls: list[tuple[str, bytes, str, str]] = []
        self.lock = threading.Lock()

    def __call__(self, fn: str, payload: bytes, request_id: str, source: str) -> Outcome:
        with self.lock:
            self.calls.append((fn, payload, request_id, source))
            n = sum(1 for c in self.calls if c[1] == payload)
        if n <= self.fail:
            return Outcome(
                False, error={"errorMessage": "no", "errorType": "E", "stackTrace": []}, kind="Unhandled"
            )
        return Outcome(True, value="ok")


def _queue(root: Path, invoker: Any, retries: int = 2) -> AsyncQueue:
    return AsyncQueue(root, invoker, {"f": FunctionPolicy(retries, "dest", 2)}, 0.01, time.time)


def test_retries_then_success(tmp_path: Path) -> None:
    rec = Recorder(fail=2)
    q = _queue(tmp_path, rec)
    q.start()
    try:
        q.enqueue("f", b"p1", "src", "rid-1")
        _wait(lambda: q.idle() and not q.pending())
        assert [c[2] for c in rec.calls] == ["rid-1"] * 3
        assert q.dead_letters() == []
    finally:
        q.stop()


def test_dead_letter_and_replay(tmp_path: Path) -> None:
    rec = Recorder(fail=3)
    q = _queue(tmp_path, rec)
    q.start()
    try:
        q.enqueue("f", b'{"a":1}', "src")
        letters = _wait(q.dead_letters)
        assert letters[0]["attempts"] == 3 and letters[0]["destination"] == "dest"
        assert letters[0]["payload"] == {"a": 1} and q.pending() == []
        q.replay(letters[0]["id"])
        _wait(lambda: len(rec.calls) == 4 and q.idle())
        assert q.dead_letters() == [] and q.pending() == []
        with pytest.raises(KeyError):
            q.replay("missing")
    finally:
        q.stop()


def test_pending_tasks_survive_restart_in_order(tmp_path: Path) -> None:
    never = _queue(tmp_path, Recorder(fail=0))  # not started: tasks stay on disk
    ids = [never.enqueue("f", f"p{i}".encode(), "src") for i in range(5)]
    assert never.pending("f") == sorted(ids)
    rec = Recorder(fail=0)
    q = AsyncQueue(tmp_path, rec, {"f": FunctionPolicy(0, None, 1)}, 0.01, time.time)
    q.start()
    try:
        _wait(lambda: len(rec.calls) == 5 and q.idle())
        assert [c[1] for c in rec.calls] == [f"p{i}".encode() for i in range(5)]
        assert q.pending() == []
    finally:
        q.stop()


def test_unknown_function_refused(tmp_path: Path) -> None:
    with pytest.raises(KeyError):
        _queue(tmp_path, Recorder(0)).enqueue("g", b"", "src")


class Raising(Recorder):
    """An invoker that raises (a fault of the runtime itself, not of the function) on its first call."""

    def __call__(self, fn: str, payload: bytes, request_id: str, source: str) -> Outcome:
        with self.lock:
            first = not self.calls
        if first:
            with self.lock:
                self.calls.append((fn, payload, request_id, source))
            raise OSError("the instance pool could not start a worker")
        return super().__call__(fn, payload, request_id, source)


def test_an_invoker_that_raises_is_a_failed_attempt_not_a_lost_task(tmp_path: Path) -> None:
    rec = Raising(fail=0)
    q = _queue(tmp_path, rec)
    q.start()
    try:
        q.enqueue("f", b"p1", "src", "rid-1")
        _wait(lambda: len(rec.calls) == 2 and q.idle() and not q.pending())
        assert [c[2] for c in rec.calls] == ["rid-1", "rid-1"] and q.dead_letters() == []
    finally:
        q.stop()


def test_an_invoker_that_always_raises_ends_in_a_dead_letter(tmp_path: Path) -> None:
    def broken(fn: str, payload: bytes, request_id: str, source: str) -> Outcome:
        raise RuntimeError("broken runtime")

    q = _queue(tmp_path, broken)
    q.start()
    try:
        q.enqueue("f", b"p2", "src", "rid-2")
        letters = _wait(q.dead_letters)
        assert letters[0]["attempts"] == 3 and q.pending() == []
        assert letters[0]["errors"][-1]["errorType"] == "RuntimeError"
    finally:
        q.stop()
