"""End to end, the product's main path: an admin adds a camera in the viewer API, the camera runs with
the config it answered (token function, STS, upload), the indexer indexes, and a viewer's playlist
plays in PyAV through its presigned URLs — every clip, every frame."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import av
import pytest
import requests
from vigil_fn.api.users import UserStore

pytestmark = pytest.mark.e2e


def login(base: str, name: str, password: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    resp = http.post(f"{base}/api/v1/login", json={"username": name, "password": password}, timeout=30)
    assert resp.status_code == 200, resp.text
    return http, resp.json()["csrf_token"]


def test_camera_added_in_the_viewer_records_and_plays(cloud: Any, tmp_path: Path) -> None:
    base = str(cloud.functions["vigil-api"]).rstrip("/")
    store = UserStore(cloud.bucket())
    admin_name, viewer_name = f"e2e-admin-{uuid.uuid4().hex[:6]}", f"e2e-viewer-{uuid.uuid4().hex[:6]}"
    admin_pw, viewer_pw = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
    store.create(admin_name, admin_pw, "admin")
    admin, csrf = login(base, admin_name, admin_pw)
    camera = f"e2e-{uuid.uuid4().hex[:8]}"
    added = admin.post(f"{base}/api/v1/cameras", json={"id": camera, "name": "E2E"}, headers={"X-Vigil-CSRF": csrf},
                       timeout=30)
    assert added.status_code == 201, added.text
    config_path = tmp_path / "camera.json"
    config_path.write_text(json.dumps({**added.json()["config"], "spool_dir": str(tmp_path / "spool")}))
    assert admin.post(f"{base}/api/v1/users", headers={"X-Vigil-CSRF": csrf}, timeout=30,
                      json={"name": viewer_name, "password": viewer_pw, "cameras": [camera]}).status_code == 201

    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    started = int(time.time() * 1000) - 1000
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "--config", str(config_path), "simulate",
                          "--fps", "10", "--resolution", "320x180", "--clip-seconds", "2", "--count", "3", "--fast"],
                         env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, (res.stdout[-1000:], res.stderr[-2000:])

    viewer, _ = login(base, viewer_name, viewer_pw)
    window = {"start": started, "end": started + 3_600_000}
    deadline = time.monotonic() + 90
    clips: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        doc = viewer.get(f"{base}/api/v1/cameras/{camera}/timeline", params=window, timeout=30).json()
        clips = [i for i in doc["items"] if i["type"] == "clip"]
        if len(clips) == 3:
            break
        time.sleep(0.3)
    assert len(clips) == 3 and all(c["status"] == "ok" and (c["width"], c["height"]) == (320, 180) for c in clips)
    plan = viewer.get(f"{base}/api/v1/cameras/{camera}/playback", params=window, timeout=30).json()
    assert plan["mode"] == "hls" and len(plan["playlists"]) == 1
    url = base + plan["playlists"][0]["url"]
    cookie = viewer.cookies["vigil_session"]
    with av.open(url, options={"headers": f"Cookie: vigil_session={cookie}\r\n"}) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 3 * 2 * 10  # three 2 s clips at 10 fps
    other = viewer.get(f"{base}/api/v1/cameras/cam-lobby/timeline", params=window, timeout=30)
    assert other.status_code == 403  # the viewer sees its camera only
