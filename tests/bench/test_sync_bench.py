"""Cameras side by side (issue 26): how close 4 players stay, read from the clocks the simulator draws
into the frames, all tiles captured in one JavaScript turn. Goal: within 100 ms during playback, within
200 ms after a seek (once the players have reloaded). Peer: the same 4 cameras opened as 4 independent
camera pages at the same instant in the same run (what a person did before this view existed).

Where the spread goes: the drawn clocks differ by (a) how far apart the players are (each one's position
− the shared clock, as the follow loop reads it from currentTime: `drift`) and (b) the content's frame
period (10 fps: a frame stays on screen 100 ms, and the cameras' frames start at unrelated instants, so
players at one position still show frames up to a period apart). The bench prints both; (a) is what the
view controls (its dead zone, `DEAD_ZONE_MS` in web/src/sync/clock.ts). `VIGIL_BENCH_SYNC_FPS` sets
the recordings' frame rate (default 10, as the earlier figures)."""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bench
SAMPLES = 20
SEEKS = 3          # each "Back 10 seconds" is followed by SAMPLES // 2 samples

# the view has placed every player (the clock does not hold for one) and each one's position is known
SETTLED_JS = """(cams) => {
  const grid = document.querySelector('.sync-grid');
  if (!grid || grid.dataset.held !== 'no') return false;
  if (document.querySelector('.sync-tile video[data-catching-up="yes"]')) return false;   // one held too long
  const d = cams.map((c) => document.querySelector(`.sync-tile[data-camera="${c}"] video`)?.dataset.drift);
  if (d.some((x) => x === undefined)) return false;
  const n = d.map(Number);
  return Math.max(...n) - Math.min(...n) < 80;
}"""
LANDED_JS = """(below) => {
  const grid = document.querySelector('.sync-grid');
  return !!grid && Number(grid.dataset.clock) < below && grid.dataset.held === 'no'
    && !document.querySelector('.sync-tile video[data-catching-up="yes"]');   // past the hold cap: not landed
}"""
FPS = int(os.environ.get("VIGIL_BENCH_SYNC_FPS", "10"))
# how many players went past the hold cap (web/src/sync/clock.ts HOLD_CAP_MS) landing the last seek
CAPPED_JS = "() => Number(document.querySelector('.sync-grid')?.dataset.capped || 0)"


def _load(name: str, file: str) -> Any:
    if name not in sys.modules:
        path = Path(__file__).resolve().parents[1] / "e2e" / "web" / file
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


SKIPPED = [0]      # reads where a tile had no frame to read (loading, or a frame that is not a clock)


def _spreads(Y: Any, S: Any, page: Any, cams: list[str], n: int, drifts: list[int] | None = None) -> list[int]:
    out: list[int] = []
    deadline = time.monotonic() + 90
    while len(out) < n and time.monotonic() < deadline:
        s = Y.spread_ms(S, page, cams)
        if s is None:
            SKIPPED[0] += 1
        else:
            out.append(s)
            d = Y.drift_spread_ms(page, cams)
            if drifts is not None and d is not None:
                drifts.append(d)
        page.wait_for_timeout(200)
    return out


def _peer_time(S: Any, page: Any) -> int | None:
    """The clock a peer page's player shows, None while it has no readable frame (still loading: blank)."""
    if not page.evaluate("() => !!document.querySelector('video')?.videoWidth"):
        return None
    try:
        return int(S.frame_time_ms(page))
    except ValueError:
        return None


def _p(values: list[int], q: float) -> int:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))] if values else -1


