"""Multi-camera exports (issue 26) through the api and the export function in localcloud: one request for
N cameras over one range makes N MP4s under ONE signed manifest, which `vigil verify` accepts (and
refuses for a changed file); a share link serves every file; limits and camera-limited viewers are
refused with clear 4xx; one camera that cannot be cut fails the whole export, naming the camera, with
no MP4 and no manifest left behind."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import oss2
import pytest
import requests

from .conftest import Api, api_url, export_finished

pytestmark = pytest.mark.integration


def _keys(cloud: Any, prefix: str) -> list[str]:
    return [o.key for o in oss2.ObjectIteratorV2(cloud.bucket(), prefix=prefix)]


@pytest.fixture
def three(make_user: Any, client: Any, camera_with_clips: Any) -> dict[str, Any]:
    cams = [camera_with_clips([(0, 0, 1), (2, 1, 2)]) for _ in range(3)]
    start = cams[0][1][0].start
    end = cams[0][1][-1].start + cams[0][1][-1].duration_ms
    account = make_user("viewer", [c for c, _ in cams])
    return {"cameras": [c for c, _ in cams], "start": start, "end": end, "viewer": client(account),
            "user": account.name}


def test_three_cameras_make_three_files_under_one_signed_manifest(cloud: Any, three: dict, tmp_path: Path) -> None:
    viewer: Api = three["viewer"]
    started = viewer.post("/api/v1/exports", json={"cameras": three["cameras"], "start": three["start"],
                                                   "end": three["end"]})
    assert started.status_code == 202, started.text
    assert started.json()["export"]["cameras"] == three["cameras"]
    done = export_finished(viewer, started.json()["export"]["id"])
    assert done["state"] == "done", done["error"]
    assert [f["camera"] for f in done["files"]] == three["cameras"] and done["url"] is None
    assert done["manifest_url"] and done["filename"] is None
    paths = []
    for f in done["files"]:
        assert f["filename"].startswith(f"vigil-{f['camera']}-") and f["url"]
        data = requests.get(f["url"], timeout=30).content
        assert hashlib.sha256(data).hexdigest() == f["sha256"] and len(data) == f["size"]
        paths.append(tmp_path / f["filename"])
        paths[-1].write_bytes(data)
    manifest = requests.get(done["manifest_url"], timeout=30)
    assert "3-cameras" in manifest.headers["Content-Disposition"]
    doc = manifest.json()["manifest"]
    assert doc["requested"]["cameras"] == three["cameras"] and len(doc["files"]) == 3
    assert [e["sha256"] for e in doc["files"]] == [f["sha256"] for f in done["files"]]
    (tmp_path / "m.json").write_bytes(manifest.content)
    (tmp_path / "k.pem").write_bytes(requests.get(f"{api_url(cloud)}/api/v1/evidence/public-key", timeout=30).content)

    def verify(*files: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "vigil_ops.cli", "verify", *map(str, files), "--manifest",
                               str(tmp_path / "m.json"), "--public-key", str(tmp_path / "k.pem")],
                              capture_output=True, text=True, timeout=120, check=False)

    ok = verify(*paths)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.count("matches the manifest") == 3
    swapped = tmp_path / "other.mp4"      # one changed byte in the second camera's file
    data = bytearray(paths[1].read_bytes())
    data[len(data) // 2] ^= 1
    swapped.write_bytes(bytes(data))
    bad = verify(paths[0], swapped)
    assert bad.returncode == 1 and "other.mp4: matches none of the 3 files" in bad.stderr

    # a share link serves every file, each verified as stored, each download counted
    made = viewer.post(f"/api/v1/exports/{done['id']}/shares", json={})
    assert made.status_code == 201, made.text
    assert made.json()["share"]["cameras"] == three["cameras"]
    token = made.json()["path"].removeprefix("/s/")
    view = requests.get(f"{api_url(cloud)}/api/v1/shared/{token}", timeout=30).json()
    assert view["verification"]["ok"] is True, view["verification"]
    assert [f["camera"] for f in view["files"]] == three["cameras"]
    for f, local in zip(view["files"], paths, strict=True):
        got = requests.get(f"{api_url(cloud)}{f['download_url']}", timeout=30, allow_redirects=False)
        assert got.status_code == 302
        assert requests.get(got.headers["Location"], timeout=30).content == local.read_bytes()
    other = requests.get(f"{api_url(cloud)}{view['files'][0]['download_url'].split('&')[0]}&camera=cam-nothere",
                         timeout=30, allow_redirects=False)
    assert other.status_code == 404 and other.json()["error"]["code"] == "not_found"
    mine = next(s for s in viewer.get("/api/v1/shares").json()["shares"] if s["id"] == made.json()["share"]["id"])
    assert mine["downloads"] == 3

    # pinning moves every file and the manifest; deleting removes them all
    pinned = viewer.post(f"/api/v1/exports/{done['id']}/pin", json={"pinned": True})
    assert pinned.status_code == 200, pinned.text
    assert len(_keys(cloud, f"exports-pinned/{three['user']}/{done['id']}")) == 5   # job, 3 MP4s, manifest
    assert _keys(cloud, f"exports/{three['user']}/{done['id']}") == []
    assert requests.get(f"{api_url(cloud)}/api/v1/shared/{token}", timeout=30).json()["verification"]["ok"] is True
    assert viewer.request("DELETE", f"/api/v1/exports/{done['id']}").status_code == 204
    assert _keys(cloud, f"exports-pinned/{three['user']}/{done['id']}") == []


def test_one_camera_that_cannot_be_cut_fails_the_whole_export_and_leaves_nothing(
        cloud: Any, make_user: Any, client: Any, camera_with_clips: Any) -> None:
    a, placed = camera_with_clips([(0, 0, 1), (2, 1, 2)])
    b, _ = camera_with_clips([(3600, 0, 1)])          # recorded an hour later: nothing in the range
    account = make_user("viewer", [a, b])
    viewer: Api = client(account)
    start, end = placed[0].start, placed[-1].start + placed[-1].duration_ms
    started = viewer.post("/api/v1/exports", json={"cameras": [a, b], "start": start, "end": end})
    assert started.status_code == 202, started.text
    done = export_finished(viewer, started.json()["export"]["id"])
    assert done["state"] == "failed" and done["error"].startswith(f"camera {b}: ")
    assert done["files"] == [] and done["manifest_url"] is None
    user = account.name
    assert _keys(cloud, f"exports/{user}/{done['id']}") == [f"exports/{user}/{done['id']}.json"]  # A's MP4 is gone
    assert not list(oss2.MultipartUploadIterator(cloud.bucket(), prefix=f"exports/{user}/{done['id']}"))


def test_limits_and_camera_limited_viewers_are_refused_clearly(
        cloud: Any, make_user: Any, client: Any, camera_with_clips: Any) -> None:
    a, placed = camera_with_clips([(0, 0, 1)])
    b, _ = camera_with_clips([(0, 0, 1)])
    limited: Api = client(make_user("viewer", [a]))
    start, end = placed[0].start, placed[0].start + placed[0].duration_ms
    refused = limited.post("/api/v1/exports", json={"cameras": [a, b], "start": start, "end": end})
    assert refused.status_code == 403 and b in refused.json()["error"]["message"]
    admin_api: Api = client(make_user("admin", None))
    ten = [f"cam-{i:04d}" for i in range(10)]
    cases = [
        ({"cameras": ten, "start": start, "end": end}, 400, "too_many_cameras"),
        ({"cameras": [a], "start": start, "end": end}, 400, None),
        ({"cameras": [a, a], "start": start, "end": end}, 400, "duplicate_camera"),
        ({"camera": a, "cameras": [a, b], "start": start, "end": end}, 400, None),
        ({"cameras": [a, b, ten[0]], "start": start, "end": start + 5400 * 1000}, 400, "range_too_long"),
        ({"cameras": [a, "../x"], "start": start, "end": end}, 400, None),
    ]
    for body, status, code in cases:
        got = admin_api.post("/api/v1/exports", json=body)
        assert got.status_code == status, (body, got.text)
        assert "error" in got.json() and (code is None or got.json()["error"]["code"] == code), got.text
