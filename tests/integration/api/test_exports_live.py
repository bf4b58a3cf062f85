"""Exports and live view through the api function over HTTP (issue 11): the real api, the real
vigil-export function invoked asynchronously, presigned URLs from the viewer role."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest
import requests
from vigil_camera.credentials import TokenProvider
from vigil_camera.liveview import LiveView
from vigil_camera.media import simulate
from vigil_camera.ossclient import DeviceOss
from vigil_camera.protocol import device_secret

pytestmark = pytest.mark.integration


def _poll(fn: Callable[[], Any], timeout: float = 120, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = fn()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def test_viewer_exports_own_camera_and_cannot_export_another(cloud: Any, make_user: Any, client: Any,
                                                            camera_with_clips: Any) -> None:
    cam_a, placed = camera_with_clips([(0, 0, 1), (2, 1, 2), (10, 2, 3)])   # a 6 s gap before the third
    cam_b, _ = camera_with_clips([(0, 0, 1)])
    viewer = client(make_user("viewer", [cam_a]))
    start, end = placed[0].start, placed[-1].start + placed[-1].duration_ms + 100

    refused = viewer.post("/api/v1/exports", json={"camera": cam_b, "start": start, "end": end})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    no_csrf = viewer.post("/api/v1/exports", json={"camera": cam_a, "start": start, "end": end}, csrf=False)
    assert no_csrf.status_code == 403 and no_csrf.json()["error"]["code"] == "csrf_required"
    too_long = viewer.post("/api/v1/exports", json={"camera": cam_a, "start": start, "end": start + 3 * 3600_000})
    assert too_long.status_code == 400 and too_long.json()["error"]["code"] == "range_too_long"

    started = viewer.post("/api/v1/exports", json={"camera": cam_a, "start": "2026-11-30T10:00:00Z", "end": end})
    assert started.status_code == 202, started.text
    export_id = started.json()["export"]["id"]
    done = _poll(lambda: (d := viewer.get(f"/api/v1/exports/{export_id}").json())["state"] in ("done", "failed")
                 and d, what="the export")
    assert done["state"] == "done", done["error"]
    assert done["progress"] == 1 and done["frames"] == sum(p.frames for p in placed)
    assert (done["covered_start"], done["start_lead_ms"]) == (placed[0].start, 0)   # the range starts on a clip
    assert done["start"] == placed[0].start and placed[-1].start < done["covered_end"] <= end
    assert len(done["chapters"]) == 3 and [g["end"] - g["start"] for g in done["gaps"]][0] >= 5000
    data = requests.get(done["url"], timeout=30).content
    with av.open(io.BytesIO(data)) as c:
        assert sum(1 for _ in c.decode(video=0)) == sum(p.frames for p in placed)
        assert len(c.chapters()) == 3
        assert json.loads(c.metadata["comment"])["camera"] == cam_a
    listed = viewer.get("/api/v1/exports").json()["exports"]
    assert [e["id"] for e in listed] == [export_id] and "url" not in listed[0] or listed[0]["url"] is None

    other = client(make_user("viewer", [cam_a]))
    assert other.get(f"/api/v1/exports/{export_id}").status_code == 404    # exports are per user
    assert viewer.post(f"/api/v1/exports/{export_id}/retry").status_code == 409
    pinned = viewer.post(f"/api/v1/exports/{export_id}/pin", json={"pinned": True})
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True
    assert requests.get(pinned.json()["url"], timeout=30).content == data
    assert viewer.request("DELETE", f"/api/v1/exports/{export_id}").status_code == 204
    assert viewer.get(f"/api/v1/exports/{export_id}").status_code == 404


def test_live_start_playlist_and_segments(cloud: Any, make_user: Any, client: Any, camera_with_clips: Any,
                                          tmp_path: Path) -> None:
    camera, _ = camera_with_clips([(0, 0, 1)])
    other, _ = camera_with_clips([(0, 0, 1)])
    viewer = client(make_user("viewer", [camera]))
    assert viewer.post(f"/api/v1/cameras/{other}/live").status_code == 403
    before = viewer.get(f"/api/v1/cameras/{camera}/live.m3u8")
    assert before.status_code == 503 and before.json()["error"]["code"] == "live_not_ready"
    assert before.headers["Cache-Control"] == "no-store" and before.headers["Retry-After"] == "1"

    tokens = TokenProvider(cloud.functions["vigil-token"], camera, device_secret(cloud.master_key, camera, 1),
                           max_wait=20.0)
    view = LiveView(DeviceOss(tokens), camera, probe_seconds=0.3, lease_seconds=30.0).start()
    stop = threading.Event()
    sim = threading.Thread(target=simulate, args=(tmp_path, lambda clip: None), daemon=True,
                           kwargs={"fps": 10, "width": 320, "height": 180, "clip_seconds": 4, "keyframe_seconds": 1,
                                   "realtime": True, "stop": stop.is_set, "on_packet": view.on_packet})
    sim.start()
    try:
        _poll(lambda: view.counts["probes"] >= 1, what="the camera's first probe")
        started = viewer.post(f"/api/v1/cameras/{camera}/live")
        assert started.status_code == 200
        path = started.json()["playlist"]
        assert path == f"/api/v1/cameras/{camera}/live.m3u8"
        resp = _poll(lambda: (r := viewer.get(path)).status_code == 200 and r.text.count(".ts") >= 2 and r,
                     timeout=60, what="the live playlist")
        assert resp.headers["Cache-Control"] == "no-store"
        assert resp.headers["Content-Type"] == "application/vnd.apple.mpegurl"
        urls = [line for line in resp.text.splitlines() if line and not line.startswith("#")]
        assert all(u.startswith("http") and "/live/" in u for u in urls)
        seg = requests.get(urls[-1], timeout=10)
        assert seg.status_code == 200 and seg.content[:1] == b"\x47"   # MPEG-TS sync byte
    finally:
        stop.set()
        sim.join(20)
        view.stop()
