"""kill -9 at any moment: every acknowledged object and event survives, nothing partial shows.

A child process writes through the Store (puts of 0 B..2.5 MB trickled in, overwrites of hot
keys, appends, multipart, deletes) and is SIGKILLed: by the parent after a random delay, or by
itself at a precise point of the commit path (before/after the rename, before the outbox
fsync, halfway through an append's header slot). After each kill the store is reopened on the
same folder and every promise is checked; the runs accumulate on one folder, so recovery
itself is also crash-tested.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

BUCKET = "durable"


def test_sigkill_at_random_moments(tmp_path: Path, dur_ledger, dur_verify, dur_run_child) -> None:
    rng = random.Random()
    acks = 0
    for seed in range(1, 7):
        lines = dur_run_child(tmp_path, seed * 101, rng.uniform(0.4, 1.6), None)
        dur_ledger.feed(lines)
        dur_verify(tmp_path, dur_ledger, BUCKET).close()
        acks = len(dur_ledger.acks)
    assert acks > 10, "the writer should have acknowledged some writes before the kills"


@pytest.mark.parametrize("point", ["before_rename", "after_rename", "before_outbox_sync", "torn_slot"])
def test_sigkill_at_commit_points(tmp_path: Path, point: str, dur_ledger, dur_verify, dur_run_child) -> None:
    rng = random.Random()
    for run in range(3):
        lines = dur_run_child(tmp_path, 1000 + run, None, (point, rng.randint(1, 4)))
        dur_ledger.feed(lines)
        store = dur_verify(tmp_path, dur_ledger, BUCKET)
        store.close()
    # the crash point was really reached: an operation began that was never acknowledged
    assert any(dur_ledger.pending.values())
