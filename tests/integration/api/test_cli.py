"""`vigil users ...`, `vigil timeline`, `vigil clips url|download|delete`, `vigil playlist` against the stack."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import av
import requests
from vigil_fn.api.users import UserStore

from .conftest import Api, api_url, wait_gone

T0 = datetime(2026, 11, 28, 6, 0, 0, tzinfo=timezone.utc)


def test_users_commands(vigil: Any, cloud: Any) -> None:
    name = f"cli-{uuid.uuid4().hex[:8]}"
    code, out, _ = vigil("users", "add", name, "--role", "viewer", "--camera", "cam-lobby", "--password-stdin",
                         stdin="a-long-password-1\n")
    assert code == 0 and "cam-lobby" in out
    api = Api(api_url(cloud))
    assert api.login(name, "a-long-password-1").json()["user"]["cameras"] == ["cam-lobby"]
    code, out, _ = vigil("users", "list", "--json")
    assert {"name": name, "role": "viewer", "cameras": ["cam-lobby"]}.items() <= \
        next(u for u in json.loads(out) if u["name"] == name).items()
    broken = f"broken-{uuid.uuid4().hex[:8]}"     # a record that does not parse: named, the others listed
    cloud.bucket().put_object(f"_system/users/{broken}.json", b"[")
    code, out, err = vigil("users", "list")
    assert code == 0 and name in out and broken not in out and f"user {broken} cannot be read" in err
    assert vigil("users", "remove", broken)[0] == 0 and not cloud.bucket().object_exists(f"_system/users/{broken}.json")
    code, out, _ = vigil("users", "passwd", name, "--generate")
    assert code == 0
    generated = out.split("password: ")[1].split()[0]
    assert api.get("/api/v1/me").status_code == 401  # sessions ended
    assert api.login(name, generated).status_code == 200
    assert vigil("users", "role", name, "admin", "--all-cameras")[0] == 0
    assert UserStore(cloud.bucket()).require(name).role == "admin"
    assert vigil("users", "add", name, "--password-stdin", stdin="another-password\n")[0] == 1  # exists
    assert vigil("users", "add", "x" + name, "--password-stdin", stdin="short\n")[0] == 1
    assert vigil("users", "remove", name)[0] == 0
    assert api.get("/api/v1/me").status_code == 401
    code, _, err = vigil("users", "remove", name)
    assert code == 1 and "no such user" in err


def test_recordings_commands(vigil: Any, cloud: Any, camera_with_clips: Callable[..., Any], tmp_path: Path) -> None:
    camera, placed = camera_with_clips([(0, 0, 0), (2, 1, 1), (10, 2, 2)], base=T0)
    code, out, _ = vigil("timeline", camera, "--day", "2026-11-28", "--json")
    assert code == 0
    items = json.loads(out)["items"]
    assert [i["key"] for i in items if i["type"] == "clip"] == [p.key for p in placed]
    code, out, _ = vigil("timeline", camera, "--from", "2026-11-28T06:00:00Z", "--to", "2026-11-28T06:01:00Z")
    assert code == 0 and "3 clips" in out and "gap" in out
    code, out, _ = vigil("clips", "url", placed[0].key)
    original = cloud.bucket().get_object(placed[0].key).read()
    assert code == 0 and requests.get(out.strip(), timeout=30).content == original
    target = tmp_path / "clip.ts"
    assert vigil("clips", "download", placed[1].key, "-o", str(target))[0] == 0
    assert target.read_bytes() == cloud.bucket().get_object(placed[1].key).read()
    m3u8 = tmp_path / "p.m3u8"
    code, _, _ = vigil("playlist", camera, "--from", "2026-11-28T06:00:00Z", "--to", "2026-11-28T07:00:00Z",
                       "-o", str(m3u8))
    assert code == 0
    text = m3u8.read_text()
    assert text.count("#EXTINF") == 3 and text.count("#EXT-X-DISCONTINUITY") == 1
    with av.open(str(m3u8), options={"protocol_whitelist": "file,http,https,tcp,tls"}) as container:
        assert sum(1 for _ in container.decode(video=0)) == sum(p.frames for p in placed)
    assert vigil("clips", "delete", placed[2].key, "--yes")[0] == 0
    wait_gone(cloud, camera, [placed[2].key])
    code, _, err = vigil("clips", "url", "not/a/key")
    assert code == 2 and "clip key" in err
    assert vigil("playlist", camera, "--from", "2026-11-28T06:00:00Z", "--to", "2026-11-28T08:00:00Z")[0] == 2
    assert vigil("timeline", "Bad!", "--day", "2026-11-28")[0] == 2


def test_demo_prints_the_viewer_and_a_once_only_admin_password(tmp_path: Path) -> None:
    from localcloud.stack import LocalCloud
    from vigil_ops.demo_cmd import viewer_lines

    stack = LocalCloud(tmp_path / "data", port=0)
    info = stack.start()
    try:
        first = "\n".join(viewer_lines(info))
        password = first.split("admin password")[1].split()[0]
        assert info.functions["vigil-api"] in first
        api = Api(str(info.functions["vigil-api"]).rstrip("/"))
        assert api.login("admin", password).json()["user"]["role"] == "admin"
        again = "\n".join(viewer_lines(info))  # the next start does not show (or change) it again
        assert password not in again and "users passwd admin" in again
        assert api.get("/api/v1/me").status_code == 200
    finally:
        stack.stop()


def test_events_and_activity_settings_commands(vigil: Any, cloud: Any, tmp_path: Path) -> None:
    """`vigil events CAM --start --end --json`: one JSON object per line, start/end ISO 8601 UTC;
    `vigil activity-settings CAM --set FILE` validates (the zone named) and stores in the registry."""
    from vigil_camera.activity.meta import ClipActivity, pack
    from vigil_camera.keys import clip_key, index_key
    from vigil_fn.core.devices import DeviceRecord, Registry
    from vigil_fn.indexer.log import encode_entry

    bucket = cloud.bucket()
    camera = f"cli-ev-{uuid.uuid4().hex[:6]}"
    Registry(bucket).create(DeviceRecord(camera, name="cli events"))
    t0 = int(T0.timestamp() * 1000)
    act = pack(ClipActivity((0.0, 0.5, 0.9, 0.0), (None, *[(0.1, 0.2, 0.3, 0.4)] * 2, None), (0, 1, 1, 0), ("door",)))
    lines = b"".join(encode_entry({"op": "create", "key": clip_key(camera, T0.replace(second=4 * i), i, "ts"),
                                   "etag": "E" * 32, "size": 10, "start": t0 + 4000 * i, "duration": 4000,
                                   "status": "ok", "event_time": t0 + 4000 * i + 500, "activity": act})
                     for i in (0, 5))
    bucket.append_object(index_key(camera, T0.date()), 0, lines)
    code, out, _ = vigil("events", camera, "--start", "2026-11-28T05:00:00Z", "--end", "2026-11-28T07:00:00Z",
                         "--json")
    docs = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [(d["start"], d["end"], d["zones"]) for d in docs] == [
        ("2026-11-28T06:00:00.000Z", "2026-11-28T06:00:03.000Z", ["door"]),
        ("2026-11-28T06:00:20.000Z", "2026-11-28T06:00:23.000Z", ["door"]),
    ]
    code, _, err = vigil("events", camera, "--start", "2026-11-28T07:00:00Z", "--end", "2026-11-28T05:00:00Z")
    assert code == 2 and "--end must be after --start" in err
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"zones": [{"name": "gate", "points": [[0, 0], [2, 0], [1, 1]]}]}))
    code, _, err = vigil("activity-settings", camera, "--set", str(bad))
    assert code == 2 and 'zone "gate": point 2 (2, 0) is outside the picture' in err
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"sensitivity": 0.8, "zones": [{"name": "gate", "points": [[0, 0], [1, 0], [1, 1]]}]}))
    code, out, _ = vigil("activity-settings", camera, "--set", str(good))
    assert code == 0 and json.loads(out)["sensitivity"] == 0.8
    record = Registry(bucket).get(camera)
    assert record is not None and record.activity is not None and record.activity["zones"][0]["name"] == "gate"
    # a gateway camera (no record of its own): stored in its gateway's record, for it alone
    gw, yard, door = (f"cli-{n}-{uuid.uuid4().hex[:6]}" for n in ("gw", "yard", "door"))
    Registry(bucket).create(DeviceRecord(gw, cameras=(yard, door)))
    code, out, err = vigil("activity-settings", yard, "--set", str(good))
    assert code == 0 and json.loads(out)["zones"][0]["name"] == "gate", err
    assert Registry(bucket).require(gw).camera_activity == {yard: json.loads(out)}
    code, out, _ = vigil("activity-settings", door)
    assert code == 0 and json.loads(out)["zones"] == []
    code, _, err = vigil("activity-settings", f"cli-nobody-{uuid.uuid4().hex[:6]}")
    assert code != 0 and "no such camera" in err
