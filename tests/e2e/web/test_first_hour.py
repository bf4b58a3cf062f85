"""Issue 28, the page's items, in Chromium against the whole local stack: live for a camera that
cannot send it, live tiles, live-mode controls, form errors next to their fields, the not-allowed
page, the timeline at 1366×900, the session-ended note. Each saves a screenshot under
.vigil/artifacts/web/ (looked at when the items were resolved)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from .conftest import Site, browser_context, load_support
from .test_web_page import TZ, login, pause

pytestmark = pytest.mark.e2e
S = load_support()
WIDE = {"width": 1366, "height": 900}


@pytest.fixture
def ctx(browser: Any) -> Iterator[Any]:
    with browser_context(browser, viewport=WIDE, timezone_id=TZ) as c:
        yield c


def _camera(site: Site, camera: str) -> dict[str, Any]:
    resp = requests.get(f"{site.base}/api/v1/cameras/{camera}", cookies={"vigil_session": site.sessions[site.admin[0]]},
                        timeout=30)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def _wait(what: str, check: Any, timeout: float = 150) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _quiet_camera(site: Site, name: str) -> str:
    """A registered camera that never sent anything: offline, no report about live view."""
    camera = f"fh-{uuid.uuid4().hex[:8]}"
    S.provision(site.cloud, camera, name)
    return camera


def test_live_of_a_camera_without_live_view_says_so(ctx: Any, site: Site, artifacts: Path) -> None:
    """Item 1: the site's cameras run without --live-view; they say so with every clip, and the
    page says "this camera does not send live video" instead of waiting forever."""
    # the fleet health the api reads is merged at most once a minute, and only when a compaction
    # falls in a new minute: merge it as `vigil index health` does, until camera B's report is in
    from vigil_fn.indexer.health import merge_fleet

    def reported() -> bool:
        merge_fleet(site.cloud.bucket(), now_ms=int(time.time() * 1000))
        return (_camera(site, site.cam_b).get("health") or {}).get("live_view") is False

    _wait("camera B's report", reported)
    # the page's question about the camera is held until Live is pressed: the press must not start a live
    # view (its playlist GET leaves at once) before the page knows the camera sends none
    held: list[Any] = []
    ctx.route(f"**/api/v1/cameras/{site.cam_b}", lambda route: held.append(route))
    page = login(ctx, site, site.admin, f"/cameras/{site.cam_b}")
    playlists: list[str] = []
    page.on("request", lambda r: playlists.append(r.url) if "/live" in r.url else None)
    page.get_by_role("button", name="Live", exact=True).click()
    page.locator(".live-video").wait_for()
    for _ in range(600):          # Playwright hands routes over only while it is called: poll through it
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the page asked the api about its camera"
    held[0].continue_()
    ctx.unroute(f"**/api/v1/cameras/{site.cam_b}")
    page.locator(".live-status", has_text="does not send live video").wait_for()
    page.wait_for_timeout(1500)   # what it would have polled meanwhile: nothing
    assert playlists == []        # neither POST /live nor the playlist
    assert page.locator(".live-badge").count() == 0
    page.screenshot(path=str(artifacts / "live-not-sent.png"))


def test_live_mode_keeps_only_the_live_controls(ctx: Any, site: Site, artifacts: Path) -> None:
    """Item 3: in live mode ▶, −10 s, +10 s, previous/next, Clip and Delete clip go, Go to is
    disabled, and the LIVE badge sits top right (cameras draw their clock top left)."""
    camera = _quiet_camera(site, "Porch")
    page = login(ctx, site, site.admin, f"/cameras/{camera}")
    page.get_by_role("button", name="Live", exact=True).click()
    page.get_by_role("button", name="Stop live view").wait_for()
    toolbar = page.get_by_role("toolbar", name="Playback")
    for name in ("Play", "Pause", "Back 10 seconds", "Forward 10 seconds", "Previous clip", "Next clip",
                 "Download clip", "Delete clip"):
        assert toolbar.get_by_role("button", name=name, exact=True).count() == 0, name
    assert page.get_by_label("Date and time to jump to").is_disabled()
    assert page.get_by_role("button", name="Go", exact=True).is_disabled()
    stage = page.locator(".live-stage").bounding_box()
    badge = page.locator(".live-badge").bounding_box()
    assert badge["x"] > stage["x"] + stage["width"] / 2, (badge, stage)     # right half
    assert badge["y"] < stage["y"] + stage["height"] / 4                    # top
    # not "Waiting…" forever: once its first answer is in, an offline camera says so
    page.locator(".live-status").filter(has_text="offline").wait_for()
    page.screenshot(path=str(artifacts / "live-mode-controls.png"))
    page.get_by_role("button", name="Stop live view").click()
    page.get_by_role("button", name="Forward 10 seconds").wait_for()


def test_live_tiles_are_16_by_9_inside_their_cards(ctx: Any, site: Site, artifacts: Path) -> None:
    """Item 2: tiles were tall portrait boxes, card text spilled below the border, and an offline
    camera said "Waiting…"."""
    camera = _quiet_camera(site, "Back gate")
    page = login(ctx, site, site.admin, "/")
    page.locator(f'li[data-camera="{camera}"]').wait_for()
    page.get_by_role("button", name="● Live tiles").click()
    tile = page.locator(f'li[data-camera="{camera}"] .live-tile')
    tile.wait_for()
    page.wait_for_timeout(500)
    for card in page.locator("li.cam").all():
        if card.locator(".live-tile").count() == 0:
            continue
        t, c = card.locator(".live-tile").bounding_box(), card.bounding_box()
        assert abs(t["width"] / t["height"] - 16 / 9) < 0.05, t
        last = card.locator("dl").bounding_box()
        assert last["y"] + last["height"] <= c["y"] + c["height"] + 0.5, (last, c)   # text inside the card
    assert "offline" in tile.locator(".live-status").inner_text().lower()
    page.screenshot(path=str(artifacts / "live-tiles.png"), full_page=True)


def test_add_user_form_states_its_rules_and_explains_mistakes_in_place(ctx: Any, site: Site,
                                                                       artifacts: Path) -> None:
    """Item 5: "Bob Smith" / "short" showed the validator's text at the top of the page."""
    page = login(ctx, site, site.admin, "/admin")
    form = page.get_by_role("form", name="Add a user")
    assert "lower-case letters" in form.inner_text() and "At least 12 characters" in form.inner_text()
    posted: list[str] = []
    page.on("request", lambda r: posted.append(r.url) if r.method == "POST" and r.url.endswith("/users") else None)
    form.locator('input[name="new-user"]').fill("Bob Smith")
    form.locator('input[name="new-password"]').fill("short")
    form.get_by_role("button", name="Add user").click()
    name_note, pw_note = page.locator("#new-user-note"), page.locator("#new-password-note")
    name_note.locator(".field-error").wait_for()
    assert "space" in name_note.inner_text() and "bob.smith" in name_note.inner_text()
    assert "5 characters" in pw_note.inner_text() and "at least 12" in pw_note.inner_text()
    body = page.locator("main").inner_text()
    assert "String should" not in body and "body.name" not in body and posted == []
    # next to its field: the note sits right under the input
    # both boxes read in one step: the admin page's lists above the form may still be loading and move it
    field, note = page.evaluate("""() => [document.querySelector('input[name="new-user"]'),
                                          document.querySelector('#new-user-note')]
                                         .map((el) => { const r = el.getBoundingClientRect();
                                                        return { x: r.x, y: r.y, height: r.height }; })""")
    assert 0 <= note["y"] - (field["y"] + field["height"]) < 30 and abs(note["x"] - field["x"]) < 30
    assert form.locator('input[name="new-user"]').get_attribute("aria-invalid") == "true"
    page.screenshot(path=str(artifacts / "add-user-errors.png"), full_page=True)
    form.locator('input[name="new-user"]').fill(f"bob.{uuid.uuid4().hex[:6]}")
    form.locator('input[name="new-password"]').fill("a long enough password")
    form.get_by_role("button", name="Add user").click()
    page.get_by_role("status").filter(has_text="added").wait_for()


