"""Issue 15 item 10: the demo's live status — one readable line per camera, redrawn in place on a
terminal, printed again only on change when piped; the banner is one list other parts can extend."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from vigil_ops.demo_cmd import banner_lines
from vigil_ops.demo_status import Camera, LiveStatus, camera_line

pytestmark = pytest.mark.unit


def _camera(tmp_path: Path, name: str = "cam-lobby", **status: object) -> Camera:
    spool = tmp_path / name
    (spool / "queue").mkdir(parents=True)
    if status:
        (spool / "status.json").write_text(json.dumps(status))
    return Camera(name, spool, tmp_path / f"camera-{name}.log")


def test_a_line_says_uploads_queue_and_last_error(tmp_path: Path) -> None:
    cam = _camera(tmp_path, uploaded=12, uploaded_bytes=3_400_000,
                  last_error={"time": "2026-12-01T10:11:12Z", "message": "token service unavailable"})
    (cam.spool / "queue" / "x.json").write_text("{}")
    line = camera_line(cam)
    assert "cam-lobby" in line and "running" in line and "uploaded   12 clips (3.4 MB)" in line
    assert "queued 1" in line and "last error: 10:11:12 token service unavailable" in line
    assert "last error: none" in camera_line(_camera(tmp_path, "cam-new"))      # nothing ran yet: zeros


def test_a_camera_that_exited_says_where_to_look(tmp_path: Path) -> None:
    cam = _camera(tmp_path)
    cam.proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    cam.proc.wait()
    assert "stopped (exit 3, see camera-cam-lobby.log)" in camera_line(cam)


def test_piped_output_repeats_only_on_change(tmp_path: Path) -> None:
    cam = _camera(tmp_path, uploaded=1, uploaded_bytes=10)
    out = io.StringIO()
    status = LiveStatus([cam], out, tty=False)
    status.update()
    status.update()
    assert out.getvalue().count("Cameras:") == 1 and "\x1b[" not in out.getvalue()
    (cam.spool / "status.json").write_text(json.dumps({"uploaded": 2, "uploaded_bytes": 20}))
    status.update()
    assert out.getvalue().count("Cameras:") == 2 and "uploaded    2 clips" in out.getvalue()


def test_terminal_output_is_redrawn_in_place(tmp_path: Path) -> None:
    out = io.StringIO()
    status = LiveStatus([_camera(tmp_path, "cam-a"), _camera(tmp_path, "cam-b")], out, tty=True)
    status.update()
    first = out.getvalue()
    assert first.startswith("Cameras (updated ") and "\x1b[" not in first
    status.update()
    assert out.getvalue()[len(first):].startswith("\x1b[3F\x1b[J")    # up over the 3 lines, clear, redraw


def test_banner_is_one_list_with_the_status_command(tmp_path: Path) -> None:
    info = SimpleNamespace(oss_endpoint="http://127.0.0.1:9000", bucket="vigil-local", region="cn-hangzhou",
                           sts_endpoint="http://127.0.0.1:9001", fc_endpoint="http://127.0.0.1:9002",
                           functions={"vigil-token": "http://127.0.0.1:9003"}, access_key_id="AK",
                           data_dir=str(tmp_path))
    config = tmp_path / "devices" / "cam-lobby.json"
    lines = banner_lines(info, {"cam-lobby": config}, tmp_path)
    assert lines[0] == "Vigil localcloud is up." and lines[-1] == "Press Ctrl-C to stop."
    assert any(f"vigil-camera --config {config} status" in line for line in lines)
    assert any(f"{tmp_path}/logs/" in line for line in lines)