@pytest.mark.timeout(1800)   # 4 x 120 s recorded at 25 fps, then the browser, on a shared 2-core machine
def test_four_cameras_side_by_side_stay_in_sync(cloud: Any, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    S = _load("vigil_web_test_support", "support.py")
    Y = _load("vigil_sync_support", "sync_support.py")
    tag = uuid.uuid4().hex[:6]
    cams = [f"bsync-{i}-{tag}" for i in range(4)]
    for c in cams:
        S.provision(cloud, c, c)
    keys = Y.simulate_together(S, cloud, cams, tmp_path, 60, FPS, timeout=1200)   # 120 s each, recorded together
    # (4 encoders at once on a shared 2-core machine: 25 fps took over 300 s at load 55)
    for c in cams:
        S.wait_indexed(cloud, c, keys[c])
    starts = {c: S.clip_start_ms(keys[c][0]) for c in cams}
    print(f"\nrecordings start at (ms after the first): {[starts[c] - min(starts.values()) for c in cams]}")
    viewer = (f"bsync-viewer-{tag}", "bsync-viewer-password-" + tag)
    S.create_user(cloud, viewer[0], viewer[1], "viewer", cams)
    t = max(S.clip_start_ms(keys[c][0]) for c in cams) + 2000
    base = cloud.functions["vigil-api"]
    with sync_playwright() as pw:
        browser = S.launch_chromium(pw)
        ctx = browser.new_context(viewport={"width": 1366, "height": 900})
        ctx.set_default_timeout(120_000)                 # a loaded shared machine: a page load is not what is measured
        page = ctx.new_page()
        page.goto(f"{base}/sync?cameras={','.join(cams)}&t={t}")
        page.get_by_label("User name").fill(viewer[0])
        page.get_by_label("Password").fill(viewer[1])
        page.get_by_role("button", name="Sign in").click()
        page.locator(".sync-tile video").first.wait_for()
        page.wait_for_function(SETTLED_JS, arg=cams, timeout=120_000)   # the follow loop pulled them together
        drifts: list[int] = []
        playing = _spreads(Y, S, page, cams, SAMPLES, drifts)
        load = os.getloadavg()[0]                        # while the samples were taken
        after_seek: list[int] = []
        capped = 0
        for _ in range(SEEKS):
            before = int(page.locator(".sync-grid").get_attribute("data-clock") or 0)
            page.get_by_role("button", name="Back 10 seconds").click()
            # the seek is made (the shared clock went back) and every player has landed (the clock no longer
            # holds for one): what "after a seek" measures, from the first moment on
            page.wait_for_function(LANDED_JS, arg=before - 5000, timeout=120_000)
            capped += page.evaluate(CAPPED_JS)
            after_seek += _spreads(Y, S, page, cams, SAMPLES // 2)
        # peer: four independent camera pages opened at the same instant, in the same run
        peers = []
        for c in cams:
            p = ctx.new_page()
            p.goto(f"{base}/cameras/{c}?t={t}")
            peers.append(p)
        indep: list[int] = []
        for _ in range(SAMPLES // 2):
            times = [_peer_time(S, p) for p in peers]
            if all(x is not None for x in times):
                known = [x for x in times if x is not None]
                indep.append(max(known) - min(known))
            peers[0].wait_for_timeout(200)
        browser.close()
    print(f"\nside by side, 4 cameras at {FPS} fps (a frame shows {1000 // FPS} ms), drawn clocks (ms), "
          f"{len(playing)} samples while playing, {len(after_seek)} after {SEEKS} seeks of -10 s; load average "
          f"{load:.1f} while playing, {os.getloadavg()[0]:.1f} at the end; {SKIPPED[0]} reads skipped (a tile "
          "without a readable frame):")
    print(f"  playing:     p50 {_p(playing, .5):5d}  p95 {_p(playing, .95):5d}  max {max(playing or [-1]):5d}"
          "   goal <= 100")
    print(f"  players' positions (drift spread, no frame period): p50 {_p(drifts, .5):5d}  "
          f"p95 {_p(drifts, .95):5d}  max {max(drifts or [-1]):5d}")
    print(f"  after seek:  p50 {_p(after_seek, .5):5d}  p95 {_p(after_seek, .95):5d}  max {max(after_seek or [-1]):5d}"
          f"   goal <= 200")
    print(f"  players that held the clock past the cap ({SEEKS} seeks): {capped}")
    print(f"  peer, 4 separate camera pages opened at one instant: p50 {_p(indep, .5)} ms "
          f"(ratio side-by-side/peer p50 {(_p(playing, .5) / max(1, _p(indep, .5))):.2f})  "
          "[sampled page by page, not in one JS turn]")
    assert playing and after_seek
