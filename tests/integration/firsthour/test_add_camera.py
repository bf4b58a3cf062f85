"""Issue 15 item 1: adding a camera the README way works — `vigil devices add ID --config-out F`
then `vigil-camera --config F upload FILE`, as a user types them (child processes, relative paths)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def run(tool: str, *argv: str, cwd: Path, data: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    module = {"vigil": "vigil_ops.cli", "vigil-camera": "vigil_camera.cli"}[tool]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "ALIBABA_CLOUD_"))}
    env["VIGIL_LOCAL_DATA"] = str(data)
    return subprocess.run([sys.executable, "-m", module, *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


def test_readme_add_camera_then_upload(cloud: Any, tmp_path: Path) -> None:
    cam = f"cam-front-{uuid.uuid4().hex[:6]}"
    res = run("vigil", "devices", "add", cam, "--config-out", f"{cam}.json", cwd=tmp_path, data=cloud.data_dir)
    assert res.returncode == 0, res.stderr
    config = json.loads((tmp_path / f"{cam}.json").read_text())
    assert not config["token_url"].rstrip("/").endswith("/v1/token")   # the client appends the route

    clip = tmp_path / "20261128T140000000Z-1.ts"
    clip.write_bytes(os.urandom(20_000))
    env_spool = tmp_path / "spool"
    res = run("vigil-camera", "--config", f"{cam}.json", "configure", "--spool-dir", str(env_spool),
              cwd=tmp_path, data=cloud.data_dir)
    assert res.returncode == 0, res.stderr
    res = run("vigil-camera", "--config", f"{cam}.json", "upload", clip.name, cwd=tmp_path, data=cloud.data_dir)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[-1])["uploaded"] == 1
    keys = [o.key for o in cloud.bucket().list_objects_v2(prefix=f"videos/{cam}/").object_list]
    assert keys == [f"videos/{cam}/2026/11/28/140000000Z-1.ts"]


def test_a_config_holding_the_full_token_url_still_works(cloud: Any, tmp_path: Path) -> None:
    """Configs written before the fix hold `<base>/v1/token`: the client must not append it twice."""
    cam = f"cam-old-{uuid.uuid4().hex[:6]}"
    res = run("vigil", "devices", "add", cam, "--config-out", "c.json", cwd=tmp_path, data=cloud.data_dir)
    assert res.returncode == 0, res.stderr
    config = json.loads((tmp_path / "c.json").read_text())
    config["token_url"] = config["token_url"].rstrip("/") + "/v1/token"
    (tmp_path / "c.json").write_text(json.dumps(config))
    res = run("vigil-camera", "--config", "c.json", "token", cwd=tmp_path, data=cloud.data_dir)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["prefixes"]["videos"] == f"videos/{cam}/"
