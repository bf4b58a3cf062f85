"""Pictures in the page (issue 24), read through the clock the simulator draws into each frame: the
grid's tile shows the newest clip's first frame (no older than one clip), the still for an instant T
shows a time within one GOP before T, and the timeline's hover thumbnail shows the clip under the
pointer. The pictures are fetched exactly as the page shows them (the <img>'s own URL)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from vigil_camera import media, stills
from vigil_camera.keys import clip_key, still_key_for_clip
from vigil_camera.media import simulate

from .conftest import Site, load_support

pytestmark = pytest.mark.e2e
S = load_support()
GOP_MS = S.CLIP_SECONDS * 1000          # the simulator's keyframe interval defaults to its clip length


def signed_in(ctx: Any, site: Site, path: str) -> Any:
    ctx.add_cookies([{"name": "vigil_session", "value": site.sessions[site.admin[0]], "url": site.base}])
    page = ctx.new_page()
    page.goto(site.base + path)
    page.get_by_role("button", name="Sign out").wait_for()
    return page


def picture_of(site: Site, src: str) -> bytes:
    """The bytes behind an <img src> (an API route needs the session cookie; a presigned URL does not)."""
    url = src if src.startswith("http") else site.base.rstrip("/") + src
    got = requests.get(url, cookies={"vigil_session": site.sessions[site.admin[0]]}, timeout=30)
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg", (got.status_code, got.text[:200])
    return got.content


def drawn_ms(picture: bytes) -> int:
    plane = stills.luma(picture)
    return int(media.read_clock(plane, plane.shape[0]).timestamp() * 1000)


def loaded(page: Any, selector: str) -> Any:
    page.wait_for_function(f"() => {{ const i = document.querySelector({selector!r}); "
                           "return i && i.complete && i.naturalWidth > 0 }")
    return page.locator(selector).first


def test_grid_tile_shows_the_newest_clips_first_frame(ctx: Any, site: Site, artifacts: Path) -> None:
    page = signed_in(ctx, site, "/")
    img = loaded(page, f'li[data-camera="{site.cam_a}"] .grid-still img')
    newest = S.clip_start_ms(site.run2[-1])
    shown = drawn_ms(picture_of(site, img.get_attribute("src")))
    assert newest - S.CLIP_SECONDS * 1000 < shown <= newest + 1000 // S.FPS      # no older than one clip
    assert int(page.locator(f'li[data-camera="{site.cam_a}"] .grid-still').get_attribute("data-shows")) == newest
    page.screenshot(path=str(artifacts / "pictures-grid.png"))


HLS_JS_CODE = {"hlsManifestParsed", "hlsFragLoading", "hlsBufferAppending"}  # hls.js's Events values


def test_grid_shows_its_stills_before_fetching_the_player(ctx: Any, site: Site) -> None:
    """Issue 24: the grid's first load carries no hls.js; the player chunk (hls.js, the players) is asked
    only after the stills are in, as the idle prefetch that keeps opening a camera fast. The order is
    read from the browser's own resource timing, not from when the test noticed the still."""
    ctx.add_cookies([{"name": "vigil_session", "value": site.sessions[site.admin[0]], "url": site.base}])
    page = ctx.new_page()
    with page.expect_request(lambda r: "/assets/player-" in r.url) as player:
        page.goto(site.base + "/")
        img = loaded(page, f'li[data-camera="{site.cam_a}"] .grid-still img')
    still_src = img.get_attribute("src")
    page.wait_for_function("() => performance.getEntriesByType('resource')"      # entries land when a body ends
                           ".some(e => e.name.includes('/assets/player-'))")
    timing = page.evaluate("""(still) => {
        const all = performance.getEntriesByType('resource');
        const player = all.find(e => e.name.includes('/assets/player-'));
        const pic = all.find(e => e.name === new URL(still, location.href).href);
        const scripts = all.filter(e => e.name.includes('/assets/') && e.name.endsWith('.js')
                                         && e.startTime < player.startTime).map(e => e.name);
        return {player: player.startTime, still: pic.responseEnd, scripts};
    }""", still_src)
    assert timing["still"] <= timing["player"], timing          # the still was in before the player was asked
    before = timing["scripts"]
    assert before and not [u for u in before if "/assets/player-" in u], before
    # hls.js's own code, known by the event names it defines (strings a minifier keeps): in the player
    # chunk, and in nothing the grid ran (a name that merely says "hls", a URL or a tag, is no hls.js)
    assert HLS_JS_CODE <= set(re.findall(r"hls[A-Z]\w+", requests.get(player.value.url, timeout=30).text))
    ran = "".join(requests.get(u, timeout=30).text for u in before)
    assert not [name for name in HLS_JS_CODE if name in ran], before
    assert player.value.url.startswith(site.base)
    page.close()


def test_still_for_an_instant_is_within_one_gop_before_it(ctx: Any, site: Site) -> None:
    page = signed_in(ctx, site, "/")
    for key in (site.run1[1], site.run2[0]):
        t = S.clip_start_ms(key) + 1300
        src = page.evaluate("([c, t]) => { const i = new Image(); i.src = `/api/v1/cameras/${c}/still?at=${t}&w=320`;"
                            " document.body.append(i); i.id = 'probe'; return i.getAttribute('src') }", [site.cam_a, t])
        loaded(page, "#probe")
        shown = drawn_ms(picture_of(site, src))
        assert t - GOP_MS < shown <= t, (t, shown)
        page.evaluate("() => document.getElementById('probe').remove()")


