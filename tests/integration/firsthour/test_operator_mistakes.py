"""Issue 15: common operator mistakes get one clear line and lose nothing (items 5, 6, 11)."""

from __future__ import annotations

import json
import secrets
import socket
from pathlib import Path
from typing import Any

import pytest
from vigil_camera.protocol import device_secret
from vigil_ops.cli import main

pytestmark = pytest.mark.integration
CLEAN = ("VIGIL_OSS_ENDPOINT", "VIGIL_BUCKET", "VIGIL_MASTER_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID",
         "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "VIGIL_TOKEN_URL", "VIGIL_REGION", "VIGIL_FC_ENDPOINT")


@pytest.fixture()
def vigil(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Any:
    for name in CLEAN:
        monkeypatch.delenv(name, raising=False)

    def run(*argv: str, data: Path) -> tuple[int, str, str]:
        monkeypatch.setenv("VIGIL_LOCAL_DATA", str(data))
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_config_out_into_a_missing_folder_changes_nothing(vigil: Any, cloud: Any, tmp_path: Path) -> None:
    """Item 5: checked first — no device registered without its secret shown; a retry works."""
    device = f"cam-{secrets.token_hex(4)}"
    code, out, err = vigil("devices", "add", device, "--config-out", str(tmp_path / "missing" / "cam.json"),
                           data=cloud.data_dir)
    assert code == 2 and "does not exist" in err and "Traceback" not in err and "secret" not in out
    assert vigil("devices", "show", device, data=cloud.data_dir)[0] == 1          # not registered
    code, out, err = vigil("devices", "add", device, "--config-out", str(tmp_path), data=cloud.data_dir)
    assert code == 2 and "is a folder" in err
    code, out, _ = vigil("devices", "add", device, "--config-out", str(tmp_path / "cam.json"), data=cloud.data_dir)
    assert code == 0 and device_secret(cloud.master_key, device, 1) in out
    assert json.loads((tmp_path / "cam.json").read_text())["device_id"] == device


def test_config_out_never_overwrites_another_cameras_config(vigil: Any, cloud: Any, tmp_path: Path) -> None:
    first, second = (f"cam-{secrets.token_hex(4)}" for _ in range(2))
    config = tmp_path / "cam.json"
    assert vigil("devices", "add", first, "--config-out", str(config), data=cloud.data_dir)[0] == 0
    code, _, err = vigil("devices", "add", second, "--config-out", str(config), data=cloud.data_dir)
    assert code == 2 and f"holds the config of device {first}" in err
    assert json.loads(config.read_text())["device_id"] == first
    assert vigil("devices", "show", second, data=cloud.data_dir)[0] == 1        # not registered
    code, out, _ = vigil("devices", "rotate", first, "--config-out", str(config), data=cloud.data_dir)
    assert code == 0 and json.loads(config.read_text())["device_secret"] == device_secret(cloud.master_key, first, 2)


def test_rotate_checks_config_out_before_rotating(vigil: Any, cloud: Any, tmp_path: Path) -> None:
    device = f"cam-{secrets.token_hex(4)}"
    assert vigil("devices", "add", device, data=cloud.data_dir)[0] == 0
    code, _, err = vigil("devices", "rotate", device, "--config-out", str(tmp_path / "no" / "c.json"),
                         data=cloud.data_dir)
    assert code == 2 and "does not exist" in err
    code, out, _ = vigil("devices", "show", device, data=cloud.data_dir)
    assert json.loads(out)["key_version"] == 1                                    # not rotated


def _stopped_stack(tmp_path: Path) -> Path:
    """A data folder whose stack.json names an endpoint nobody listens on (the stack was stopped)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    (tmp_path / "stack.json").write_text(json.dumps({
        "oss_endpoint": f"http://127.0.0.1:{port}", "sts_endpoint": f"http://127.0.0.1:{port + 1}",
        "bucket": "vigil-local", "region": "cn-hangzhou", "account_id": "1000000000000000",
        "access_key_id": "LTAIexample", "access_key_secret": "x", "functions": {}}))
    return tmp_path


@pytest.mark.parametrize("argv", [("devices", "list"), ("devices", "show", "cam-lobby"),
                                  ("index", "verify"), ("index", "rebuild", "--device", "cam-a", "--day",
                                                        "2026-11-28"), ("bucket", "setup"),
                                  ("token", "get", "/videos/cam-a/*", "--mode", "r")])
def test_stack_not_running_says_so_and_how_to_start_it(vigil: Any, tmp_path: Path, argv: tuple[str, ...]) -> None:
    """Item 6: not `OSS refused:  ` with an empty reason."""
    data = _stopped_stack(tmp_path)
    code, _, err = vigil(*argv, data=data)
    assert code == 1, err
    assert "local stack is not running" in err and "vigil local up" in err and "make demo" in err
    assert "127.0.0.1" in err and "Traceback" not in err


def test_index_verify_of_an_unknown_camera_fails(vigil: Any, cloud: Any) -> None:
    """Item 11: `index verify --device nope` is not a clean bill of health."""
    code, _, err = vigil("index", "verify", "--device", "nope-nope", data=cloud.data_dir)
    assert code == 1 and "no such device" in err


@pytest.mark.parametrize("argv", [("index", "rebuild", "--device", "cam-a", "--day", "2026-13-01"),
                                  ("index", "verify", "--since", "yesterday")])
def test_bad_days_are_explained(vigil: Any, cloud: Any, capsys: pytest.CaptureFixture[str],
                                argv: tuple[str, ...]) -> None:
    """Item 11: `--day 2026-13-01` → says YYYY-MM-DD, not "invalid fromisoformat value"."""
    with pytest.raises(SystemExit) as exc:
        vigil(*argv, data=cloud.data_dir)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "YYYY-MM-DD" in err and "fromisoformat" not in err


def test_ram_render_errors_name_the_command(vigil: Any, tmp_path: Path) -> None:
    """Item 11: `vigil ram render: …` like every other command, not `error: …`."""
    code, _, err = vigil("ram", "render", "--account-id", "abc", "--bucket", "b-b-b", data=tmp_path)
    assert code == 2 and err.startswith("vigil ram render: ")


def test_no_stack_at_all_says_where_it_looked(vigil: Any, tmp_path: Path) -> None:
    """Before the first `make demo`: which folder was searched and how to start a stack."""
    code, _, err = vigil("devices", "list", data=tmp_path / "never-started")
    assert code == 2 and f"no local stack in {tmp_path / 'never-started'}" in err and "make demo" in err


def test_timeline_of_an_unknown_camera_fails(vigil: Any, cloud: Any) -> None:
    """Issue 28 item 10: `vigil timeline cam-nope` printed a 24 h gap and exited 0."""
    code, out, err = vigil("timeline", "cam-nope", data=cloud.data_dir)
    assert code == 2 and out == ""
    assert "no such camera: cam-nope" in err and "Traceback" not in err


def test_a_bad_day_names_the_option(vigil: Any, cloud: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 28 item 12: `--day 2026-13-45` said "month must be in 1..12" without naming --day."""
    with pytest.raises(SystemExit) as exc:
        vigil("timeline", "cam-a", "--day", "2026-13-45", data=cloud.data_dir)
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "argument --day" in err and "YYYY-MM-DD" in err and "Traceback" not in err


def test_cost_help_says_each_default_once(vigil: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Issue 28 item 12: `vigil cost --help` printed "(default: data file) (default: None)"."""
    with pytest.raises(SystemExit):
        vigil("cost", "--help", data=tmp_path)
    out = " ".join(capsys.readouterr().out.split())   # argparse wraps to the terminal's width
    assert "(default: None)" not in out
    assert "(default: data file)" in out
    for option in out.split(" --")[1:]:
        assert option.count("(default") <= 1, option
