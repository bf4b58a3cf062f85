"""`vigil-camera discover` against a WS-Discovery responder and ONVIF media service started here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.onvif.responder import Responder

pytestmark = pytest.mark.integration


@pytest.fixture
def camera() -> Iterator[Responder]:
    responder = Responder(username="admin", password="s3cret-pw").start()
    try:
        yield responder
    finally:
        responder.stop()


def _discover(responder: Responder, *args: str, password: str | None = None,
              lang: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAM_PW": password or responder.password}
    if lang is not None:
        for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
            env.pop(name, None)
        env.update(LANG=lang, PYTHONIOENCODING="utf-8")
    return subprocess.run([sys.executable, "-m", "vigil_camera.cli", "discover", "--target",
                           f"127.0.0.1:{responder.port}", "--timeout", "2", *args],
                          env=env, capture_output=True, text=True, timeout=60)


def test_discover_lists_the_camera_and_its_rtsp_urls(camera: Responder) -> None:
    res = _discover(camera, "--username", "admin", "--password-env", "CAM_PW", "--json")
    assert res.returncode == 0, res.stderr
    cameras = json.loads(res.stdout)["cameras"]
    assert len(cameras) == 1                                   # the answer to another probe is ignored
    cam = cameras[0]
    assert (cam["address"], cam["name"], cam["hardware"], cam["xaddrs"]) == (
        "127.0.0.1", "Porch Cam", "IPC-1", [camera.xaddr])
    assert cam["streams"] == [{"profile": "MainStream", "uri": "rtsp://192.0.2.21:554/main"},
                              {"profile": "SubStream", "uri": "rtsp://192.0.2.21:554/sub"}]
    assert cam["error"] is None and camera.refused == 0
    text = _discover(camera, "--username", "admin", "--password-env", "CAM_PW")
    assert "Porch Cam" in text.stdout and "SubStream: rtsp://192.0.2.21:554/sub" in text.stdout


def test_a_wrong_password_is_reported_with_the_camera_and_never_printed(camera: Responder) -> None:
    res = _discover(camera, "--username", "admin", "--password-env", "CAM_PW", "--json", password="wrong-pw-77")
    assert res.returncode == 0, res.stderr
    cam = json.loads(res.stdout)["cameras"][0]
    assert cam["streams"] == [] and cam["error"] == "the camera refused the credentials" and camera.refused == 1
    assert "wrong-pw-77" not in res.stdout + res.stderr
    listed = _discover(camera, "--no-streams", "--json")
    assert json.loads(listed.stdout)["cameras"][0]["streams"] == [] and camera.refused == 1   # asked nothing


def test_discover_help_and_bad_input() -> None:
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "discover", "--help"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "WS-Discovery" in res.stdout and "--password-env" in res.stdout
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "discover", "--username", "a",
                          "--password-env", "VIGIL_TEST_NO_SUCH_VAR"], capture_output=True, text=True, timeout=60,
                         env={k: v for k, v in os.environ.items() if k != "VIGIL_TEST_NO_SUCH_VAR"})
    assert res.returncode == 2 and "VIGIL_TEST_NO_SUCH_VAR" in res.stderr and "Traceback" not in res.stderr


def test_the_listing_follows_the_locale_and_its_json_does_not(camera: Responder) -> None:
    """Issue 31: the text listing (its error line too) is Chinese under zh_CN; the camera's own words stay as
    sent; `--json` is the same bytes in both languages, its error English."""
    args = ("--username", "admin", "--password-env", "CAM_PW")
    zh = _discover(camera, *args, password="wrong-pw-77", lang="zh_CN.UTF-8")
    en = _discover(camera, *args, password="wrong-pw-77", lang="C")
    assert zh.returncode == en.returncode == 0, zh.stderr
    assert "    错误：摄像头拒绝了该凭据" in zh.stdout.splitlines() and "Porch Cam" in zh.stdout
    assert "    error: the camera refused the credentials" in en.stdout.splitlines()
    js = [_discover(camera, *args, "--json", password="wrong-pw-77", lang=lang) for lang in ("C", "zh_CN.UTF-8")]
    assert js[0].stdout == js[1].stdout and "the camera refused the credentials" in js[0].stdout
    bad = [subprocess.run([sys.executable, "-m", "vigil_camera.cli", "discover", "--target", "h:x"],
                          capture_output=True, text=True, timeout=60,
                          env={**{k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL")},
                               "LANG": lang, "PYTHONIOENCODING": "utf-8"}) for lang in ("C", "zh_CN.UTF-8")]
    assert bad[0].returncode == bad[1].returncode == 2
    assert "--target must be HOST or HOST:PORT" in bad[0].stderr
    assert "--target 必须是 HOST 或 HOST:PORT" in bad[1].stderr
