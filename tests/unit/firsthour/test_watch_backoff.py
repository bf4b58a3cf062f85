"""Issue 15 item 8: a watched folder that disappears is retried with a growing delay (logged once per
retry), and watched again at the normal interval once it is back."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from vigil_camera.spool import Spool
from vigil_camera.watch import FolderWatcher

pytestmark = pytest.mark.unit


class ScriptedStop(threading.Event):
    """`stop.wait(d)` records d and returns at once; runs `script[i]` on the i-th wait; stops after."""

    def __init__(self, script: list[object]) -> None:
        super().__init__()
        self.script = script
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(float(timeout or 0))
        step = len(self.waits) - 1
        if step < len(self.script):
            action = self.script[step]
            if callable(action):
                action()
        else:
            self.set()
        return self.is_set()


def test_vanished_folder_backs_off_then_recovers(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "cam"
    folder.mkdir()
    watcher = FolderWatcher(folder, Spool(tmp_path / "spool"), "cam-1", min_age=0.0)
    stop = ScriptedStop([folder.rmdir, None, None, None, folder.mkdir, None])
    with caplog.at_level(logging.WARNING, logger="vigil_camera.watch"):
        watcher.run(stop, interval=1.0, max_backoff=60.0)
    # ok (1 s), then gone: 1, 2, 4, 8 s, then back: the normal interval again
    assert stop.waits == [1.0, 1.0, 2.0, 4.0, 8.0, 1.0, 1.0]
    retries = [r for r in caplog.records if r.getMessage() == "watch folder unavailable, retrying"]
    assert len(retries) == 4 and [r.__dict__["retry_in"] for r in retries] == [1.0, 2.0, 4.0, 8.0]
    assert any(r.getMessage() == "watch folder back" for r in caplog.records)
