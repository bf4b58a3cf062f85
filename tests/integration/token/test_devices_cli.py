"""`vigil devices ...` against the local stack: the registry records and the secrets they imply."""

from __future__ import annotations

import json
import os
import secrets
import stat
from pathlib import Path
from typing import Any

import pytest
from vigil_camera.protocol import device_secret
from vigil_fn.core.devices import MAX_GATEWAY_CAMERAS
from vigil_ops.cli import main

pytestmark = pytest.mark.integration


def test_device_lifecycle_through_the_cli(vigil: Any, cloud: Any, token_client: Any, tmp_path: Path) -> None:
    device_id = f"cli-{secrets.token_hex(4)}"
    config = tmp_path / "camera.json"
    code, out, _ = vigil("devices", "add", device_id, "--name", "Porch", "--json",
                         "--config-out", str(config))
    assert code == 0
    added = json.loads(out)
    assert added == {"device_id": device_id, "key_version": 1,
                     "secret": device_secret(cloud.master_key, device_id, 1)}
    assert stat.S_IMODE(os.stat(config).st_mode) == 0o600
    cfg = json.loads(config.read_text())
    assert cfg == {"token_url": token_client.base.rstrip("/"), "device_id": device_id,
                   "device_secret": added["secret"]}
    device = token_client.Device(device_id, added["secret"])
    assert token_client.request(device).status_code == 200

    code, _, err = vigil("devices", "add", device_id)
    assert code == 1 and "exists" in err

    code, out, _ = vigil("devices", "show", device_id)
    record = json.loads(out)
    assert (record["status"], record["name"], record["key_version"]) == ("enabled", "Porch", 1)

    code, out, _ = vigil("devices", "list", "--json")
    assert code == 0 and device_id in [r["device_id"] for r in json.loads(out)]
    code, out, _ = vigil("devices", "list")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["ID", "STATUS", "KEY"] and device_id in out

    assert vigil("devices", "disable", device_id)[0] == 0
    assert token_client.request(device).status_code == 403
    assert vigil("devices", "enable", device_id)[0] == 0
    assert token_client.request(device).status_code == 200

    code, out, _ = vigil("devices", "rotate", device_id, "--json")
    rotated = json.loads(out)
    assert rotated["key_version"] == 2 and rotated["secret"] != added["secret"]
    assert token_client.request(device).status_code == 401
    assert token_client.request(token_client.Device(device_id, rotated["secret"])).status_code == 200

    code, out, _ = vigil("devices", "rotate", device_id)  # text form prints the secret once, too
    assert code == 0 and device_secret(cloud.master_key, device_id, 3) in out

    assert vigil("devices", "remove", device_id)[0] == 0
    code, _, err = vigil("devices", "show", device_id)
    assert code == 1 and "no such device" in err
    assert token_client.request(token_client.Device(device_id, rotated["secret"])).status_code == 401


@pytest.mark.parametrize("bad", ["a*", "a/b", "../x", "UPPER", "caf\u00e9"])
def test_invalid_ids_are_refused_before_any_write(vigil: Any, bad: str) -> None:
    code, _, err = vigil("devices", "add", bad)
    assert code == 2 and "device id" in err


def test_unknown_device_commands_fail_cleanly(vigil: Any) -> None:
    for command in ("show", "disable", "enable", "rotate", "remove"):
        code, _, err = vigil("devices", command, "nobody-here")
        assert code == 1 and "no such device" in err and "Traceback" not in err


def test_every_command_has_help(vigil: Any) -> None:
    for argv in (["devices"], ["devices", "add"], ["devices", "list"], ["token", "get"],
                 ["token", "from-policy"], ["bucket", "setup"]):
        with pytest.raises(SystemExit) as info:
            main([*argv, "--help"])
        assert info.value.code == 0


def test_a_gateway_and_its_cameras_through_the_cli(vigil: Any, cloud: Any) -> None:
    from vigil_fn.core.devices import Registry

    tag = secrets.token_hex(3)
    gw, door, yard = f"gw-{tag}", f"door-{tag}", f"yard-{tag}"
    code, _, err = vigil("devices", "add", gw, "--camera", door, "--camera", yard, "--json")
    assert code == 0, err
    registry = Registry(cloud.bucket())
    assert registry.require(gw).cameras == (door, yard) and registry.owner(yard) == gw
    code, _, err = vigil("devices", "add", f"gw2-{tag}", "--camera", door)
    assert code == 1 and f"camera {door} belongs to gateway {gw}" in err          # one owner per camera
    code, out, err = vigil("devices", "cameras", gw, "--remove", yard, "--add", f"porch-{tag}")
    assert code == 0, err
    assert json.loads(out) == {"device_id": gw, "cameras": [door, f"porch-{tag}"]}
    assert "denied until" in err                                     # removing a camera revoked the token
    many = [a for i in range(MAX_GATEWAY_CAMERAS + 1) for a in ("--camera", f"c{i:02d}-{tag}")]
    code, _, err = vigil("devices", "add", f"gw3-{tag}", *many)
    assert code == 2 and f"at most {MAX_GATEWAY_CAMERAS}" in err
