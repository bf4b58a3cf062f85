"""STS unreachable from the token function: 503 sts_unavailable with Retry-After, nothing leaked."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oss2
import pytest
import requests
from vigil_camera import protocol
from vigil_fn.core.devices import DeviceRecord, Registry

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def broken_sts_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from localcloud.stack import LocalCloud

    stack = LocalCloud(tmp_path_factory.mktemp("nosts"), port=0,
                       extra_env={"VIGIL_STS_ENDPOINT": "http://127.0.0.1:1"})
    info = stack.start()
    try:
        yield info
    finally:
        stack.stop()


def test_sts_outage_is_503_without_details(broken_sts_stack: Any) -> None:
    info = broken_sts_stack
    auth = oss2.Auth(info.access_key_id, info.access_key_secret)
    bucket = oss2.Bucket(auth, info.oss_endpoint, info.bucket)
    device_id = f"cam-{secrets.token_hex(3)}"
    record = Registry(bucket).create(DeviceRecord(device_id))
    master = Path(info.master_key_file).read_text().strip().encode()
    secret = protocol.device_secret(master, device_id, record.key_version)
    headers = protocol.signed_headers(device_id, secret, "POST", "/v1/token", b"{}", int(time.time()))
    resp = requests.post(info.functions["vigil-token"].rstrip("/") + "/v1/token", data=b"{}", headers=headers,
                         timeout=30)
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "5"
    error = resp.json()["error"]
    assert error["code"] == "sts_unavailable"
    text = json.dumps(resp.json())
    assert "127.0.0.1:1" not in text and "Signature" not in text and secret not in text
