"""The grid's live tiles start at the press (issue 30 goal 2): for a camera someone already watches, the
tile's POST /live and the playlist GET go out together, the first segment is fetched as soon as the
playlist is in, and hls.js takes both (web/src/live/warm.ts, primed.ts) — so the first frame does not
wait for POST /live, and nothing is asked twice before it."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.loading import load_path

from .conftest import HERE, load_support

pytestmark = pytest.mark.e2e
S = load_support()
L = load_path("vigil_live_support", HERE / "live_support.py")

TILE = "li[data-camera] video.live-video"
PLAYING = ("(sel) => { const v = document.querySelector(sel); return !!(v && v.readyState >= 2 && !v.paused"
           " && v.vigilHls && v.vigilHls.playingDate) }")
# the first frame any <video> presents (hooked as the element appears, before it can play)
FIRST_FRAME = """(() => {
  const seen = new WeakSet();
  new MutationObserver(() => document.querySelectorAll('video').forEach((v) => {
    if (seen.has(v)) return;
    seen.add(v);
    v.requestVideoFrameCallback((now) => { window.__firstFrame ??= now; });
  })).observe(document, { childList: true, subtree: true });
})();"""
# the playlists and segments the page asked for before that frame, in order (resource timing lists the
# cross-origin segments too, with their start)
BEFORE_FIRST_FRAME = """() => performance.getEntriesByType('resource')
  .filter((e) => e.startTime <= window.__firstFrame)
  .sort((a, b) => a.startTime - b.startTime)
  .map((e) => [new URL(e.name).pathname, e.initiatorType])
  .filter(([p]) => p.endsWith('.m3u8') || p.endsWith('.ts'))"""


@pytest.fixture
def live_camera(cloud: Any, tmp_path: Path) -> Iterator[tuple[str, tuple[str, str]]]:
    """A camera streaming live because someone else watches it, and a viewer who may see it."""
    device = f"tile-{uuid.uuid4().hex[:6]}"
    viewer, watcher = L.watched_camera(cloud, S, device, "Live tile")
    cam = L.LiveCamera(cloud, device, tmp_path / "cam")
    cam.start()
    try:
        cam.wait_recording(cloud, device)
        with L.Watcher(cloud.functions["vigil-api"], *watcher, device):
            yield device, viewer
    finally:
        cam.stop()


def press_live_tiles(ctx: Any, cloud: Any, device: str, viewer: tuple[str, str]) -> tuple[Any, list[Any]]:
    """The grid, signed in as `viewer`, with "Live tiles" pressed and the tile's POST /live held (the routes
    in the list, for the test to answer); the tile must then play."""
    page = S.sign_in(ctx, cloud.functions["vigil-api"], viewer, "/")
    page.locator(f'li[data-camera="{device}"]').wait_for()
    held: list[Any] = []
    page.route(f"**/api/v1/cameras/{device}/live",
               lambda route: held.append(route) if route.request.method == "POST" else route.continue_())
    page.get_by_role("button", name="Live tiles").click()
    page.wait_for_function(PLAYING, arg=TILE, timeout=30_000, polling=100)
    return page, held


def test_a_live_tile_plays_before_post_live_answers_and_asks_nothing_twice(
        cloud: Any, ctx: Any, live_camera: tuple[str, tuple[str, str]]) -> None:
    device, viewer = live_camera
    ctx.add_init_script(FIRST_FRAME)
    # the first frame came while POST /live was still unanswered (held here): a camera already live does
    # not wait for it (before: POST, then a readiness GET, then hls.js's own GET, one after another)
    page, held = press_live_tiles(ctx, cloud, device, viewer)
    assert len(held) == 1, "the tile's POST /live was held until now"
    page.wait_for_function("() => window.__firstFrame !== undefined")
    before = page.evaluate(BEFORE_FIRST_FRAME)
    first_segment = next(i for i, (p, _) in enumerate(before) if p.endswith(".ts"))
    playlists = before[:first_segment]   # (hls.js reloads the live playlist every second after that)
    segments = [p for p, _ in before if p.endswith(".ts")]
    # once, by the page's start (fetch), not again by hls.js (XHR): hls.js took that answer
    assert playlists == [[f"/api/v1/cameras/{device}/live.m3u8", "fetch"]], before
    assert before[first_segment][1] == "fetch", before                     # the first segment too
    assert segments and len(segments) == len(set(segments)), before        # and no segment fetched twice
    with page.expect_response(lambda r: r.url.endswith(f"/{device}/live") and r.request.method == "POST"):
        held[0].continue_()
    # the answer came after the first frame: it puts no "Waiting…" over the picture (two frames to render)
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert page.locator("li[data-camera] .live-status").count() == 0
    first = page.evaluate(f"() => document.querySelector('{TILE}').vigilHls.playingDate.getTime()")
    page.wait_for_function(f"(t) => document.querySelector('{TILE}').vigilHls.playingDate.getTime() > t + 2000",
                           arg=first, timeout=30_000, polling=200)     # and it plays on once POST has answered
    assert page.locator("li[data-camera] .live-status").count() == 0


def test_a_live_tile_refused_by_post_live_stops_and_says_why(
        cloud: Any, ctx: Any, live_camera: tuple[str, tuple[str, str]]) -> None:
    device, viewer = live_camera
    page, held = press_live_tiles(ctx, cloud, device, viewer)
    # the api refuses the start after all (the user's live-start limit): the tile stops and says so
    held[0].fulfill(status=429, content_type="application/json", headers={"Retry-After": "30"},
                    body=json.dumps({"error": {"code": "rate_limited", "message": "too many live starts"}}))
    status = page.locator("li[data-camera] .live-status")
    status.wait_for()
    assert "too many live starts" in status.inner_text()
    page.wait_for_function("(sel) => { const v = document.querySelector(sel); return !v.vigilHls || v.paused"
                           " || v.readyState < 2 || v.error !== null || v.vigilHls.media === null }",
                           arg=TILE, timeout=10_000, polling=100)