def test_a_viewer_opening_another_camera_gets_a_not_allowed_page(ctx: Any, site: Site, artifacts: Path) -> None:
    """Item 6: the whole camera page with a small grey line used to show."""
    page = login(ctx, site, site.viewer, f"/cameras/{site.cam_b}")
    page.get_by_role("heading", name="Not one of your cameras").wait_for()
    assert page.locator("video").count() == 0
    assert page.get_by_role("button", name="Live", exact=True).count() == 0
    assert page.get_by_role("form", name="Jump to a time").count() == 0
    page.screenshot(path=str(artifacts / "not-allowed.png"))
    page.get_by_role("link", name="‹ Back to your cameras").click()
    page.locator(f'li[data-camera="{site.cam_a}"]').wait_for()


def test_timeline_above_the_fold_short_clips_visible_span_label(ctx: Any, site: Site, artifacts: Path) -> None:
    """Item 11 at 1366×900: the timeline was below the fold; at 24 h zoom a 2 s recording was
    hidden under the cursor; the span label read "00:00–00:00"."""
    start = S.clip_start_ms(site.clips_b[0]) if site.cloud.bucket().object_exists(site.clips_b[0]) \
        else S.clip_start_ms(site.run1[0])
    camera = site.cam_b if site.cloud.bucket().object_exists(site.clips_b[0]) else site.cam_a
    page = login(ctx, site, site.admin, f"/cameras/{camera}?t={start + 500}")
    page.locator(".tl-clip").first.wait_for()
    page.wait_for_function("() => !document.querySelector('#app video').paused")
    pause(page)
    track = page.locator(".tl-track").bounding_box()
    assert track["y"] + track["height"] <= page.viewport_size["height"], track     # no scrolling
    label = page.locator(".tl-span").inner_text()
    assert label.startswith("00:00–24:00"), label
    cursor = page.locator(".tl-cursor").bounding_box()
    block = page.locator(".tl-clip").first.bounding_box()
    assert block["width"] >= 6, block
    assert block["x"] <= cursor["x"] - 2 and block["x"] + block["width"] >= cursor["x"] + cursor["width"] + 2, \
        (block, cursor)                            # visible on both sides of the cursor
    # no empty band between the controls and "Go to": the status line sits beside the controls
    controls = page.get_by_role("toolbar", name="Playback").bounding_box()
    nav = page.locator(".nav-row").bounding_box()
    assert nav["y"] - (controls["y"] + controls["height"]) < 20, (controls, nav)
    page.screenshot(path=str(artifacts / "timeline-1366x900.png"))


def test_the_login_page_says_when_a_session_ended(ctx: Any, site: Site, artifacts: Path) -> None:
    """Item 12: a session that ends during use brought the login page back without a word."""
    page = login(ctx, site, site.admin, "/")
    page.locator(f'li[data-camera="{site.cam_a}"]').wait_for()
    ctx.clear_cookies()                                      # as when the session expires
    page.get_by_role("link", name="Exports").click()
    page.get_by_role("button", name="Sign in").wait_for()
    assert "ended=1" in page.url
    assert "Your session ended" in page.locator("main").inner_text()
    page.screenshot(path=str(artifacts / "session-ended.png"))
