"""Every issued token is logged for audit — device, ttl, request id, expiration — and no secret."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import fc2
import pytest
from vigil_camera import protocol

pytestmark = pytest.mark.integration


def test_issued_token_is_audited_without_secrets(cloud: Any, token_client: Any) -> None:
    device = token_client.provision()
    body = b'{"ttl": 1200}'
    headers = protocol.signed_headers(device.device_id, device.secret, "POST", "/v1/token", body,
                                      int(time.time()))
    event = {"version": "v1", "rawPath": "/v1/token", "headers": headers, "queryParameters": {},
             "body": body.decode(), "isBase64Encoded": False,
             "requestContext": {"requestId": "audit-req-1", "http": {"method": "POST", "path": "/v1/token"}}}
    client = fc2.Client(endpoint=cloud.fc_endpoint, accessKeyID=cloud.access_key_id,
                        accessKeySecret=cloud.access_key_secret)
    resp = client.invoke_function("vigil", "vigil-token", payload=json.dumps(event).encode(),
                                  headers={"x-fc-log-type": "Tail"})
    answer = json.loads(resp.data)
    assert answer["statusCode"] == 200, answer
    token = json.loads(answer["body"])
    log_text = base64.b64decode(resp.headers["x-fc-log-result"]).decode()
    audit = [json.loads(line[line.index("{"):]) for line in log_text.splitlines()
             if '"token issued"' in line and device.device_id in line]
    assert len(audit) == 1, log_text
    entry = audit[0]
    assert (entry["device_id"], entry["ttl"], entry["request_id"]) == (device.device_id, 1200, "audit-req-1")
    assert entry["expiration"] == token["credentials"]["expiration"] and entry["key_version"] == 1
    for secret in (device.secret, token["credentials"]["access_key_secret"],
                   token["credentials"]["security_token"], cloud.master_key.decode()):
        assert secret not in log_text
