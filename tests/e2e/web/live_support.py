"""The live camera of the browser tests and the live benchmark: `vigil-camera simulate --live-view`
in real time, as a camera runs it, restartable. Loaded by path (no packages under importlib mode)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from vigil_camera.protocol import device_secret


class LiveCamera:
    """The simulator with `--live-view`, 640x360 at 10 fps, 1 s keyframes, 4 s clips."""

    def __init__(self, cloud: Any, device: str, work: Path) -> None:
        work.mkdir(parents=True, exist_ok=True)
        self.config = work / "camera.json"
        self.config.write_text(json.dumps({"token_url": cloud.functions["vigil-token"], "device_id": device,
                                           "device_secret": device_secret(cloud.master_key, device, 1),
                                           "spool_dir": str(work / "spool")}))
        self.work = work
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vigil_camera.cli", "--config", str(self.config), "simulate", "--fps", "10",
             "--resolution", "640x360", "--clip-seconds", "4", "--keyframe-seconds", "1", "--duration", "900",
             "--live-view", "--work-dir", str(self.work / "clips")],
            env=env, stdout=subprocess.DEVNULL, stderr=open(self.work / "camera.log", "a"), text=True)  # noqa: SIM115

    def wait_recording(self, cloud: Any, device: str, timeout: float = 120) -> None:
        """Until the camera's first clip is stored (it runs, has a token, and has probed at least once)."""
        import oss2

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(True for _ in oss2.ObjectIteratorV2(cloud.bucket(), prefix=f"videos/{device}/")):
                return
            assert self.proc is not None and self.proc.poll() is None, (self.work / "camera.log").read_text()[-2000:]
            time.sleep(0.2)
        raise AssertionError("the camera did not start recording")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None
