"""Evidence in the browser (issue 26): share an export from the Exports screen, open the link in a
fresh browser with no account (play, download, the verification), a password link, a revoked link,
and the page's own check of a downloaded file against its manifest (Ed25519 + SHA-256 in WebCrypto),
which a changed byte fails."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from vigil_camera.keys import clip_key
from vigil_camera.media import simulate

from .conftest import browser_context, load_support

pytestmark = pytest.mark.e2e
S = load_support()



@pytest.fixture
def ctx(browser: Any) -> Iterator[Any]:
    with browser_context(browser, accept_downloads=True) as c:
        yield c



def _export(cloud: Any, ctx: Any, tmp_path: Path, cameras: int) -> dict[str, Any]:
    """A viewer's finished export of `cameras` cameras over the same 4 s (one camera: a single-camera
    export), made through the api with the viewer's page session; the page is left on /exports."""
    tag = uuid.uuid4().hex[:6]
    cams = [f"ev-web-{tag}" if cameras == 1 else f"ev-web-{tag}-{i}" for i in range(cameras)]
    viewer = (f"ev-viewer-{tag}", "ev-viewer-password-" + tag)
    clips: list[Any] = []
    simulate(tmp_path, clips.append, fps=10, width=320, height=180, clip_seconds=2, count=2, realtime=False)
    t = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=20)
    bucket = cloud.bucket()
    for camera in cams:
        S.provision(cloud, camera, "Evidence cam")
        keys = []
        for i, clip in enumerate(clips):
            keys.append(clip_key(camera, t + timedelta(seconds=2 * i), i, "ts"))
            bucket.put_object(keys[-1], Path(clip.path).read_bytes())
        S.wait_indexed(cloud, camera, keys)
    S.create_user(cloud, viewer[0], viewer[1], "viewer", cams)
    page = S.sign_in(ctx, cloud.functions["vigil-api"], viewer, "/exports")
    start = int(t.timestamp() * 1000)
    body = {"camera": cams[0]} if cameras == 1 else {"cameras": cams}
    created = page.evaluate(
        """async (body) => {
             const me = await (await fetch('/api/v1/me')).json();
             const r = await fetch('/api/v1/exports', {method: 'POST', headers: {'Content-Type': 'application/json',
               'X-Vigil-CSRF': me.csrf_token}, body: JSON.stringify(body)});
             return [r.status, await r.json()]; }""", {**body, "start": start, "end": start + 4000})
    assert created[0] == 202, created
    page.reload()
    page.locator(".export[data-state='done']").first.wait_for(timeout=120_000)
    return {"page": page, "camera": cams[0], "cameras": cams, "viewer": viewer, "id": created[1]["export"]["id"]}


@pytest.fixture
def exported(cloud: Any, ctx: Any, tmp_path: Path) -> dict[str, Any]:
    """A viewer's finished single-camera export."""
    return _export(cloud, ctx, tmp_path, 1)


def test_share_a_link_and_open_it_with_no_account(cloud: Any, browser: Any, exported: dict, tmp_path: Path,
                                                  artifacts: Path) -> None:
    page = exported["page"]
    page.get_by_role("button", name="Share export").click()
    page.get_by_role("button", name="Create link").click()
    link = page.get_by_label("Share link").input_value()
    assert "/s/" in link
    page.locator("table.shares tr[data-state='active']").first.wait_for()
    stranger = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        visit = stranger.new_page()
        visit.goto(link)
        verdict = visit.locator(".verdict")
        verdict.wait_for()
        assert verdict.get_attribute("data-verified") == "yes", verdict.inner_text()
        assert "signature is valid" in verdict.inner_text()
        visit.wait_for_function("() => { const v = document.querySelector('video.shared-video');"
                                " return v && v.readyState >= 2 && v.videoWidth === 320 }")
        visit.screenshot(path=str(artifacts / "evidence-shared-link.png"))
        with visit.expect_download() as dl:
            visit.get_by_role("link", name="⬇ Download MP4").click()
        assert Path(dl.value.path()).stat().st_size > 10_000
        # the visitor has no session: the site's own screens still ask for a login
        visit.goto(cloud.functions["vigil-api"] + "/exports")
        visit.get_by_role("button", name="Sign in").wait_for()
    finally:
        stranger.close()
    page.reload()
    row = page.locator("table.shares tr[data-share]").first
    row.wait_for()
    cells = row.locator("td").all_inner_texts()
    assert cells[4:6] == ["1", "1"], cells          # one open, one download, counted
    page.get_by_role("button", name="Revoke link").first.click()
    page.locator("table.shares tr[data-state='revoked']").first.wait_for()
    gone = browser.new_context()
    try:
        after = gone.new_page()
        after.goto(link)
        after.locator("[data-gone]").wait_for()
        assert "revoked" in after.locator("[data-gone]").inner_text()
    finally:
        gone.close()


