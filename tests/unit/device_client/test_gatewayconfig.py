from __future__ import annotations

import json
from pathlib import Path

import pytest
from vigil_camera import config as cfg
from vigil_camera.gatewayconfig import CameraConfigError, load, parse_camera

pytestmark = pytest.mark.unit
SECRET = "a" * 64


def _write(tmp_path: Path, cameras: list[object]) -> Path:
    path = tmp_path / "gw.json"
    path.write_text(json.dumps({"token_url": "http://127.0.0.1:1", "device_id": "gw-one",
                                "device_secret": SECRET, "cameras": cameras}))
    return path


def test_credentials_go_into_the_url_in_memory_and_never_into_repr(tmp_path: Path) -> None:
    pw = tmp_path / "pw"
    pw.write_text("s3cr:t@x\n")
    cam = parse_camera({"id": "front", "url": "rtsp://10.1.2.3:554/s1", "username": "admin",
                        "password_file": str(pw)}, 0, {})
    assert cam.url == "rtsp://admin:s3cr%3At%40x@10.1.2.3:554/s1"
    assert "s3cr" not in repr(cam) and "s3cr" not in cam.shown_url
    env_cam = parse_camera({"id": "back", "url": "rtsp://h/s", "username": "u", "password_env": "CAM_PW"}, 1,
                           {"CAM_PW": "pw1"})
    assert env_cam.url == "rtsp://u:pw1@h/s"


@pytest.mark.parametrize(("doc", "field"), [
    ({"id": "x", "url": "rtsp://h/s"}, "id"),                              # too short an id
    ({"id": "cam-1", "url": "rtps://h/s"}, "url"),
    ({"id": "cam-1", "url": "rtsp://h/s", "clip_seconds": 0}, "clip_seconds"),
    ({"id": "cam-1", "url": "rtsp://h/s", "audio": "yes"}, "audio"),
    ({"id": "cam-1", "url": "rtsp://h/s", "live": 1}, "live"),
    ({"id": "cam-1", "url": "rtsp://h/s", "activity": "on"}, "activity"),
    ({"id": "cam-1", "url": "rtsp://h/s", "transport": "sctp"}, "transport"),
    ({"id": "cam-1", "url": "rtsp://h/s", "pasword": "x"}, "pasword"),
    ({"id": "cam-1", "url": "rtsp://h/s", "username": "u", "password_env": "NOT_SET"}, "password_env"),
    ({"id": "cam-1", "url": "rtsp://h/s", "password": "pw-only"}, "username"),
])
def test_each_mistake_names_the_camera_and_field(doc: dict[str, object], field: str) -> None:
    with pytest.raises(CameraConfigError) as caught:
        parse_camera(doc, 2, {})
    assert caught.value.field == field
    assert caught.value.camera in (doc["id"], "#3") and "pw-only" not in caught.value.message


def test_a_bad_camera_is_left_out_and_the_others_stay(tmp_path: Path) -> None:
    path = _write(tmp_path, [{"id": "cam-1", "url": "rtsp://h/a"}, {"id": "cam-1", "url": "rtsp://h/b"},
                             {"id": "cam-2", "url": "rtsp://h/a"}, {"id": "cam-3", "url": "rtsp://h/c"}])
    loaded = load(path, env={})
    assert [c.id for c in loaded.cameras] == ["cam-1", "cam-3"]
    assert [(e.camera, e.field) for e in loaded.errors] == [("cam-1", "id"), ("cam-2", "url")]


def test_file_level_mistakes_stop_the_gateway(tmp_path: Path) -> None:
    with pytest.raises(cfg.ConfigError, match="cameras"):
        load(_write(tmp_path, []), env={})
    with pytest.raises(cfg.ConfigError, match="does not exist"):
        load(tmp_path / "none.json", env={})
