"""Security round three (issue 27), item 10: the token function refuses an oversized body on its
size, before the body is parsed, decoded or hashed.

Before, a 10 MiB `POST /v1/token` was refused only after the whole FC event (14 MB of JSON with the
body in base64) had gone through the depth-limited JSON scan: 4.2 s on an idle machine, 504
`FunctionTimeout` on a loaded one (measured 11.6-12.8 s here, `tests/bench/test_token_oversize_bench.py`).
The time was the function's, not localcloud's trigger: building and encoding the event costs it
~0.5 s, which real FC spends too (the body is in the event, up to its 32 MB limit)."""

from __future__ import annotations

import json
import time
from typing import Any

import fc2
import pytest
from vigil_camera import protocol

pytestmark = pytest.mark.integration

TEN_MIB = 10 << 20


def test_r3_item10_a_10_mib_token_request_is_a_413_not_a_timeout(cameras: Any) -> None:
    camera = cameras.provision()
    resp = cameras.request(camera, b"{" + b" " * TEN_MIB + b"}")
    assert resp.status_code == 413, resp.text[:300]
    error = resp.json()["error"]
    assert error["code"] == "payload_too_large" and isinstance(error["server_time"], int)
    assert cameras.request(camera, json.dumps({"ttl": 900}).encode()).status_code == 200   # instance fine


def test_r3_item10_refused_on_content_length_before_the_body_is_read(cloud: Any, cameras: Any) -> None:
    """An FC HTTP event whose Content-Length says 10 MiB is refused on that header alone; the
    signed 2-byte body in it is never looked at (before: 200 with a token)."""
    camera = cameras.provision()
    body = b"{}"
    headers = protocol.signed_headers(camera.device_id, camera.secret, "POST", "/v1/token", body, int(time.time()))
    headers.update({"Content-Type": "application/json", "Content-Length": str(TEN_MIB)})
    event = {"version": "v1", "rawPath": "/v1/token", "headers": headers, "queryParameters": {},
             "body": body.decode(), "isBase64Encoded": False,
             "requestContext": {"http": {"method": "POST", "path": "/v1/token", "sourceIp": "127.0.0.1"},
                                "requestId": "r3-item10"}}
    client = fc2.Client(endpoint=cloud.fc_endpoint, accessKeyID=cloud.access_key_id,
                        accessKeySecret=cloud.access_key_secret)
    answer = json.loads(client.invoke_function("vigil", "vigil-token", payload=json.dumps(event)).data)
    assert answer["statusCode"] == 413, answer
    assert json.loads(answer["body"])["error"]["code"] == "payload_too_large"
    headers["Content-Length"] = str(len(body))   # the same request with its true length is served
    headers.update(protocol.signed_headers(camera.device_id, camera.secret, "POST", "/v1/token", body,
                                           int(time.time())))
    ok = json.loads(client.invoke_function("vigil", "vigil-token", payload=json.dumps(event)).data)
    assert ok["statusCode"] == 200, ok