def test_a_password_link_and_the_pages_own_verification(cloud: Any, browser: Any, exported: dict,
                                                        tmp_path: Path, artifacts: Path) -> None:
    page = exported["page"]
    page.get_by_role("button", name="Share export").click()
    page.get_by_label("Password (optional, at least 8 characters)").fill("evidence-pass")
    page.get_by_role("button", name="Create link").click()
    link = page.get_by_label("Share link").input_value()
    visitor = browser.new_context()
    try:
        visit = visitor.new_page()
        visit.goto(link)
        visit.get_by_label("Password", exact=True).fill("not-the-password")
        visit.get_by_role("button", name="Open").click()
        visit.get_by_text("wrong password").wait_for()
        visit.get_by_label("Password", exact=True).fill("evidence-pass")
        visit.get_by_role("button", name="Open").click()
        visit.locator(".verdict[data-verified='yes']").wait_for()
    finally:
        visitor.close()
    # download the MP4 and its manifest from the Exports screen, then check them in the page
    with page.expect_download() as mp4:
        page.get_by_role("button", name="Download export").first.click()
    with page.expect_download() as man:
        page.get_by_role("button", name="Download signed manifest").first.click()
    mp4_path, man_path = tmp_path / "export.mp4", tmp_path / "export.manifest.json"
    mp4.value.save_as(mp4_path)
    man.value.save_as(man_path)
    panel = page.get_by_role("region", name="Verify a file")
    assert len(panel.locator("[data-key-id]").inner_text()) == 16
    panel.get_by_label("MP4 file").set_input_files(str(mp4_path))
    panel.get_by_label("Manifest file").set_input_files(str(man_path))
    panel.get_by_role("button", name="Verify").click()
    panel.locator(".verdict[data-verified='yes']").wait_for()
    data = bytearray(mp4_path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(bytes(data))
    panel.get_by_label("MP4 file").set_input_files(str(tampered))
    panel.get_by_role("button", name="Verify").click()
    bad = panel.locator(".verdict[data-verified='no']")
    bad.wait_for()
    assert "SHA-256 differs" in bad.inner_text()
    page.screenshot(path=str(artifacts / "evidence-exports-verify.png"), full_page=True)


def test_a_several_camera_link_plays_and_offers_every_file_and_an_expired_one_says_so(
        cloud: Any, browser: Any, ctx: Any, tmp_path: Path, artifacts: Path) -> None:
    """The shared-files page of a multi-camera export: every camera's file plays and downloads, the
    verification covers them all; once the link has expired the page says so (410, link_expired)."""
    made = _export(cloud, ctx, tmp_path, 2)
    link = made["page"].evaluate(
        """async (id) => {
             const me = await (await fetch('/api/v1/me')).json();
             const r = await fetch(`/api/v1/exports/${id}/shares`, {method: 'POST', headers: {
               'Content-Type': 'application/json', 'X-Vigil-CSRF': me.csrf_token}, body: '{}'});
             const doc = await r.json();
             return [r.status, location.origin + doc.path, doc.share && doc.share.id]; }""", made["id"])
    assert link[0] == 201, link
    stranger = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 1400}, accept_downloads=True)
    try:
        visit = stranger.new_page()
        visit.goto(link[1])
        verdict = visit.locator(".verdict[data-verified='yes']")
        verdict.wait_for()
        assert "signature is valid" in verdict.inner_text()
        files = visit.get_by_role("region", name="Every camera in this export")
        assert files.locator("figure").count() == 2
        for camera in made["cameras"]:
            visit.wait_for_function(
                "(cam) => { const v = document.querySelector(`.shared-files figure[data-camera='${cam}'] video`);"
                " return v && v.readyState >= 2 && v.videoWidth === 320 }", arg=camera)
            fig = files.locator(f"figure[data-camera='{camera}']")
            with visit.expect_download() as dl:
                fig.get_by_role("link").click()
            assert dl.value.suggested_filename.startswith(f"vigil-{camera}-")
            assert Path(dl.value.path()).stat().st_size > 10_000
        visit.screenshot(path=str(artifacts / "evidence-shared-files.png"), full_page=True)
        # the functions run on wall time: age the link's record to make it expired
        bucket, key = cloud.bucket(), f"_system/shares/{link[2]}.json"
        record = json.loads(bucket.get_object(key).read())
        record["expires"] = int(time.time() * 1000) - 1
        bucket.put_object(key, json.dumps(record))
        visit.reload()
        gone = visit.locator("[data-gone]")
        gone.wait_for()
        assert "expired" in gone.inner_text() and not visit.locator("video").count()
    finally:
        stranger.close()
