"""The outbox: durable order, group commit, torn tails, subscribers with cursors and retries."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from localcloud.oss.model import outbox as outbox_mod
from localcloud.oss.model.outbox import Outbox

pytestmark = pytest.mark.unit


def _wait(cond, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached")
        time.sleep(0.005)


def test_append_read_and_reopen(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    assert [box.append({"n": i}) for i in range(5)] == [1, 2, 3, 4, 5]
    assert box.read(2, 2) == [(3, {"n": 2}), (4, {"n": 3})]
    box.close()
    box = Outbox(tmp_path)
    assert box.last_seq == 5 and box.append({"n": 5}) == 6
    assert [e["n"] for _, e in box.read(0, 100)] == list(range(6))
    box.close()


def test_segments_roll_and_read_across(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_mod, "SEGMENT", 4)
    box = Outbox(tmp_path)
    for i in range(11):
        box.append({"n": i})
    assert len(list(tmp_path.glob("seg-*.log"))) == 3
    assert [s for s, _ in box.read(2, 7)] == [3, 4, 5, 6, 7, 8, 9]
    for after in range(0, 12):
        for limit in range(1, 13):
            want = list(range(after + 1, min(after + limit, 11) + 1))
            got = box.read(after, limit)
            assert [s for s, _ in got] == want and [e["n"] for _, e in got] == [s - 1 for s in want]
    box.close()
    box = Outbox(tmp_path)
    assert box.append({"n": 11}) == 12
    assert [e["n"] for _, e in box.read(0, 100)] == list(range(12))
    box.close()


def test_torn_tail_is_cut(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    box.append({"n": 0})
    box.append({"n": 1})
    box.close()
    seg = next(tmp_path.glob("seg-*.log"))
    with open(seg, "ab") as fh:
        fh.write(b'{"seq":3,"event":{"n":')  # a crash mid-write
    box = Outbox(tmp_path)
    assert box.last_seq == 2
    assert box.append({"n": 2}) == 3
    assert [e["n"] for _, e in box.read(0, 10)] == [0, 1, 2]
    box.close()


def test_concurrent_appends_are_all_durable_and_unique(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    seqs: list[int] = []
    lock = threading.Lock()

    def writer(w: int) -> None:
        for i in range(50):
            s = box.append({"w": w, "i": i})
            with lock:
                seqs.append(s)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seqs) == list(range(1, 301))
    records = box.read(0, 1000)
    for w in range(6):
        assert [e["i"] for _, e in records if e["w"] == w] == list(range(50))  # per-writer order kept
    box.close()


def test_subscribe_in_order_and_cursor_survives_restart(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    got: list[int] = []
    for i in range(3):
        box.append({"n": i})
    sub = box.subscribe("fc-indexer", lambda e: got.append(e["n"]))
    box.append({"n": 3})
    _wait(lambda: got == [0, 1, 2, 3])
    _wait(lambda: box.cursor("fc-indexer") == 4)
    sub.stop()
    box.append({"n": 4})
    box.close()
    box = Outbox(tmp_path)
    again: list[int] = []
    box.subscribe("fc-indexer", lambda e: again.append(e["n"]))
    other: list[int] = []
    box.subscribe("audit", lambda e: other.append(e["n"]))
    _wait(lambda: again == [4] and other == [0, 1, 2, 3, 4])
    box.close()


def test_handler_failure_is_retried_without_skipping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_mod.Subscription, "BACKOFF_START", 0.01)
    box = Outbox(tmp_path)
    calls: list[int] = []
    failures = {"left": 3}

    def flaky(event: dict[str, Any]) -> None:
        calls.append(event["n"])
        if event["n"] == 1 and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("downstream busy")

    for i in range(3):
        box.append({"n": i})
    sub = box.subscribe("flaky", flaky)
    _wait(lambda: sub.cursor == 3)
    assert calls == [0, 1, 1, 1, 1, 2]
    box.close()


def test_stop_during_failures_redelivers_after_restart(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_mod.Subscription, "BACKOFF_START", 0.01)
    box = Outbox(tmp_path)
    box.append({"n": 0})
    attempts: list[int] = []

    def always_fails(event: dict[str, Any]) -> None:
        attempts.append(event["n"])
        raise RuntimeError("down")

    sub = box.subscribe("x", always_fails)
    _wait(lambda: len(attempts) >= 2)
    sub.stop()
    assert box.cursor("x") == 0
    box.close()
    box = Outbox(tmp_path)
    got: list[int] = []
    box.subscribe("x", lambda e: got.append(e["n"]))
    _wait(lambda: got == [0])
    box.close()


def test_start_latest_skips_history_only_for_a_new_name(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    box.append({"n": 0})
    got: list[int] = []
    sub = box.subscribe("late", lambda e: got.append(e["n"]), start="latest")
    box.append({"n": 1})
    _wait(lambda: got == [1])
    sub.stop()
    box.append({"n": 2})
    box.subscribe("late", lambda e: got.append(e["n"]), start="latest")  # cursor exists: resumes
    _wait(lambda: got == [1, 2])
    with pytest.raises(ValueError):
        box.subscribe("x", lambda e: None, start="middle")
    box.close()


def test_bad_subscriber_name(tmp_path: Path) -> None:
    box = Outbox(tmp_path)
    with pytest.raises(ValueError):
        box.subscribe("../escape", lambda e: None)
    box.close()
