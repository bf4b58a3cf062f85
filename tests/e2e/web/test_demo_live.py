"""Issue 28 item 1: live works in `make demo`. Runs `vigil demo` (what `make demo` runs, on free
ports and its own data folder) with its cameras as they start there, signs in as the demo admin
with the password the banner shows, and plays a camera live in Chromium."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .conftest import load_support

pytestmark = pytest.mark.e2e
S = load_support()


@dataclass
class Demo:
    proc: subprocess.Popen[bytes]
    out: Path
    err: Path

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")


def _wait(what: str, check: Any, timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("demo-live")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "ALIBABA_CLOUD_"))}
    env["HOME"] = str(home)
    out, err = home / "demo.out", home / "demo.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        # the demo's defaults except size: one small camera keeps the shared machine light
        proc = subprocess.Popen([sys.executable, "-m", "vigil_ops.cli", "demo", "--data", str(home / "data"),
                                 "--port", "0", "--cameras", "1", "--resolution", "320x180", "--fps", "10"],
                                cwd=home, env=env, stdout=o, stderr=e)
    handle = Demo(proc, out, err)
    try:
        _wait("the demo banner", lambda: "Press Ctrl-C" in handle.stdout() or proc.poll() is not None, 240)
        assert proc.poll() is None, (handle.stdout(), err.read_text())
        yield handle
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def test_the_demo_camera_plays_live_in_chromium(demo: Demo, browser: Any, artifacts: Path) -> None:
    banner = demo.stdout()
    viewer = re.search(r"viewer\s+(http://\S+?)/\s+user (\S+)", banner)
    password = re.search(r"admin password\s+(\S+)", banner)
    assert viewer and password, banner
    base, user = viewer.group(1), viewer.group(2)
    ctx = browser.new_context(locale="en-GB", viewport={"width": 1366, "height": 900})
    ctx.set_default_timeout(30_000)
    try:
        page = ctx.new_page()
        page.goto(f"{base}/cameras/cam-lobby")
        page.get_by_label("User name").fill(user)
        page.get_by_label("Password").fill(password.group(1))
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").wait_for()
        page.get_by_role("button", name="Live", exact=True).click()
        page.wait_for_function("() => { const v = document.querySelector('video.live-video'); return v && v.vigilHls"
                               " && v.vigilHls.playingDate && !v.paused && v.readyState >= 2 }",
                               timeout=90_000, polling=200)
        first = page.evaluate("() => document.querySelector('video.live-video').vigilHls.playingDate.getTime()")
        assert time.time() * 1000 - first < 30_000, "live, not a recording"
        page.wait_for_function("(t) => document.querySelector('video.live-video').vigilHls.playingDate.getTime() > t",
                               arg=first + 3000, timeout=60_000, polling=200)   # frames keep arriving
        page.screenshot(path=str(artifacts / "demo-live.png"))
    finally:
        ctx.close()


def test_ctrl_c_says_it_stops(demo: Demo) -> None:
    """Issue 28 item 12: Ctrl-C printed nothing; the demo now says it stops and where the data stays."""
    demo.proc.send_signal(signal.SIGINT)
    assert demo.proc.wait(timeout=90) == 0
    out = demo.stdout()
    assert "Stopping the cameras and the local stack" in out and "Stopped. Recordings and settings stay in" in out
