"""Issue 15: `vigil-camera` mistakes get a clear answer on stderr, successes say so (items 8, 9, 11),
and `vigil … | head` ends quietly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from vigil_camera.protocol import device_secret
from vigil_fn.core.devices import DeviceRecord, Registry

pytestmark = pytest.mark.integration


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "ALIBABA_CLOUD_"))}
    env.update(extra)
    return env


def camera(*argv: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil_camera.cli", *argv], env=env, capture_output=True,
                          text=True, timeout=timeout)


def _error(res: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert "Traceback" not in res.stderr
    lines = res.stderr.strip().splitlines()
    return dict(json.loads(lines[-1])["error"])


@pytest.fixture()
def device(cloud: Any, tmp_path: Path) -> dict[str, str]:
    """A registered device's settings, as environment variables (spool inside the test folder)."""
    device_id = f"fh-{uuid.uuid4().hex[:10]}"
    Registry(cloud.bucket()).create(DeviceRecord(device_id))
    return {"VIGIL_TOKEN_URL": cloud.functions["vigil-token"], "VIGIL_DEVICE_ID": device_id,
            "VIGIL_DEVICE_SECRET": device_secret(cloud.master_key, device_id, 1),
            "VIGIL_SPOOL_DIR": str(tmp_path / "spool")}


def test_watch_of_a_missing_folder_is_an_error(device: dict[str, str], tmp_path: Path) -> None:
    """Item 8: exit 2 with a message, not `watch scan failed` every second forever."""
    res = camera("watch", str(tmp_path / "missing" / "dir"), env=_env(**device), timeout=60)
    assert res.returncode == 2
    assert "does not exist" in _error(res)["message"]


@pytest.mark.parametrize("case", ["disabled", "unknown"])
def test_token_refusals_go_to_stderr(cloud: Any, device: dict[str, str], case: str) -> None:
    """Item 9: one JSON line on stderr, nothing on stdout."""
    if case == "disabled":
        Registry(cloud.bucket()).update(device["VIGIL_DEVICE_ID"], status="disabled")
    else:
        device["VIGIL_DEVICE_ID"] = f"fh-nobody-{uuid.uuid4().hex[:6]}"
    res = camera("token", "--wait", "5", env=_env(**device))
    assert res.returncode == 1 and res.stdout == ""
    assert _error(res)["code"] == {"disabled": "device_disabled", "unknown": "unknown_device"}[case]


def test_a_missing_config_file_is_named(tmp_path: Path) -> None:
    """Item 11: `--config missing.json token` says the file is missing."""
    res = camera("--config", str(tmp_path / "missing.json"), "token", env=_env())
    assert res.returncode == 2
    err = _error(res)
    assert err["code"] == "config" and "missing.json does not exist" in err["message"]
    assert "vigil devices add" in err["message"]


def test_status_without_a_config_is_an_error(tmp_path: Path) -> None:
    """Item 11: not exit 0 with `"device_id": ""`."""
    res = camera("status", env=_env(XDG_CONFIG_HOME=str(tmp_path / "cfg"), XDG_STATE_HOME=str(tmp_path / "st")))
    assert res.returncode == 2 and res.stdout == ""
    assert "device_id" in _error(res)["message"]


@pytest.mark.parametrize("secret", ["abc", "z" * 64, "0" * 63])
def test_configure_refuses_a_secret_that_is_not_64_hex(tmp_path: Path, secret: str) -> None:
    config = tmp_path / "c.json"
    res = camera("--config", str(config), "configure", "--token-url", "http://h:1", "--device-id", "cam-1",
                 "--device-secret", secret, env=_env())
    assert res.returncode == 2 and "64 hex" in _error(res)["message"]
    assert not config.exists()


def test_upload_summary_does_not_repeat_an_old_error(device: dict[str, str], tmp_path: Path) -> None:
    """Item 11: after a success, the summary's `last_error` is this run's (none), not history."""
    spool = Path(device["VIGIL_SPOOL_DIR"])
    spool.mkdir(parents=True)
    (spool / "status.json").write_text(json.dumps({
        "failures": 3, "last_error": {"time": "2026-11-27T10:00:00Z", "message": "token service unavailable"}}))
    clip = tmp_path / "20261128T150000000Z-2.ts"
    clip.write_bytes(os.urandom(10_000))
    res = camera("upload", str(clip), env=_env(**device))
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout.splitlines()[-1])
    assert summary["uploaded"] == 1 and summary["last_error"] is None


