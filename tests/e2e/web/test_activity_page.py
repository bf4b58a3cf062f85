"""Activity in the camera page (issue 23), on real video: a camera runs `vigil-camera simulate
--activity` (two seeded crossings, ~20 s and ~56 s in, with the scene's negatives all the time), the
indexer folds its clips, and the page shows the day's activity strip and two events; the n / p keys
step between them, a review mark is kept by the server (it survives a reload, and is the user's
own), and "play activity only" plays the first event and jumps over the quiet half minute to the
second — the player's clock never shows a time inside the quiet stretch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oss2
import pytest
import requests
from vigil_camera.protocol import device_secret

from .conftest import Site, browser_context, load_support

pytestmark = pytest.mark.e2e
S = load_support()
SEED = 135          # crossings at 20.0–24.2 s and 55.6–59.3 s of the run (vigil_camera.activity.scene)


@pytest.fixture(scope="module")
def active_camera(site: Site, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, list[str]]:
    cloud = site.cloud
    camera = f"web-act-{uuid.uuid4().hex[:6]}"
    S.provision(cloud, camera, "Gate")
    work = tmp_path_factory.mktemp("act-cam")
    config = work / "camera.json"
    config.write_text(json.dumps({"token_url": cloud.functions["vigil-token"], "device_id": camera,
                                  "device_secret": device_secret(cloud.master_key, camera, 1),
                                  "spool_dir": str(work / "spool")}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "--config", str(config), "simulate",
                          "--activity", "--seed", str(SEED), "--fps", "5", "--resolution", "320x180",
                          "--clip-seconds", "10", "--duration", "70", "--fast"],
                         env=env, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, (res.stdout[-1000:], res.stderr[-2000:])
    keys = sorted(o.key for o in oss2.ObjectIterator(cloud.bucket(), prefix=f"videos/{camera}/"))
    S.wait_indexed(cloud, camera, keys)
    return camera, keys


@pytest.fixture
def ctx(browser: Any) -> Iterator[Any]:
    with browser_context(browser, height=1000, timeout_ms=60_000) as c:
        yield c


def _open(ctx: Any, site: Site, who: str, camera: str, at: int) -> Any:
    ctx.add_cookies([{"name": "vigil_session", "value": site.sessions[who], "url": site.base}])
    page = ctx.new_page()
    page.goto(f"{site.base}/cameras/{camera}?t={at}")
    page.locator(".activity-panel[data-loaded='true']").wait_for()
    return page


def _events(page: Any) -> list[dict[str, Any]]:
    return page.eval_on_selector_all(".event-row", "rows => rows.map(r => ({id: r.dataset.event, "
                                     "start: Number(r.dataset.start), reviewed: r.classList.contains('reviewed')}))")


def _current(page: Any, event_id: str) -> None:
    page.locator(f".event-row[aria-current='true'][data-event='{event_id}']").wait_for()


def test_strip_events_keys_and_review(ctx: Any, site: Site, active_camera: tuple[str, list[str]],
                                      artifacts: Path) -> None:
    camera, keys = active_camera
    first = S.clip_start_ms(keys[0])
    page = _open(ctx, site, site.admin[0], camera, first)
    events = _events(page)
    assert len(events) == 2, events
    assert [round((e["start"] - first) / 1000) for e in events] in ([19, 55], [19, 56], [20, 55], [20, 56])
    busy = int(page.locator(".activity-strip").get_attribute("data-busy-bins"))
    assert 1 <= busy <= 4                       # two crossings of ~4 s: a minute bin or two each
    assert page.locator(".events-list .still").count() == 2
    page.screenshot(path=str(artifacts / "activity-page.png"))

    # the strip follows the timeline's zoom: under an hour it draws 5-second bins of the view only
    strip = page.locator(".activity-strip")
    day_view = (int(strip.get_attribute("data-view-start")), int(strip.get_attribute("data-view-end")))
    for _ in range(5):                                   # 24 h → 45 min
        page.get_by_role("button", name="Zoom in").click()
    page.locator(".activity-strip[data-bin-ms='5000']").wait_for()
    view = (int(strip.get_attribute("data-view-start")), int(strip.get_attribute("data-view-end")))
    assert view[1] - view[0] <= 3_600_000 and day_view[0] <= view[0] < view[1] <= day_view[1]
    assert view[0] <= first + 20_000 < view[1], view   # the view holds the first crossing (it follows the cursor)
    fine = int(strip.get_attribute("data-busy-bins"))
    assert busy <= fine <= 8, fine                      # ~4 s crossings: one or two 5-second bins each
    for _ in range(5):
        page.get_by_role("button", name="Zoom out").click()
    page.locator(".activity-strip[data-bin-ms='60000']").wait_for()

    # n / p: the player goes to the next / previous event, which the list marks as current
    page.locator("#app video").focus()
    page.keyboard.press("n")
    _current(page, events[0]["id"])
    page.keyboard.press("n")
    _current(page, events[1]["id"])
    page.keyboard.press("p")
    _current(page, events[0]["id"])

    # review: kept by the server for this user only
    page.locator(f".event-row[data-event='{events[1]['id']}'] input[type=checkbox]").check()
    page.locator(f".event-row.reviewed[data-event='{events[1]['id']}']").wait_for()
    page.reload()
    page.locator(".activity-panel[data-loaded='true']").wait_for()
    assert [e["reviewed"] for e in _events(page)] == [False, True]
    viewer = requests.get(f"{site.base}/api/v1/cameras/{camera}/events",
                          params={"start": first - 60_000, "end": first + 3_600_000},
                          cookies={"vigil_session": site.sessions[site.admin[0]]}, timeout=30).json()
    assert [e["reviewed"] for e in viewer["events"]] == [False, True]


def test_play_activity_only_skips_the_quiet_stretch(ctx: Any, site: Site, active_camera: tuple[str, list[str]]) -> None:
    camera, keys = active_camera
    first = S.clip_start_ms(keys[0])
    page = _open(ctx, site, site.admin[0], camera, first + 2_000)
    events = page.eval_on_selector_all(".event-row", "rows => rows.map(r => ({id: r.dataset.event, "
                                       "start: Number(r.dataset.start)}))")
    ends = requests.get(f"{site.base}/api/v1/cameras/{camera}/events",
                        params={"start": first - 60_000, "end": first + 3_600_000},
                        cookies={"vigil_session": site.sessions[site.admin[0]]}, timeout=30).json()["events"]
    quiet = (ends[0]["end"] + 1_500, ends[1]["start"] - 1_500)      # between the two events
    # every time the player's clock shows, collected as it changes
    page.evaluate("""() => { window.__shown = [];
        const el = document.querySelector('.wall-time');
        new MutationObserver(() => { const t = document.querySelector('.wall-time');
            if (t && t.dateTime) window.__shown.push(Date.parse(t.dateTime)); })
          .observe(el.parentElement, {subtree: true, childList: true, characterData: true, attributes: true}); }""")
    page.get_by_label("Play activity only").check()
    _current(page, events[0]["id"])              # the quiet first 20 s are skipped at once
    page.evaluate("() => document.querySelector('#app video').play()")
    _current(page, events[1]["id"])              # played through the first event, then jumped
    shown = page.evaluate("() => window.__shown")
    assert any(events[0]["start"] <= t <= ends[0]["end"] for t in shown), "the first event was not played"
    inside = [t for t in shown if quiet[0] < t < quiet[1]]
    assert inside == [], f"the quiet stretch was shown: {inside[:5]}"


def test_admin_draws_a_zone_over_the_still(ctx: Any, site: Site, active_camera: tuple[str, list[str]]) -> None:
    """The zone editor: four clicks on the still, a name, Finish, Save — stored in the camera's settings
    (what its next token delivers), in 0–1 coordinates of the picture."""
    camera, keys = active_camera
    page = _open(ctx, site, site.admin[0], camera, S.clip_start_ms(keys[0]) + 5_000)
    stills: list[str] = []
    page.on("request", lambda r: stills.append(r.url) if "/still?" in r.url else None)
    page.get_by_role("button", name="Zones…").click()
    canvas = page.locator(".zone-canvas")
    canvas.locator("img").wait_for()
    # one still while the video plays on: the picture is the instant the editor opened at, not a new
    # decode per frame (that storm held the api's instances for over a minute)
    playing = page.evaluate("() => document.querySelector('video').currentTime")
    page.wait_for_function("t => document.querySelector('video').currentTime > t + 1", arg=playing)
    assert len(stills) == 1, stills
    box = canvas.bounding_box()
    for fx, fy in ((0.1, 0.5), (0.9, 0.5), (0.9, 0.95), (0.1, 0.95)):
        canvas.click(position={"x": box["width"] * fx, "y": box["height"] * fy})
    page.get_by_role("textbox", name="Name").fill("path")
    page.get_by_role("button", name="Finish zone").click()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved.").wait_for()
    # read back as the page reads it (its own session; the function may still be answering the page's stills)
    stored = page.evaluate(f"() => fetch('/api/v1/cameras/{camera}/activity-settings').then(r => r.json())")
    (zone,) = stored["zones"]
    assert zone["name"] == "path" and len(zone["points"]) == 4
    assert all(abs(p[0] - e[0]) < 0.02 and abs(p[1] - e[1]) < 0.02
               for p, e in zip(zone["points"], ((0.1, 0.5), (0.9, 0.5), (0.9, 0.95), (0.1, 0.95)), strict=True))


def test_retention_screen_sets_and_shows_the_activity_period(ctx: Any, site: Site) -> None:
    """The admin screen sets both periods (quiet recordings, clips with activity) and shows them back;
    the bucket's lifecycle holds both rules."""
    from vigil_fn.api import retention

    bucket = site.cloud.bucket()
    try:
        before = bucket.get_bucket_lifecycle().rules
    except oss2.exceptions.NoSuchLifecycle:
        before = None
    try:
        ctx.add_cookies([{"name": "vigil_session", "value": site.sessions[site.admin[0]], "url": site.base}])
        page = ctx.new_page()
        page.goto(f"{site.base}/admin")
        page.locator(".retention[data-loaded='true']").wait_for()     # typed values are not overwritten by the load
        page.get_by_label("Keep recordings (days)").fill("9")
        page.get_by_label("Keep clips with activity (days)").fill("33")
        page.get_by_role("button", name="Save retention").click()
        page.get_by_role("status").filter(has_text="kept 9 days, clips with activity 33 days").wait_for()
        assert (retention.get_retention(bucket), retention.get_activity_retention(bucket)) == (9, 33)
        page.reload()
        page.locator(".retention[data-loaded='true']").wait_for()
        assert page.get_by_label("Keep clips with activity (days)").input_value() == "33"
        assert page.get_by_label("Keep recordings (days)").input_value() == "9"
    finally:   # the stack is the whole session's: later tests (test_manage) start from the retention it had
        if before is None:
            bucket.delete_bucket_lifecycle()
        else:
            bucket.put_bucket_lifecycle(oss2.models.BucketLifecycle(before))


def test_only_an_admin_gets_the_zone_editor(ctx: Any, site: Site) -> None:
    """On the same camera page, a camera-limited viewer has no "Zones…" button and no way to the
    editor (its settings answer the viewer's own session 403); an admin has the button, and it opens
    the editor over the camera's still."""
    camera, start = site.cam_a, S.clip_start_ms(site.run1[0])
    page = _open(ctx, site, site.viewer[0], camera, start + 2_000)        # the panel loaded: the viewer's too
    page.get_by_label("Play activity only").wait_for()
    assert page.get_by_role("button", name="Zones…").count() == 0
    assert page.locator(".zone-canvas").count() == 0
    refused = page.evaluate(f"() => fetch('/api/v1/cameras/{camera}/activity-settings').then(r => r.status)")
    assert refused == 403
    page.close()
    ctx.clear_cookies()

    page = _open(ctx, site, site.admin[0], camera, start + 2_000)
    button = page.get_by_role("button", name="Zones…")
    button.wait_for()
    button.click()
    page.locator(".zone-canvas img").wait_for()
