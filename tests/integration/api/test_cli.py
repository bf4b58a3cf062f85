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
