"""The live camera of the browser tests and the live benchmarks: `vigil-camera simulate --live-view`
in real time, as a camera runs it, restartable; and a viewer already watching it (`Watcher`). Loaded by
path (no packages under importlib mode)."""

from __future__ import annotations

import http.cookiejar
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
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


class Watcher:
    """Someone already watching: POST /live once, then the playlist every second (what a playing page's
    hls.js does), which keeps the camera's live lease renewed. A thread with its own session."""

    def __init__(self, base: str, user: str, password: str, camera: str) -> None:
        self.base, self.camera = base, camera
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self._call("POST", "/api/v1/login", {"username": user, "password": password})
        self.csrf = json.loads(self._call("GET", "/api/v1/me"))["csrf_token"]
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None, csrf: str | None = None) -> bytes:
        req = urllib.request.Request(self.base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json",
                                              **({"X-Vigil-CSRF": csrf} if csrf else {})})
        with self.opener.open(req, timeout=30) as resp:
            return bytes(resp.read())

    def _run(self) -> None:
        self._call("POST", f"/api/v1/cameras/{self.camera}/live", csrf=self.csrf)
        while not self.stop.is_set():
            try:
                self._call("GET", f"/api/v1/cameras/{self.camera}/live.m3u8")
                self.ready.set()
            except OSError:
                pass  # 503 until the camera's first segments
            self.stop.wait(1.0)

    def __enter__(self) -> Watcher:
        self.thread.start()
        assert self.ready.wait(60), "the camera never went live"
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)


def watched_camera(cloud: Any, support: Any, device: str, name: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """Registers `device` and two viewers of it: (viewer, watcher), each (name, password). The watcher is
    the someone-else who keeps the camera live (`Watcher`); `support` is tests/e2e/web/support.py."""
    support.provision(cloud, device, name)
    users = tuple((f"{who}-{device}", f"{who}-password-{device}") for who in ("viewer", "watcher"))
    for user in users:
        support.create_user(cloud, *user, "viewer", [device])
    return users[0], users[1]
