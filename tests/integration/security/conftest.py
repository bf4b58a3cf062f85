"""Helpers for the attack tests: cameras provisioned in the shared stack, their tokens, their buckets.

Everything goes through the real clients: tokens from the token function's HTTP trigger (signed
as firmware signs them), uploads with `oss2.StsAuth`, STS through `aliyun-python-sdk-sts`.
"""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass
from typing import Any

import oss2
import pytest
import requests
from vigil_camera import protocol


@dataclass
class Camera:
    device_id: str
    secret: str


class Cameras:
    """Provision cameras and get their tokens through the token function, like firmware does."""

    def __init__(self, cloud: Any) -> None:
        from vigil_fn.core.devices import Registry

        self.cloud = cloud
        self.base = next(str(cloud.functions[n]).rstrip("/") for n in ("token", "vigil-token")
                         if n in cloud.functions)
        self.registry = Registry(cloud.bucket())
        self.http = requests.Session()

    def provision(self, prefix: str = "sec") -> Camera:
        from vigil_fn.core.devices import DeviceRecord

        device_id = f"{prefix}-{secrets.token_hex(4)}"
        record = self.registry.create(DeviceRecord(device_id))
        return Camera(device_id, protocol.device_secret(self.cloud.master_key, device_id, record.key_version))

    def rekey(self, camera: Camera) -> Camera:
        """The camera after an operator rotate: the secret of the record's current key version."""
        record = self.registry.require(camera.device_id)
        return Camera(camera.device_id,
                      protocol.device_secret(self.cloud.master_key, camera.device_id, record.key_version))

    def request(self, camera: Camera, body: bytes = b"{}", *, method: str = "POST", path: str = "/v1/token",
                headers: dict[str, str] | None = None) -> requests.Response:
        signed = protocol.signed_headers(camera.device_id, camera.secret, method, path, body, int(time.time()))
        signed.setdefault("Content-Type", "application/json")
        signed.update(headers or {})
        return self.http.request(method, self.base + path, data=body, headers=signed, timeout=30)

    def token(self, camera: Camera, ttl: int = 3600) -> dict[str, Any]:
        resp = self.request(camera, json.dumps({"ttl": ttl}).encode())
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    @staticmethod
    def bucket(token: dict[str, Any]) -> oss2.Bucket:
        c = token["credentials"]
        auth = oss2.StsAuth(c["access_key_id"], c["access_key_secret"], c["security_token"])
        return oss2.Bucket(auth, token["endpoint"], token["bucket"], connect_timeout=5)


@pytest.fixture(scope="session")
def cameras(cloud: Any) -> Cameras:
    return Cameras(cloud)
