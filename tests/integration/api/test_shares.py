"""Share links (issue 26) through the api function in localcloud: a link reaches one export and nothing
else, expires (410), is revoked at once (410), counts and audits every open and download, and rate-limits
wrong passwords like logins. Camera-limited viewers cannot share a camera that is not theirs."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest
import requests

from .conftest import Api, api_url, export_done

pytestmark = pytest.mark.integration


@pytest.fixture
def exported(make_user: Any, client: Any, camera_with_clips: Any) -> dict[str, Any]:
    camera, placed = camera_with_clips([(0, 0, 1), (2, 1, 2)])
    account = make_user("viewer", [camera])
    viewer: Api = client(account)
    start, end = placed[0].start, placed[-1].start + placed[-1].duration_ms
    done = export_done(viewer, {"camera": camera, "start": start, "end": end})
    assert done["sha256"]
    return {"viewer": viewer, "camera": camera, "export": done, "account": account}


def test_a_link_plays_downloads_and_verifies_one_export_and_counts_it(cloud: Any, exported: dict) -> None:
    viewer, export = exported["viewer"], exported["export"]
    made = viewer.post(f"/api/v1/exports/{export['id']}/shares", json={})
    assert made.status_code == 201, made.text
    doc = made.json()
    token = doc["path"].removeprefix("/s/")
    assert doc["share"]["state"] == "active" and doc["share"]["password"] is False
    assert doc["share"]["expires"] - doc["share"]["created"] == 24 * 3600 * 1000   # 24 h by default
    visitor = requests.Session()            # no cookie: the link is the only credential
    opened = visitor.get(f"{api_url(cloud)}/api/v1/shared/{token}", timeout=30)
    assert opened.status_code == 200, opened.text
    view = opened.json()
    assert view["camera"] == exported["camera"] and view["sha256"] == export["sha256"]
    assert view["verification"]["ok"] is True and len(view["verification"]["checks"]) == 2
    manifest = visitor.get(view["manifest_url"], timeout=30)
    assert manifest.status_code == 200 and manifest.json()["manifest"]["files"][0]["sha256"] == export["sha256"]
    video = visitor.get(view["video_url"], timeout=30).content
    assert hashlib.sha256(video).hexdigest() == export["sha256"]
    got = visitor.get(f"{api_url(cloud)}{view['download_url']}", timeout=30, allow_redirects=False)
    assert got.status_code == 302
    download = visitor.get(got.headers["Location"], timeout=30)
    assert download.content == video and "attachment" in download.headers["Content-Disposition"]
    # nothing else is reachable with it: the api's own routes still want a session
    assert visitor.get(f"{api_url(cloud)}/api/v1/exports", timeout=30).status_code == 401
    assert visitor.get(f"{api_url(cloud)}/api/v1/cameras", timeout=30).status_code == 401
    listed = viewer.get("/api/v1/shares").json()["shares"]
    mine = next(s for s in listed if s["id"] == doc["share"]["id"])
    assert (mine["opens"], mine["downloads"]) == (1, 1)
    admin_audit = [e for e in _audit(cloud) if e.get("action", "").startswith("share_")]
    assert {"share_create", "share_open", "share_download"} <= {e["action"] for e in admin_audit}


def _audit(cloud: Any) -> list[dict[str, Any]]:
    import oss2

    bucket = cloud.bucket()
    out = []
    for info in oss2.ObjectIteratorV2(bucket, prefix="_system/audit/"):
        out += [json.loads(line) for line in bucket.get_object(info.key).read().splitlines() if line.strip()]
    return out


def test_a_revoked_link_is_gone_at_once_and_an_expired_one_too(cloud: Any, exported: dict) -> None:
    viewer, export = exported["viewer"], exported["export"]
    made = viewer.post(f"/api/v1/exports/{export['id']}/shares", json={"ttl_s": 300}).json()
    token, sid = made["path"].removeprefix("/s/"), made["share"]["id"]
    url = f"{api_url(cloud)}/api/v1/shared/{token}"
    assert requests.get(url, timeout=30).status_code == 200
    assert viewer.request("DELETE", f"/api/v1/shares/{sid}").status_code == 204
    gone = requests.get(url, timeout=30)
    assert gone.status_code == 410 and gone.json()["error"]["code"] == "link_revoked"
    later = viewer.post(f"/api/v1/exports/{export['id']}/shares", json={"ttl_s": 300}).json()
    url2 = f"{api_url(cloud)}/api/v1/shared/{later['path'].removeprefix('/s/')}"
    assert requests.get(url2, timeout=30).status_code == 200
    # the functions run on wall time (localcloud's clock moves OSS, STS and FC only): age the record instead
    bucket, key = cloud.bucket(), f"_system/shares/{later['share']['id']}.json"
    record = json.loads(bucket.get_object(key).read())
    record["expires"] = int(time.time() * 1000) - 1
    bucket.put_object(key, json.dumps(record))
    expired = requests.get(url2, timeout=30)
    assert expired.status_code == 410 and expired.json()["error"]["code"] == "link_expired"
    assert requests.get(f"{api_url(cloud)}/api/v1/shared/{'x' * 43}", timeout=30).status_code == 404


def test_a_password_link_asks_for_it_and_wrong_guesses_are_rate_limited(cloud: Any, exported: dict) -> None:
    viewer, export = exported["viewer"], exported["export"]
    made = viewer.post(f"/api/v1/exports/{export['id']}/shares", json={"password": "correct horse"}).json()
    url = f"{api_url(cloud)}/api/v1/shared/{made['path'].removeprefix('/s/')}"
    asked = requests.get(url, timeout=30)
    assert asked.status_code == 401 and asked.json()["error"]["code"] == "password_required"
    ok = requests.post(url, json={"password": "correct horse"}, timeout=30)
    assert ok.status_code == 200 and ok.json()["verification"]["ok"] is True
    codes = [requests.post(url, json={"password": f"guess-{i}"}, timeout=30).status_code for i in range(14)]
    assert codes[0] == 403 and 429 in codes     # the login limiter's per-subject budget (10 a minute here)


def test_limits_and_whose_export(cloud: Any, exported: dict, make_user: Any, client: Any,
                                 camera_with_clips: Any) -> None:
    viewer, export = exported["viewer"], exported["export"]
    too_long = viewer.post(f"/api/v1/exports/{export['id']}/shares", json={"ttl_s": 8 * 24 * 3600})
    assert too_long.status_code == 400 and "ttl_s" in too_long.json()["error"]["message"]
    short_pw = viewer.post(f"/api/v1/exports/{export['id']}/shares", json={"password": "short"})
    assert short_pw.status_code == 400
    other_cam, _ = camera_with_clips([(0, 0, 1)])
    stranger = client(make_user("viewer", [other_cam]))   # may not see the camera, does not own the export
    assert stranger.post(f"/api/v1/exports/{export['id']}/shares", json={}).status_code == 404
    made = viewer.post(f"/api/v1/exports/{export['id']}/shares", json={}).json()
    assert stranger.request("DELETE", f"/api/v1/shares/{made['share']['id']}").status_code == 404
