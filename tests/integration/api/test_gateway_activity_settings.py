"""Per-camera activity settings for a gateway's cameras (issue 22): zones an admin draws for one
gateway camera are kept in its gateway's record, ride in the gateway's token answer (real token
function, localcloud STS) under that camera only, and reach that camera's analyzer and no other;
a change reaches it when the gateway refreshes its token."""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from vigil_camera import media
from vigil_camera.cli import _camera_activity
from vigil_camera.credentials import TokenProvider
from vigil_camera.ossclient import DeviceOss
from vigil_camera.protocol import device_secret
from vigil_camera.spool import Spool
from vigil_camera.tokengroups import TokenGroups
from vigil_fn.core.devices import MAX_CAMERA_ACTIVITY_BYTES, DeviceRecord, Registry

from tests.integration.api.conftest import Api

PORCH = {"name": "porch", "points": [[0, 0.5], [1, 0.5], [1, 1], [0, 1]]}
GATE = {"name": "gate", "points": [[0, 0], [0.5, 0], [0.5, 0.5]]}


def _one_clip(folder: Path) -> media.Clip:
    clips: list[media.Clip] = []
    media.simulate(folder, clips.append, fps=5, width=160, height=90, clip_seconds=2, duration=2,
                   realtime=False, keyframe_seconds=1)
    return clips[0]


def test_settings_drawn_for_one_gateway_camera_reach_its_analyzer_only(cloud: Any, admin: Api,
                                                                        tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    gw, a, b = f"gw-{tag}", f"door-{tag}", f"yard-{tag}"
    registry = Registry(cloud.bucket())
    registry.create(DeviceRecord(gw, name="shop gateway", cameras=(a, b)))

    # the page's route: a gateway camera has no record of its own, its settings go to its gateway's
    resp = admin.request("PUT", f"/api/v1/cameras/{b}/activity-settings",
                         json={"sensitivity": 0.8, "zones": [PORCH]})
    assert resp.status_code == 200, resp.text
    assert admin.get(f"/api/v1/cameras/{b}/activity-settings").json()["zones"] == [PORCH]
    assert admin.get(f"/api/v1/cameras/{a}/activity-settings").json()["zones"] == []
    gateway = registry.require(gw)
    assert set(gateway.camera_activity) == {b} and gateway.activity is None
    assert admin.request("PUT", f"/api/v1/cameras/nobody-{tag}/activity-settings",
                         json={"zones": [PORCH]}).status_code == 404

    # the gateway: one group token for both; each camera's analyzer reads its own entry
    secret = device_secret(cloud.master_key, gw, 1)
    groups = TokenGroups(lambda group: TokenProvider(cloud.functions["vigil-token"], gw, secret,
                                                     cameras=group, max_wait=20), (a, b))
    spool = Spool(tmp_path / "spool")
    analyzers = {c: _camera_activity(c, SimpleNamespace(oss=DeviceOss(groups.for_camera(c), status=spool.status)))
                 for c in (a, b)}
    assert groups.token(a).camera_activity == {b: gateway.camera_activity[b]}
    settings_b, settings_a = analyzers[b].analyzer.settings, analyzers[a].analyzer.settings
    assert [name for name, _ in settings_b.zones] == ["porch"] and settings_b.sensitivity == 0.8
    assert settings_a.zones == () and settings_a.sensitivity == 0.5        # A keeps the defaults

    # a change for B reaches B's analyzer at its next clip after the gateway's token is refreshed
    assert admin.request("PUT", f"/api/v1/cameras/{b}/activity-settings",
                         json={"sensitivity": 0.3, "zones": [GATE]}).status_code == 200
    clip = _one_clip(tmp_path / "clips")
    analyzers[b].pack_clip(clip.path, clip.start)
    assert [name for name, _ in analyzers[b].analyzer.settings.zones] == ["porch"]   # same token: not yet
    groups.group_of(b).invalidate()
    packed = analyzers[b].pack_clip(clip.path, clip.start)
    assert packed is not None
    assert [name for name, _ in analyzers[b].analyzer.settings.zones] == ["gate"]
    assert analyzers[b].analyzer.settings.sensitivity == 0.3
    analyzers[a].pack_clip(clip.path, clip.start)
    assert analyzers[a].analyzer.settings.zones == ()

    # B leaves the gateway: its settings go with it, and the next token carries none for it
    registry.remove_camera(gw, b)
    assert registry.require(gw).camera_activity == {}
    assert TokenProvider(cloud.functions["vigil-token"], gw, secret, max_wait=20).token().camera_activity == {}


def test_a_gateway_s_settings_are_bounded_with_a_413(cloud: Any, admin: Api) -> None:
    """All of a gateway's cameras' settings share one bound: the record and each token answer stay small."""
    tag = uuid.uuid4().hex[:6]
    cameras = tuple(f"cam-{i:02d}-{tag}" for i in range(12))
    Registry(cloud.bucket()).create(DeviceRecord(f"gw-{tag}", cameras=cameras))
    # 16 ignore zones of 32 points each: ~15 KB per camera
    heavy = {"ignore_zones": [[_on_circle(i, 0.3 * (1 - n / 40)) for i in range(32)] for n in range(16)]}
    statuses = [admin.request("PUT", f"/api/v1/cameras/{c}/activity-settings", json=heavy).status_code
                for c in cameras]
    assert statuses[0] == 200 and statuses[-1] == 413, statuses
    stored = Registry(cloud.bucket()).require(f"gw-{tag}").camera_activity
    assert 0 < len(stored) < len(cameras)
    assert sum(len(str(v)) for v in stored.values()) < 2 * MAX_CAMERA_ACTIVITY_BYTES
    refused = admin.request("PUT", f"/api/v1/cameras/{cameras[-1]}/activity-settings", json=heavy).json()
    assert refused["error"]["code"] == "payload_too_large"


def _on_circle(i: int, radius: float) -> list[float]:
    angle = 2 * math.pi * i / 32
    return [round(0.5 + radius * math.cos(angle), 9), round(0.5 + radius * math.sin(angle), 9)]