def test_record_a_file_says_what_it_did(device: dict[str, str], tmp_path: Path, media: Any, cloud: Any) -> None:
    """Item 11: `record FILE` ends with a JSON line (it printed nothing)."""
    source = tmp_path / "source.ts"
    source.write_bytes(media.encode_clip("mpegts", seconds=2.0, fps=10, width=160, height=120))
    res = camera("record", str(source), "--clip-seconds", "1", "--work-dir", str(tmp_path / "work"),
                 env=_env(**device))
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout.strip().splitlines()[-1])
    assert summary["clips"] >= 1 and summary["uploaded"] == summary["clips"] and summary["queue_depth"] == 0
    stored = cloud.bucket().list_objects_v2(prefix=f"videos/{device['VIGIL_DEVICE_ID']}/").object_list
    assert len(stored) == summary["clips"]


def test_vigil_into_a_closed_pipe_ends_quietly(cloud: Any) -> None:
    """Item 11: `vigil token get … | head` → no BrokenPipeError traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "vigil_ops.cli", "token", "get", "/videos/cam-1/*",
                             "--mode", "r", "--expiration", "900"], env=_env(VIGIL_LOCAL_DATA=str(cloud.data_dir)),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()                        # the reader is gone before anything is written
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "BrokenPipeError" not in err


@pytest.mark.parametrize("case", ["wrong_url", "disabled"])
def test_long_running_commands_report_a_refusal_at_once(cloud: Any, device: dict[str, str], tmp_path: Path,
                                                        case: str) -> None:
    """Item 1's second half: `simulate` with a config the token service refuses retried forever."""
    if case == "wrong_url":
        device["VIGIL_TOKEN_URL"] = device["VIGIL_TOKEN_URL"].rstrip("/") + "/nope"
    else:
        Registry(cloud.bucket()).update(device["VIGIL_DEVICE_ID"], status="disabled")
    res = camera("simulate", "--fps", "5", "--resolution", "160x120", "--clip-seconds", "1", "--count", "2",
                 "--fast", "--work-dir", str(tmp_path / "w"), env=_env(**device), timeout=90)
    assert res.returncode == 1
    err = _error(res)
    assert err["code"] == {"wrong_url": "not_found", "disabled": "device_disabled"}[case]
    assert "/v1/token" in err["message"]


def test_upload_with_no_token_service_says_so(device: dict[str, str], tmp_path: Path) -> None:
    """A one-shot upload while nothing answers (stack not started): a message, nothing queued —
    not warnings forever."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        device["VIGIL_TOKEN_URL"] = f"http://127.0.0.1:{s.getsockname()[1]}"
    clip = tmp_path / "20261128T160000000Z-1.ts"
    clip.write_bytes(os.urandom(1000))
    res = camera("upload", str(clip), "--wait", "1", env=_env(**device), timeout=90)
    assert res.returncode == 1 and res.stdout == ""
    err = _error(res)
    assert "no answer from the token service" in err["message"] and device["VIGIL_TOKEN_URL"] in err["message"]
    assert "make demo" in err["message"]
    assert not list((Path(device["VIGIL_SPOOL_DIR"]) / "queue").glob("*.json"))   # nothing left behind
    assert clip.exists()


def test_upload_refuses_a_name_without_a_start_time(cloud: Any, device: dict[str, str], tmp_path: Path) -> None:
    """Issue 28 item 4: `upload badname.ts` used the file's modification time (landing on top of real
    clips) and exited 1 with `"last_error": null`. Now: exit 2, the expected pattern, nothing uploaded."""
    import oss2

    bad = tmp_path / "badname.ts"
    bad.write_bytes(b"\x47" + b"\x00" * 187)
    res = camera("upload", str(bad), env=_env(**device))
    assert res.returncode == 2 and res.stdout == ""
    err = _error(res)
    assert err["code"] == "bad_input"
    assert "badname.ts" in err["message"] and "YYYYMMDDTHHMMSS" in err["message"]
    assert not list(oss2.ObjectIterator(cloud.bucket(), prefix=f"videos/{device['VIGIL_DEVICE_ID']}/"))
