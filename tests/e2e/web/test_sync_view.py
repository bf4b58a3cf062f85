"""Cameras side by side (issue 26) in Chromium: every player shows the same wall-clock instant (read from
the clock the simulator draws into each frame), a seek moves them together, a camera with no recording at
that instant shows the gap, and the api refuses layouts it must refuse."""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.loading import load_path

from .conftest import HERE, browser_context, load_support

pytestmark = pytest.mark.e2e
S = load_support()
SETTLED_MS = 500   # the test's bar (not a timing): tiles show the same moment; `make bench` measures the spread


Y = load_path("vigil_sync_support", HERE / "sync_support.py")


@pytest.fixture
def ctx(browser: Any) -> Iterator[Any]:
    with browser_context(browser, width=1366) as c:
        yield c


@pytest.fixture(scope="module")
def four(cloud: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    cams = [f"sync-{i}-{tag}" for i in range(3)]
    late = f"sync-late-{tag}"
    for c in [*cams, late]:
        S.provision(cloud, c, c)
    work = tmp_path_factory.mktemp("sync")
    keys = Y.simulate_together(S, cloud, cams, work, 12)
    first_end = max(S.clip_start_ms(k[-1]) for k in keys.values()) + S.CLIP_SECONDS * 1000
    S.wait_until_wall(first_end + 3000)           # the late camera starts after the others ended: a gap
    keys[late] = S.simulate(cloud, late, work / late, 2)
    for c, k in keys.items():
        S.wait_indexed(cloud, c, k)
    viewer = (f"sync-viewer-{tag}", "sync-viewer-password-" + tag)
    S.create_user(cloud, viewer[0], viewer[1], "viewer", [*cams, late])
    overlap = max(S.clip_start_ms(keys[c][0]) for c in cams) + 1000
    return {"cams": cams, "late": late, "keys": keys, "viewer": viewer, "overlap": overlap}



# what each tile is doing, in the failure message of a spread that never settles
TILE_STATE_JS = """(cams) => ({clock: Number(document.querySelector('.sync-grid').dataset.clock),
  held: document.querySelector('.sync-grid').dataset.held,
  tiles: cams.map((c) => { const v = document.querySelector(`.sync-tile[data-camera="${c}"] video`);
    return v && {readyState: v.readyState, paused: v.paused, seeking: v.seeking, gap: v.dataset.gap,
                 drift: v.dataset.drift, follow: v.dataset.follow}; })})"""
SETTLE_S = 90      # a deadline for a busy 2-core machine; the loop returns as soon as the tiles agree


def _settled_spread(page: Any, cams: list[str], end: int, samples: int = 5) -> tuple[list[int], Any]:
    """Samples of the tiles' spread once they follow the clock (the first seconds after loading, the
    follow loop is still pulling them together): returns as soon as `samples` agree, else all it saw and
    what the tiles were doing. The clock plays on meanwhile, and the recordings end `end` (ms): on a loaded
    machine settling can outlast them, and past `end` every tile rightly shows the gap, never a frame; so
    near `end` the test goes back 10 s, as a viewer would, and samples afresh (that seek must land too)."""
    got: list[int] = []
    deadline = time.monotonic() + SETTLE_S
    while time.monotonic() < deadline:
        state = page.evaluate(TILE_STATE_JS, cams)
        if state["clock"] > end - 4000:
            page.get_by_role("button", name="Back 10 seconds").click()
            page.wait_for_function("(end) => Number(document.querySelector('.sync-grid').dataset.clock) < end",
                                   arg=end - 4000)
            got.clear()
            continue
        s = Y.spread_ms(S, page, cams)
        if s is not None:
            got.append(s)
            if len(got) >= samples and all(x <= SETTLED_MS for x in got[-samples:]):
                return got[-samples:], state
        page.wait_for_timeout(150)
    return got, page.evaluate(TILE_STATE_JS, cams)


def test_players_show_the_same_instant_and_a_gap_is_a_gap(cloud: Any, ctx: Any, four: dict, artifacts: Path) -> None:
    cams, late = four["cams"], four["late"]
    ids = ",".join([*cams, late])
    page = S.sign_in(ctx, cloud.functions["vigil-api"], four["viewer"], f"/sync?cameras={ids}&t={four['overlap']}")
    for c in cams:
        page.locator(f".sync-tile[data-camera='{c}'] video").wait_for()
    page.wait_for_function("(cams) => cams.every(c => {"
                           " const v = document.querySelector(`.sync-tile[data-camera=\"${c}\"] video`);"
                           " return v && v.readyState >= 2 && !v.paused; })", arg=cams, timeout=60_000)
    end = min(S.clip_start_ms(four["keys"][c][-1]) for c in cams) + S.CLIP_SECONDS * 1000
    spreads, state = _settled_spread(page, cams, end)
    assert len(spreads) >= 5 and max(spreads[-5:]) <= SETTLED_MS, (spreads, state)
    # the late camera had no recording then: its tile says so instead of showing a frame
    assert page.locator(f".sync-tile[data-camera='{late}'] .sync-gap").inner_text() == "No recording"
    page.screenshot(path=str(artifacts / "sync-view.png"))
    # pause, then seek 2 s on: they stop together and land together
    page.get_by_role("button", name="Pause all").click()
    page.get_by_role("button", name="Play all").wait_for()
    after_pause, state = _settled_spread(page, cams, end, 3)
    assert len(after_pause) >= 3 and max(after_pause[-3:]) <= SETTLED_MS, (after_pause, state)


STALL_JS = """([stalled, others, since]) => {
  const grid = document.querySelector('.sync-grid');
  const tile = (c) => document.querySelector(`.sync-tile[data-camera="${c}"] video`);
  return Number(grid.dataset.clock) > since && grid.dataset.held === 'no'
    && tile(stalled).dataset.catchingUp === 'yes'
    && others.every((c) => { const v = tile(c); return v && v.readyState >= 2 && !v.paused; });
}"""


def test_a_stalled_player_holds_the_others_only_briefly_then_catches_up(cloud: Any, ctx: Any, four: dict) -> None:
    """One camera's segments never arrive (held at the browser): its player may hold the shared clock
    only for a bounded time; then the others play on together, its tile says it is catching up, and once
    its segments come it rejoins them at the same instant."""
    import re
    from contextlib import suppress

    from playwright.sync_api import Error as PlaywrightError

    cams = four["cams"]
    stalled, others = cams[0], cams[1:]
    held: list[Any] = []
    flowing = [False]

    def stall(route: Any) -> None:
        if flowing[0]:
            route.continue_()
        else:
            held.append(route)      # neither answered nor failed: the request just waits

    ctx.route(re.compile(rf"videos/{re.escape(stalled)}/[^?]*\.ts"), stall)
    page = S.sign_in(ctx, cloud.functions["vigil-api"], four["viewer"],
                     f"/sync?cameras={','.join(cams)}&t={four['overlap']}")
    page.locator(".sync-grid").wait_for()
    badge = page.locator(f".sync-tile[data-camera='{stalled}'] .sync-catching-up")
    badge.wait_for(timeout=60_000)
    assert badge.inner_text() == "Catching up…" and held, "the stalled camera's segments were not asked for"
    since = page.evaluate("() => Number(document.querySelector('.sync-grid').dataset.clock)")
    # the others go on: the clock runs without its player, theirs play, and they agree with each other
    page.wait_for_function(STALL_JS, arg=[stalled, others, since + 2000], timeout=30_000)
    end = min(S.clip_start_ms(four["keys"][c][-1]) for c in cams) + S.CLIP_SECONDS * 1000
    spreads, state = _settled_spread(page, others, end, 3)
    assert len(spreads) >= 3 and max(spreads[-3:]) <= SETTLED_MS, (spreads, state)
    assert page.evaluate(TILE_STATE_JS, [stalled])["tiles"][0]["readyState"] < 3, "its segments came after all"
    # its segments arrive: it catches up, the badge goes, and all three show the same instant
    flowing[0] = True
    for route in held:
        with suppress(PlaywrightError):      # a request hls.js gave up on meanwhile is gone
            route.continue_()
    badge.wait_for(state="detached", timeout=60_000)
    spreads, state = _settled_spread(page, cams, end, 3)
    assert len(spreads) >= 3 and max(spreads[-3:]) <= SETTLED_MS, (spreads, state)


def test_the_api_refuses_layouts_it_must(cloud: Any, four: dict) -> None:
    base = cloud.functions["vigil-api"]
    http = requests.Session()
    r = http.post(f"{base}/api/v1/login", json={"username": four["viewer"][0], "password": four["viewer"][1]},
                  timeout=30)
    assert r.status_code == 200
    t = four["overlap"]

    def ask(cams: str) -> requests.Response:
        return http.get(f"{base}/api/v1/sync", params={"cameras": cams, "start": t - 60_000, "end": t + 60_000},
                        timeout=30)

    ok = ask(",".join(four["cams"]))
    assert ok.status_code == 200 and [c["id"] for c in ok.json()["cameras"]] == four["cams"]
    assert ask(four["cams"][0]).status_code == 400                       # one camera is not side by side
    ten = ask(",".join(f"cam-{i:03d}" for i in range(10)))
    assert ten.status_code == 400 and "9 cameras" in ten.json()["error"]["message"]
    other = ask(f"{four['cams'][0]},not-yours-cam")
    assert other.status_code == 403 and "not-yours-cam" in other.json()["error"]["message"]
    empty = http.get(f"{base}/api/v1/sync", params={"cameras": ",".join(four["cams"]), "start": 1_000_000,
                                                    "end": 2_000_000}, timeout=30)
    assert empty.status_code == 404 and empty.json()["error"]["code"] == "nothing_recorded"


def _simulate_activity(cloud: Any, device: str, work: Path, count: int, truth: Path) -> list[str]:
    """`vigil-camera simulate --activity` (seeded crossings, the first 20 s in) for one camera."""
    import json
    import os
    import subprocess

    import oss2
    from vigil_camera.protocol import device_secret

    work.mkdir(parents=True, exist_ok=True)
    config = work / "camera.json"
    config.write_text(json.dumps({"token_url": cloud.functions["vigil-token"], "device_id": device,
                                  "device_secret": device_secret(cloud.master_key, device, 1),
                                  "spool_dir": str(work / "spool")}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "--config", str(config), "simulate",
                          "--fps", "10", "--resolution", "640x360", "--clip-seconds", "2", "--count", str(count),
                          "--fast", "--activity", "--seed", "5", "--truth", str(truth)],
                         env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, (res.stdout[-1000:], res.stderr[-2000:])
    return sorted(o.key for o in oss2.ObjectIterator(cloud.bucket(), prefix=f"videos/{device}/"))


def test_next_event_moves_every_player_to_it_and_the_strip_shows_activity(cloud: Any, ctx: Any,
                                                                          tmp_path: Path) -> None:
    import json

    tag = uuid.uuid4().hex[:6]
    busy, quiet = f"sync-act-{tag}", f"sync-quiet-{tag}"
    for c in (busy, quiet):
        S.provision(cloud, c, c)
    truth = tmp_path / "truth.jsonl"
    keys = _simulate_activity(cloud, busy, tmp_path / busy, 25, truth)
    quiet_keys = S.simulate(cloud, quiet, tmp_path / quiet, 3)
    S.wait_indexed(cloud, busy, keys)
    S.wait_indexed(cloud, quiet, quiet_keys)
    crossings = [json.loads(line) for line in truth.read_text().splitlines() if line.strip()]
    assert crossings, "the scene drew no crossing in 50 s"
    from datetime import datetime

    first = int(datetime.fromisoformat(crossings[0]["start"].replace("Z", "+00:00")).timestamp() * 1000)
    viewer = (f"sync-act-viewer-{tag}", "sync-act-viewer-password-" + tag)
    S.create_user(cloud, viewer[0], viewer[1], "viewer", [busy, quiet])
    start = S.clip_start_ms(keys[0]) + 2000
    page = S.sign_in(ctx, cloud.functions["vigil-api"], viewer, f"/sync?cameras={busy},{quiet}&t={start}")
    page.locator(".sync-activity").first.wait_for(timeout=60_000)       # the busy camera's strip
    page.get_by_role("button", name="Pause all").click()
    page.get_by_role("button", name="Next event").click()
    page.wait_for_function("(first) => Math.abs(Number(document.querySelector('.sync-grid').dataset.clock) - first)"
                           " < 2000", arg=first, timeout=30_000)


def test_one_export_of_every_camera_shown_from_the_sync_view(cloud: Any, ctx: Any, four: dict) -> None:
    """One click exports the cameras side by side over one range: one MP4 each, one signed manifest
    listing them all, each file's link named for its camera."""
    cams = four["cams"]
    page = S.sign_in(ctx, cloud.functions["vigil-api"], four["viewer"],
                     f"/sync?cameras={','.join(cams)}&t={four['overlap']}")
    page.get_by_role("button", name="Pause all").click()
    page.get_by_label("Export length").select_option("1")
    page.get_by_role("button", name=f"Export {len(cams)} cameras").click()
    done = page.locator(".sync-export-done")
    done.wait_for(timeout=180_000)
    assert f"Exported {len(cams)} files under one signed manifest" in done.inner_text()
    links = done.locator("a[data-camera]")
    assert [links.nth(i).get_attribute("data-camera") for i in range(links.count())] == cams
    for i, cam in enumerate(cams):
        assert (links.nth(i).get_attribute("download") or "").startswith(f"vigil-{cam}-")
    manifest = requests.get(str(done.locator(".sync-export-manifest").get_attribute("href")), timeout=30).json()
    assert manifest["manifest"]["requested"]["cameras"] == cams
    assert [f["camera"] for f in manifest["manifest"]["files"]] == cams
    first = requests.get(str(links.nth(0).get_attribute("href")), timeout=30).content
    import hashlib

    assert hashlib.sha256(first).hexdigest() == manifest["manifest"]["files"][0]["sha256"]


def test_saved_layouts_live_on_the_server_and_the_browser_layout_moves_there(cloud: Any, ctx: Any, four: dict) -> None:
    cams, late = four["cams"], four["late"]
    base = cloud.functions["vigil-api"]
    page = S.sign_in(ctx, base, four["viewer"], "/")
    page.evaluate("(ids) => localStorage.setItem('vigil.sync.layout', ids)", ",".join(cams[:2]))
    page.goto(f"{base}/sync")
    saved = page.get_by_role("region", name="Saved layouts")
    saved.locator("li[data-layout='Last used']").wait_for()          # moved from the browser to the server
    assert page.evaluate("() => localStorage.getItem('vigil.sync.layout')") is None
    # save the cameras a view shows under a name
    page.goto(f"{base}/sync?cameras={','.join([late, *cams])}&t={four['overlap']}")
    page.get_by_label("Layout name").fill("Yard 院子")
    page.get_by_role("button", name="Save layout").click()
    page.get_by_role("status").filter(has_text="Saved as").wait_for()
    # another browser (a new context: no localStorage) sees both, opens one, deletes one
    other = ctx.browser.new_context(locale="en-GB")
    try:
        p2 = S.sign_in(other, base, four["viewer"], "/sync")
        region = p2.get_by_role("region", name="Saved layouts")
        region.locator("li[data-layout='Yard 院子']").wait_for()
        assert region.locator("li").count() == 2
        region.get_by_role("link", name="Yard 院子").click()
        want = f"cameras={late},{','.join(cams)}"
        p2.wait_for_url(lambda url: want in url)
        p2.goto(f"{base}/sync")
        p2.get_by_role("button", name="Delete layout Last used").click()
        p2.get_by_role("region", name="Saved layouts").locator("li[data-layout='Last used']").wait_for(state="detached")
    finally:
        other.close()
    http = requests.Session()
    assert http.post(f"{base}/api/v1/login", json={"username": four["viewer"][0], "password": four["viewer"][1]},
                     timeout=30).status_code == 200
    assert [x["name"] for x in http.get(f"{base}/api/v1/sync/layouts", timeout=30).json()["layouts"]] == ["Yard 院子"]
