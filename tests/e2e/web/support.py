"""Helpers of the browser tests and the web benchmark: simulated cameras, users, and reading the
wall-clock time the simulator drew into the frame the browser is showing.

Imported by path (tests run with --import-mode=importlib): `load_support()` in conftest / the bench."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import oss2
from vigil_camera.keys import parse_clip_key
from vigil_camera.media import read_clock
from vigil_camera.protocol import device_secret
from vigil_fn.core.devices import DeviceRecord, Registry

CHROMIUM = os.environ.get("VIGIL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
CLIP_SECONDS = 2
FPS = 10
RESOLUTION = "640x360"  # the drawn clock's glyphs are 4 px cells at this height


def launch_chromium(pw: Any) -> Any:
    """Debian's Chromium (Playwright's own browser download does not work on these machines)."""
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make chromium`"
    return pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def provision(cloud: Any, device: str, name: str) -> None:
    Registry(cloud.bucket()).create(DeviceRecord(device, name=name))


def simulate(cloud: Any, device: str, work: Path, count: int, fps: int = FPS, timeout: float = 300) -> list[str]:
    """Runs `vigil-camera simulate --fast` (frames stamped from now on) and returns the new clip keys."""
    work.mkdir(parents=True, exist_ok=True)
    config = work / "camera.json"
    config.write_text(json.dumps({"token_url": cloud.functions["vigil-token"], "device_id": device,
                                  "device_secret": device_secret(cloud.master_key, device, 1),
                                  "spool_dir": str(work / "spool")}))
    bucket = cloud.bucket()
    before = {o.key for o in oss2.ObjectIterator(bucket, prefix=f"videos/{device}/")}
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "--config", str(config), "simulate",
                          "--fps", str(fps), "--resolution", RESOLUTION, "--clip-seconds", str(CLIP_SECONDS),
                          "--count", str(count), "--fast"], env=env, capture_output=True, text=True, timeout=timeout)
    assert res.returncode == 0, (res.stdout[-1000:], res.stderr[-2000:])
    return sorted({o.key for o in oss2.ObjectIterator(bucket, prefix=f"videos/{device}/")} - before)


def clip_start_ms(key: str) -> int:
    parsed = parse_clip_key(key)
    assert parsed is not None, key
    return int(parsed.start.timestamp() * 1000)


def wait_until_wall(ms: float) -> None:
    """Waits for the wall clock to pass `ms` (the simulator stamps frames from the moment it starts)."""
    while time.time() * 1000 < ms:
        time.sleep(0.1)


def wait_indexed(cloud: Any, device: str, keys: list[str], timeout: float = 90) -> None:
    """Polls the indexer's day logs until every key is on the timeline."""
    from vigil_fn.indexer import reader

    bucket = cloud.bucket()
    days = {parse_clip_key(k).day for k in keys}  # type: ignore[union-attr]
    deadline = time.monotonic() + timeout
    have: set[str] = set()
    while time.monotonic() < deadline:
        have = {c.key for d in days for c in reader.day_clips(bucket, device, d)}
        if set(keys) <= have:
            return
        time.sleep(0.2)
    raise AssertionError(f"not indexed in {timeout}s: {sorted(set(keys) - have)}")


def sign_in(ctx: Any, base: str, who: tuple[str, str], path: str) -> Any:
    """A new page of `ctx` at `path`, signed in through the login form as `who` (name, password)."""
    page = ctx.new_page()
    page.goto(base + path)
    page.get_by_label("User name").fill(who[0])
    page.get_by_label("Password").fill(who[1])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    return page


def create_user(cloud: Any, name: str, password: str, role: str, cameras: list[str] | None = None) -> None:
    from vigil_fn.api.users import UserStore

    UserStore(cloud.bucket()).create(name, password, role, cameras)


# -- the clock the simulator drew into the frame ---------------------------------------------------

_FRAME_JS = """(selector) => {
  const v = document.querySelector(selector);
  if (!v || !v.videoWidth) return null;
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d');
  g.drawImage(v, 0, 0);
  const h = Math.min(c.height, Math.ceil(c.height / 90) * 8);
  const d = g.getImageData(0, 0, c.width, h).data;
  const luma = [];
  for (let i = 0; i < d.length; i += 4) luma.push(Math.round(0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]));
  return {w: c.width, h: h, full_h: c.height, luma: luma};
}"""


def decode_clock(luma: np.ndarray, full_height: int) -> datetime:
    """Reads `YYYY-MM-DD HH:MM:SS.mmm` (UTC) drawn by vigil_camera.media.test_frame."""
    return read_clock(luma, full_height)


def frame_time_ms(page: Any, selector: str = "#app video") -> int:
    """The wall-clock instant drawn into the frame the page's <video> (`selector`; by default the player's,
    not a camera page's preview) shows now, epoch ms."""
    doc = page.evaluate(_FRAME_JS, selector)
    assert doc is not None, "the video has no frame yet"
    luma = np.array(doc["luma"], dtype=np.uint8).reshape(doc["h"], doc["w"])
    return int(decode_clock(luma, doc["full_h"]).timestamp() * 1000)