def test_timeline_hover_shows_the_clip_under_the_pointer(ctx: Any, site: Site, artifacts: Path) -> None:
    start = S.clip_start_ms(site.run1[1])
    page = signed_in(ctx, site, f"/cameras/{site.cam_a}?t={start + 500}")
    page.locator(".tl-clip").first.wait_for()
    # paused, the one-minute view stays where it is: playing, it follows the cursor, and a view that moves
    # between reading its bounds and hovering makes the thumbnail of one moment answer for another
    page.get_by_role("toolbar", name="Playback").get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("toolbar", name="Playback").get_by_role("button", name="Play", exact=True).wait_for()
    page.get_by_role("button", name="Zoom to one minute").click()
    track = page.locator(".tl-track")
    page.wait_for_function("() => { const t = document.querySelector('.tl-track');"
                           " return t.dataset.viewEnd - t.dataset.viewStart <= 61000 }")
    vs, ve = int(track.get_attribute("data-view-start")), int(track.get_attribute("data-view-end"))
    track.scroll_into_view_if_needed()
    box = track.bounding_box()
    at = start + 1000
    page.mouse.move(box["x"] + (at - vs) / (ve - vs) * box["width"], box["y"] + box["height"] * 0.6, steps=3)
    thumb = loaded(page, ".tl-hover .tl-thumb")
    hovered = int(page.locator(".tl-hover").get_attribute("data-time"))
    shown = drawn_ms(picture_of(site, thumb.get_attribute("src")))
    assert shown <= hovered < shown + S.CLIP_SECONDS * 1000 + 1000 // S.FPS     # the still of the clip under it
    page.screenshot(path=str(artifacts / "pictures-hover.png"))


def test_clip_download_button_shows_the_clips_first_frame(ctx: Any, site: Site) -> None:
    start = S.clip_start_ms(site.run1[1])
    page = signed_in(ctx, site, f"/cameras/{site.cam_a}?t={start + 500}")
    toolbar = page.get_by_role("toolbar", name="Playback")
    toolbar.get_by_role("button", name="Pause", exact=True).click()   # the clip under the cursor stays put
    toolbar.get_by_role("button", name="Play", exact=True).wait_for()
    cursor = float(page.locator(".tl-cursor").get_attribute("data-time"))
    holder = max((k for k in site.run1 + site.run2 if S.clip_start_ms(k) <= cursor), key=S.clip_start_ms)
    first = S.clip_start_ms(holder)
    assert cursor < first + S.CLIP_SECONDS * 1000
    thumb = loaded(page, ".controls .clip-thumb")
    shown = drawn_ms(picture_of(site, thumb.get_attribute("src")))
    assert first - 1000 // S.FPS <= shown <= first + 1000 // S.FPS   # that clip's first frame, not the cursor's


@pytest.fixture
def stillless(site: Site, tmp_path: Path) -> tuple[str, Path]:
    """A camera whose clip reached the bucket without the camera's still beside it (an older camera,
    a failed still upload, clips copied in by hand): the newest clip is indexed, `stills/` is empty."""
    camera = f"web-nostill-{uuid.uuid4().hex[:6]}"
    clips: list[Any] = []
    simulate(tmp_path, clips.append, fps=10, width=320, height=180, clip_seconds=2, count=1, realtime=False)
    S.provision(site.cloud, camera, "No still cam")
    key = clip_key(camera, datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=5), 0, "ts")
    site.cloud.bucket().put_object(key, Path(clips[0].path).read_bytes())
    S.wait_indexed(site.cloud, camera, [key])
    assert still_key_for_clip(key) is not None and not site.cloud.bucket().object_exists(still_key_for_clip(key))
    return camera, Path(clips[0].path)


def test_a_tile_without_the_cameras_still_shows_the_decoded_first_frame(ctx: Any, site: Site,
                                                                         stillless: tuple[str, Path]) -> None:
    """Issue 24's review: such tiles showed a broken image. The tile falls back to the API's still of
    the clip's start, decoded from the clip: the picture is the clip's first frame."""
    camera, clip = stillless
    page = signed_in(ctx, site, "/")
    tile = f'li[data-camera="{camera}"] .grid-still'
    page.locator(f'{tile}:not([data-source="camera"])').wait_for()
    assert page.locator(tile).get_attribute("data-source") == "decoded", page.locator(tile).evaluate("e => e.outerHTML")
    img = loaded(page, f"{tile} img")
    first = stills.frame_at(clip, 0.0)
    plane = stills.luma(stills.encode(first.frame, width=320))
    expected = int(media.read_clock(plane, plane.shape[0]).timestamp() * 1000)
    assert drawn_ms(picture_of(site, img.get_attribute("src"))) == expected
    assert "/still?" in img.get_attribute("src")


def test_a_tile_with_no_picture_at_all_says_so_instead_of_a_broken_image(ctx: Any, site: Site, artifacts: Path,
                                                                          stillless: tuple[str, Path]) -> None:
    camera, _ = stillless
    ctx.route("**/api/v1/cameras/*/still?*", lambda route: route.fulfill(
        status=422, content_type="application/json",
        body='{"error": {"code": "undecodable_clip", "message": "the clip cannot be decoded"}}'))
    page = signed_in(ctx, site, "/")
    tile = page.locator(f'li[data-camera="{camera}"] .grid-still[data-source="none"]')
    tile.wait_for()
    assert tile.locator("img").count() == 0
    assert tile.locator(".grid-still-none").inner_text() == "no picture"
    # every tile settles on a picture or on "no picture": none stays a broken image
    page.wait_for_function("() => [...document.querySelectorAll('.grid-still img')]"
                           ".every(i => !i.complete || i.naturalWidth > 0)")
    page.screenshot(path=str(artifacts / "pictures-grid-no-picture.png"))
