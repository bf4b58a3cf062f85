"""Durability: events queued while the runtime is down, or mid-retry at stop, are delivered by
the next runtime on the same data folder."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_delivery_survives_runtime_restart(fc_stack: Any, fc_wait: Any,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    bucket = fc_stack.bucket()
    fc_stack.runtime.stop()
    # A runtime with a long retry backoff: its failing task is still pending when it stops.
    monkeypatch.setenv("LOCALCLOUD_FC_RETRY_BASE_SECONDS", "60")
    fc_stack.runtime = fc_stack.new_runtime().start()
    fail_key = f"fail/{uuid.uuid4().hex}"
    bucket.put_object(fail_key, b"x")
    fc_wait(lambda: [r for r in fc_stack.records("failing-attempts") if fail_key in r["payload"]],
            what="first failing attempt")
    fc_wait(lambda: fc_stack.runtime.queue.pending("fcapp-failing"), what="task waiting for its retry")
    fc_stack.runtime.stop()
    assert len(fc_stack.runtime.queue.pending("fcapp-failing")) == 1

    # Events that arrive while no runtime runs wait in the OSS outbox.
    down_keys = [f"videos/down/{uuid.uuid4().hex}.ts" for _ in range(3)]
    for key in down_keys:
        bucket.put_object(key, b"x")
    (fc_stack.record_dir / "allow").write_text("yes")

    monkeypatch.setenv("LOCALCLOUD_FC_RETRY_BASE_SECONDS", "0.05")
    fc_stack.runtime = fc_stack.new_runtime().start()
    try:
        fc_wait(lambda: [r for r in fc_stack.records("failing-ok") if fail_key in r["payload"]],
                what="pending task delivered after restart")
        for key in down_keys:
            fc_wait(lambda k=key: [r for r in fc_stack.records("recorder") if k in r["payload"]],  # type: ignore[misc]
                    what=f"{key} delivered after restart")
        fc_wait(lambda: fc_stack.runtime.queue.pending() == [], what="queue drained")
    finally:
        (fc_stack.record_dir / "allow").unlink()
