"""Helpers for the token-service integration tests: provisioning and signed token requests."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import oss2
import pytest
import requests
from vigil_camera import protocol
from vigil_fn.core.devices import DeviceRecord, Registry

TOKEN_FUNCTION_NAMES = ("token", "vigil-token")


def token_base_url(cloud: Any) -> str:
    for name in TOKEN_FUNCTION_NAMES:
        if name in cloud.functions:
            return str(cloud.functions[name]).rstrip("/")
    raise AssertionError(f"no token function in {sorted(cloud.functions)}")


@dataclass
class Device:
    device_id: str
    secret: str


CameraDevice = Device  # the name methods use (the class attribute shadows `Device`)


class TokenClient:
    """Signs and sends token requests like a camera would (plain HTTP, no device library)."""

    Device: ClassVar[type[Device]] = Device

    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud
        self.base = token_base_url(cloud)
        self.registry = Registry(cloud.bucket())
        self.http = requests.Session()

    def provision(self, prefix: str = "cam", **record: Any) -> CameraDevice:
        device_id = f"{prefix}-{secrets.token_hex(4)}"
        rec = self.registry.create(DeviceRecord(device_id, **record))
        return Device(device_id, protocol.device_secret(self.cloud.master_key, device_id, rec.key_version))

    def request(self, device: CameraDevice, body: bytes = b"{}", *, timestamp: float | None = None,
                nonce: str | None = None, path: str = "/v1/token", method: str = "POST",
                sign_path: str | None = None, send_body: bytes | None = None,
                headers: dict[str, str] | None = None) -> requests.Response:
        ts = int(time.time() if timestamp is None else timestamp)
        signed = protocol.signed_headers(device.device_id, device.secret, method, sign_path or path, body, ts,
                                         nonce)
        signed.update(headers or {})
        data = body if send_body is None else send_body
        return self.http.request(method, self.base + path, data=data, headers=signed, timeout=30)

    def token(self, device: CameraDevice, ttl: int | None = None) -> dict[str, Any]:
        body = json.dumps({"ttl": ttl}).encode() if ttl else b"{}"
        resp = self.request(device, body)
        assert resp.status_code == 200, resp.text
        return dict(resp.json())

    def device_bucket(self, token: dict[str, Any]) -> oss2.Bucket:
        c = token["credentials"]
        auth = oss2.StsAuth(c["access_key_id"], c["access_key_secret"], c["security_token"])
        return oss2.Bucket(auth, token["endpoint"], token["bucket"])

    @staticmethod
    def error_of(resp: requests.Response) -> dict[str, Any]:
        """The `error` object of a refusal (asserting the documented shape)."""
        doc = resp.json()
        assert set(doc) >= {"error"} and set(doc["error"]) >= {"code", "message"}, doc
        return dict(doc["error"])


@pytest.fixture(scope="session")
def token_client(cloud: Any) -> TokenClient:
    return TokenClient(cloud)


@dataclass
class ParityCloud:
    info: Any          # localcloud.stack.StackInfo
    data_dir: Path

    def operator_bucket(self) -> oss2.Bucket:
        return oss2.Bucket(oss2.Auth(self.info.access_key_id, self.info.access_key_secret),
                           self.info.oss_endpoint, self.info.bucket)


@pytest.fixture(scope="module")
def parity_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ParityCloud]:
    """A stack without functions (OSS, STS, RAM from infra/ram incl. the `vigil-operator-token` role)."""
    from localcloud.stack import LocalCloud

    stack = LocalCloud(tmp_path_factory.mktemp("paritycloud"), port=0, spec_path=None)
    info = stack.start()
    try:
        yield ParityCloud(info, Path(info.data_dir))
    finally:
        stack.stop()
