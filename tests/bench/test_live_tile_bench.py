"""Live tile benchmark (issue 30 goal 2, second half): a fresh browser opens the camera grid while the
camera is already live (someone else watches: a second viewer holds the live lease by polling the
playlist, as a playing page does), presses "Live tiles", and the tile's first presented frame is timed
beside the FLOOR, in the same run, interleaved, median of RUNS each.

- Tile: ms from the click on "Live tiles" to the first `requestVideoFrameCallback` of the tile's
  `<video>` (the first frame Chromium presents, not a readyState change). The click comes once the
  grid has settled (network idle: its stills are in, and the player's script it fetches when idle);
  the figure from the navigation start is printed beside it, and apart, the same with the click as
  soon as the camera's card shows (the player's script then often still on its way).
- Floor: a bare page (`<video muted autoplay playsinline src=one.m3u8>`, nothing else) playing the
  camera's NEWEST live segment (presigned GET from OSS) natively: Debian's Chromium (>= 141) plays HLS
  in a bare `<video>` (canPlayType('application/vnd.apple.mpegurl') = "maybe"; `video/mp2t` itself it
  does not), so the smallest thing that plays one MPEG-TS segment is a one-segment VOD playlist naming
  it. Page, playlist and segment are presigned GETs from the bucket (Chromium plays HLS segments of the
  page's own origin only); ms from the navigation start.
- Bytes: what each transferred (headers + bodies; for the tile, everything after the click and the
  whole page load apart).
- Waking: the same tile with nobody watching before (the camera idle, probing every 4 s): printed as
  a figure of its own, not in the ratio.
"""

from __future__ import annotations

import html
import importlib.util
import os
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.bench
ROOT = Path(__file__).resolve().parents[2]
RUNS = 5

# the first presented frame of any <video> (the tile's, or the floor's), and the click that asked for it
_HOOKS = """
(() => {
  document.addEventListener('click', () => { if (window.__click === undefined) window.__click = performance.now(); },
                            { capture: true });
  const seen = new WeakSet();
  const hook = (v) => {
    if (seen.has(v)) return;
    seen.add(v);
    v.requestVideoFrameCallback(() => {
      if (window.__firstFrame === undefined) window.__firstFrame = performance.now();
    });
  };
  new MutationObserver(() => document.querySelectorAll('video').forEach(hook))
    .observe(document, { childList: true, subtree: true });
  // the player's hls.js, as the page hands it to the tests (video.vigilHls): when each step happened
  window.__hls = [];
  Object.defineProperty(HTMLVideoElement.prototype, 'vigilHls', { configurable: true, set(h) {
    Object.defineProperty(this, 'vigilHls', { value: h, configurable: true });
    window.__hls.push(['new Hls', performance.now()]);
    for (const name of ['hlsMediaAttached', 'hlsManifestLoaded', 'hlsLevelLoaded', 'hlsFragLoading', 'hlsFragLoaded',
                        'hlsBufferCreated', 'hlsFragParsed', 'hlsFragBuffered']) {
      const at = (d) => name.slice(3) + (d && d.frag ? ' ' + d.frag.sn : '');
      h.on(name, (_e, d) => window.__hls.push([at(d), performance.now()]));
    }
  } });
})();
"""

_HLS_EVENTS = """(since) => (window.__hls || []).map(([what, at]) => `${what} ${Math.round(at - since)}`)"""

_WATERFALL = """(since) => performance.getEntriesByType('resource').filter(e => e.startTime >= since - 1).map(e => {
  const u = new URL(e.name);
  let p = u.pathname.replace('/api/v1/', '');
  if (p.includes('/hls/')) p = 'segment ' + p.split('/').pop();
  else if (p.startsWith('/assets/')) p = p.slice(8);
  const at = (ms) => Math.round(ms - since);
  return `${p.length > 40 ? p.slice(0, 40) + '…' : p} ${at(e.startTime)}→${at(e.responseEnd)} (${e.transferSize} B)`;
})"""


def _load(path: Path, name: str) -> Any:
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        sys.modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[name])
    return sys.modules[name]


