"""Issue 23 end to end through localcloud: settings set by an admin reach the camera in its token
answer; the camera analyses simulated clips with them and uploads them; the real indexer (OSS
trigger) folds them; the events routes answer — and camera-limited viewers see only their cameras."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from vigil_camera import media
from vigil_camera.activity.camera import CameraActivity
from vigil_camera.activity.scene import TREE_ZONE, ActivityScene, clock_zone
from vigil_camera.credentials import TokenProvider
from vigil_camera.keys import clip_key
from vigil_camera.ossclient import DeviceOss
from vigil_camera.protocol import device_secret
from vigil_camera.spool import Spool
from vigil_camera.upload import ClipUploader
from vigil_fn.core.devices import DeviceRecord, Registry

from .conftest import Account, Api, wait_indexed

ORIGIN = datetime(2026, 11, 29, 10, 0, tzinfo=timezone.utc)
W, H = 320, 180
PATH_ZONE = {"name": "path", "points": [[0, 0.4], [1, 0.4], [1, 1], [0, 1]]}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def test_settings_to_camera_to_events(cloud: Any, tmp_path: Path, admin: Api, make_user: Callable[..., Account],
                                      client: Callable[[Account | None], Api]) -> None:
    camera = f"ev-{uuid.uuid4().hex[:10]}"
    Registry(cloud.bucket()).create(DeviceRecord(camera, name="events test"))

    # an admin sets zones; a zone that crosses itself is refused in plain words
    bad = {"zones": [{"name": "porch", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}]}
    resp = admin.request("PUT", f"/api/v1/cameras/{camera}/activity-settings", json=bad)
    assert resp.status_code == 400 and 'zone "porch" crosses itself' in resp.json()["error"]["message"]
    resp = admin.request("PUT", f"/api/v1/cameras/{camera}/activity-settings", json={"zones": [PATH_ZONE]})
    assert resp.status_code == 200, resp.text

    # the camera: its token answer carries the settings; it analyses and uploads 40 s of the scene
    tokens = TokenProvider(cloud.functions["vigil-token"], camera, device_secret(cloud.master_key, camera, 1))
    assert tokens.token().activity is not None and tokens.token().activity["zones"][0]["name"] == "path"
    spool = Spool(tmp_path / "spool")
    oss = DeviceOss(tokens, status=spool.status)
    analyzer = CameraActivity(oss, own_masks=(clock_zone(W, H), TREE_ZONE))
    truth = io.StringIO()
    scene = ActivityScene(W, H, seed=3, origin=ORIGIN, truth=truth)
    keys: list[str] = []

    def on_clip(clip: media.Clip) -> None:
        key = clip_key(camera, clip.start, clip.seq, "ts")
        keys.append(key)
        spool.enqueue(clip.path, key, move=True, activity=analyzer.pack_clip(clip.path, clip.start))

    media.simulate(tmp_path / "clips", on_clip, fps=5, width=W, height=H, clip_seconds=10, duration=40,
                   realtime=False, keyframe_seconds=1, render=scene.render, start=ORIGIN)
    uploader = ClipUploader(oss)
    for entry in spool.entries():
        spool.upload_one(uploader, entry)
    wait_indexed(cloud, camera, keys)
    crossing = json.loads(truth.getvalue().splitlines()[0])

    day = "?start=2026-11-29T00:00:00Z&end=2026-11-30T00:00:00Z"
    events = admin.get(f"/api/v1/cameras/{camera}/events{day}").json()["events"]
    assert len(events) == 1
    ev = events[0]
    truth_start = int(datetime.fromisoformat(crossing["start"].replace("Z", "+00:00")).timestamp() * 1000)
    assert abs(ev["start"] - truth_start) <= 1000 and ev["zones"] == ["path"] and ev["reviewed"] is False
    assert admin.get(f"/api/v1/cameras/{camera}/events{day}&zone=gate").json()["events"] == []
    assert admin.get(f"/api/v1/cameras/{camera}/events{day}&min_score=1.01").status_code == 400

    # next / previous from an instant
    near = admin.get(f"/api/v1/cameras/{camera}/events/near?at={_iso(ev['start'] - 5000)}&direction=next").json()
    assert near["event"]["id"] == ev["id"]
    assert admin.get(f"/api/v1/cameras/{camera}/events/near?at={_iso(ev['start'] - 5000)}"
                     "&direction=previous").json()["event"] is None

    # review per user: marked for this admin only
    first = ev["id"].split(":")[1]
    resp = admin.request("PUT", f"/api/v1/cameras/{camera}/events/{first}/review")
    assert resp.status_code == 200 and resp.json()["reviewed"] is True
    assert admin.get(f"/api/v1/cameras/{camera}/events{day}&reviewed=true").json()["events"][0]["id"] == ev["id"]
    other = client(make_user("viewer"))
    assert other.get(f"/api/v1/cameras/{camera}/events{day}").json()["events"][0]["reviewed"] is False
    assert admin.request("PUT", f"/api/v1/cameras/{camera}/events/123/review").status_code == 404
    assert admin.request("PUT", f"/api/v1/cameras/{camera}/events/{first}/review", csrf=False).status_code == 403
    admin.request("DELETE", f"/api/v1/cameras/{camera}/events/{first}/review")
    assert admin.get(f"/api/v1/cameras/{camera}/events{day}&reviewed=true").json()["events"] == []

    # the day's histogram in one request
    hist = admin.get(f"/api/v1/cameras/{camera}/activity{day}&bins=1440").json()
    minute = (ev["start"] + 1000 - int(ORIGIN.replace(hour=0).timestamp() * 1000)) // 60_000
    assert hist["peaks"][minute] > 0 and sum(1 for p in hist["peaks"] if p > 0) <= 2

    # a viewer limited to another camera: 403 on this one, and not in the fleet list
    limited = client(make_user("viewer", cameras=["cam-someone-else"]))
    assert limited.get(f"/api/v1/cameras/{camera}/events{day}").status_code == 403
    assert limited.get(f"/api/v1/events{day}").json()["events"] == []
    assert limited.get(f"/api/v1/cameras/{camera}/activity-settings").status_code == 403
    fleet = admin.get(f"/api/v1/events{day}&camera={camera}").json()["events"]
    assert [e["id"] for e in fleet] == [ev["id"]]
