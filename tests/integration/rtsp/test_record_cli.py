"""`vigil-camera record rtsp://…` as a user runs it: Ctrl-C uploads the last clip and exits 0; the
summary counts this run; errors are JSON without the password."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import oss2
import pytest
from vigil_camera.protocol import device_secret
from vigil_fn.core.devices import DeviceRecord, Registry

from tests.rtsp.server import RtspServer
from tests.waiting import wait_for

pytestmark = pytest.mark.integration


def _env(cloud: Any, tmp_path: Path) -> tuple[dict[str, str], str]:
    cam = f"rec-{uuid.uuid4().hex[:8]}"
    Registry(cloud.bucket()).create(DeviceRecord(cam, name="record cli"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    env.update(VIGIL_TOKEN_URL=cloud.functions["vigil-token"], VIGIL_DEVICE_ID=cam,
               VIGIL_DEVICE_SECRET=device_secret(cloud.master_key, cam, 1), VIGIL_SPOOL_DIR=str(tmp_path / "spool"))
    return env, cam


def test_ctrl_c_uploads_the_last_clip_and_exits_0(rtsp: RtspServer, cloud: Any, tmp_path: Path) -> None:
    env, cam = _env(cloud, tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "vigil_camera.cli", "--config", str(tmp_path / "none.json"),
                             "record", rtsp.url("aac"), "--clip-seconds", "2", "--audio", "--log-level", "INFO"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    bucket = cloud.bucket()
    try:
        wait_for(lambda: any(True for _ in oss2.ObjectIterator(bucket, prefix=f"videos/{cam}/")), 60, "a clip")
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    keys = [o.key for o in oss2.ObjectIterator(bucket, prefix=f"videos/{cam}/")]
    assert summary["queue_depth"] == 0 and summary["clips"] == summary["uploaded"] == len(keys) >= 2
    assert '"level":"info"' in err                          # --log-level after the command works


def test_a_refused_camera_password_is_one_json_line_without_it(rtsp: RtspServer, cloud: Any,
                                                                tmp_path: Path) -> None:
    env, _ = _env(cloud, tmp_path)
    url = rtsp.url("secret", user="user", password="hunter2-xyz")
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "record", url], env=env, capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 1 and "Traceback" not in res.stderr
    assert "hunter2-xyz" not in res.stderr + res.stdout
    err = json.loads(res.stderr.strip().splitlines()[-1])["error"]
    assert err["code"] == "unauthorized" and "user:***@" in err["message"]