def _newest_segment(bucket: Any, camera: str) -> tuple[str, float]:
    from vigil_camera.keys import live_hls_prefix, live_playlist_key

    text = bucket.get_object(live_playlist_key(camera)).read().decode()
    lines = text.splitlines()
    uri = [ln for ln in lines if ln and not ln.startswith("#")][-1]
    extinf = [ln for ln in lines if ln.startswith("#EXTINF:")][-1]
    return live_hls_prefix(camera) + uri.strip(), float(extinf[8:].split(",")[0])


# (ms from the click, ms from the navigation, bytes after the click, all bytes, waterfall)
Run = tuple[float, float, int, int, list[str]]


def _measure(browser: Any, url: str, session: dict[str, Any] | None, camera: str | None,
             settled: bool = True) -> Run:
    """`session`: a signed-in browser state (its cookie; the cache is fresh each time). `settled`: the click
    waits for the grid's network to go idle, else comes as soon as the card shows."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 900}, storage_state=session)
    try:
        ctx.add_init_script(_HOOKS)
        page = ctx.new_page()
        sent: dict[Any, float] = {}    # request -> wall ms when the page asked for it
        sizes: list[tuple[float, int]] = []

        def done(req: Any) -> None:
            s = req.sizes()
            sizes.append((sent.get(req, 0.0), s["responseBodySize"] + s["responseHeadersSize"]))

        page.on("request", lambda req: sent.__setitem__(req, time.time() * 1000))
        page.on("requestfinished", done)
        page.goto(url)
        clicked_wall = 0.0
        if camera is not None:
            page.locator(f'li[data-camera="{camera}"]').wait_for()
            if settled:
                page.wait_for_load_state("networkidle")  # the grid has settled (and fetched the player's script)
            clicked_wall = time.time() * 1000
            page.get_by_role("button", name="Live tiles").click()
        page.wait_for_function("() => window.__firstFrame !== undefined", timeout=120_000, polling=50)
        first, click = page.evaluate("() => [window.__firstFrame, window.__click ?? 0]")
        events = page.evaluate(_HLS_EVENTS, click) if camera is not None else []  # the page's hls.js, from the click
        after = sum(n for start, n in sizes if camera is not None and start >= clicked_wall)
        return (float(first - click), float(first), after, sum(n for _, n in sizes),
                page.evaluate(_WATERFALL, click) + events)
    finally:
        ctx.close()


def _idle(bucket: Any, camera: str, quiet_s: float = 10.0, timeout: float = 180) -> None:
    """Until the camera stopped uploading live segments (its lease ran out): the playlist is `quiet_s` old,
    older than the api serves (8 s), so the next viewer waits for the camera, not for a stale window."""
    from email.utils import parsedate_to_datetime

    from vigil_camera.keys import live_playlist_key

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        modified = bucket.head_object(live_playlist_key(camera)).headers["Last-Modified"]
        if time.time() - parsedate_to_datetime(modified).timestamp() > quiet_s:
            return
        time.sleep(0.5)
    raise AssertionError("the camera kept its live view on")


def _floor_page(bucket: Any, camera: str, run: int, segment: str, seconds: float) -> str:
    """The floor: a page holding only `<video src=playlist>`, the playlist naming only the segment; all three
    presigned from the bucket itself. Chromium's native HLS plays segments of the page's own origin only (a
    segment of another origin leaves the element NETWORK_NO_SOURCE), so the page comes from OSS too."""
    ttl = 300
    seg_url = bucket.sign_url("GET", segment, ttl, slash_safe=True)
    playlist = f"bench-live/{camera}/one{run}.m3u8"
    bucket.put_object(playlist, f"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:{max(1, round(seconds))}\n"
                                f"#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:{seconds:.3f},\n{seg_url}\n#EXT-X-ENDLIST\n",
                      headers={"Content-Type": "application/vnd.apple.mpegurl"})
    src = html.escape(bucket.sign_url("GET", playlist, ttl, slash_safe=True))
    page = f"bench-live/{camera}/floor{run}.html"
    bucket.put_object(page, f'<!doctype html><video muted autoplay playsinline src="{src}"></video>',
                      headers={"Content-Type": "text/html"})
    return str(bucket.sign_url("GET", page, ttl, slash_safe=True))


def test_live_tile_first_frame_beside_the_newest_segment_played_bare(cloud: Any, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    s = _load(ROOT / "tests/e2e/web/support.py", "vigil_web_test_support")
    live = _load(ROOT / "tests/e2e/web/live_support.py", "vigil_live_support")
    assert (ROOT / "functions/webroot/index.html").exists(), "the web page is not built: run `make web`"
    camera = f"tile-{uuid.uuid4().hex[:6]}"
    viewer, watcher = live.watched_camera(cloud, s, camera, "tile bench")
    base = cloud.functions["vigil-api"]
    bucket = cloud.bucket()
    cam = live.LiveCamera(cloud, camera, tmp_path / "cam")
    cam.start()
    tiles: list[Run] = []
    earlies: list[Run] = []
    floors: list[Run] = []
    seg_bytes: list[int] = []
    try:
        cam.wait_recording(cloud, camera)
        with sync_playwright() as pw:
            browser = s.launch_chromium(pw)
            try:
                native = browser.new_page().evaluate(
                    "() => document.createElement('video').canPlayType('application/vnd.apple.mpegurl')")
                assert native, "this Chromium cannot play HLS in a bare <video>: the floor needs another player"
                login = browser.new_context()  # one sign-in for all runs (the api limits login attempts)
                resp = login.request.post(f"{base}/api/v1/login", data={"username": viewer[0], "password": viewer[1]})
                assert resp.ok, resp.text()
                session = login.storage_state()
                login.close()
                with live.Watcher(base, *watcher, camera):
                    for i in range(RUNS + 1):  # interleaved; the first pair warms the api's instances and is dropped
                        key, seconds = _newest_segment(bucket, camera)
                        seg_bytes.append(int(bucket.head_object(key).content_length))
                        floor_url = _floor_page(bucket, camera, i, key, seconds)
                        tile = _measure(browser, base + "/", session, camera)
                        early = _measure(browser, base + "/", session, camera, settled=False)
                        floor = _measure(browser, floor_url, None, None)
                        if i:
                            tiles.append(tile)
                            earlies.append(early)
                            floors.append(floor)
                load = os.getloadavg()
                _idle(bucket, camera)
                waking = _measure(browser, base + "/", session, camera)
            finally:
                browser.close()
    finally:
        cam.stop()

    tile_ms = statistics.median(r[0] for r in tiles)
    floor_ms = statistics.median(r[1] for r in floors)
    tile_bytes = statistics.median(r[2] for r in tiles)
    floor_bytes = statistics.median(r[3] for r in floors)
    print(f"\nLIVE TILE (grid, camera already live): first frame {tile_ms:.0f} ms from the click (median of {RUNS}, "
          f"runs {[round(r[0]) for r in tiles]}); from navigation {statistics.median(r[1] for r in tiles):.0f} ms; "
          f"{tile_bytes / 1024:.1f} KiB after the click, {statistics.median(r[3] for r in tiles) / 1024:.1f} KiB "
          f"with the page")
    print(f"floor (bare <video>, native HLS, one-segment playlist of the newest live segment): first frame "
          f"{floor_ms:.0f} ms (runs {[round(r[1]) for r in floors]}), {floor_bytes / 1024:.1f} KiB "
          f"(segments {statistics.median(seg_bytes) / 1024:.1f} KiB)")
    print(f"ratio tile/floor: time {tile_ms / floor_ms:.2f}x, bytes {tile_bytes / max(floor_bytes, 1):.2f}x; "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    early_ms = statistics.median(r[0] for r in earlies)
    print(f"tile clicked as soon as the card shows (the player's script may still be on its way): {early_ms:.0f} ms "
          f"(runs {[round(r[0]) for r in earlies]}), {statistics.median(r[2] for r in earlies) / 1024:.1f} KiB after "
          f"the click; {early_ms / floor_ms:.2f}x the floor")
    print("tile waterfall (median run, ms from the click):",
          "; ".join(sorted(tiles, key=lambda r: r[0])[len(tiles) // 2][4]))
    print(f"waking tile (nobody watching before): first frame {waking[0]:.0f} ms from the click, "
          f"{waking[2] / 1024:.1f} KiB; waterfall: {'; '.join(waking[4])}")
    assert tile_ms > 0 and floor_ms > 0 and waking[0] > 0
    assert floor_bytes >= min(seg_bytes) // 2  # the floor really fetched the segment
