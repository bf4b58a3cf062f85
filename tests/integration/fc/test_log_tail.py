"""The invoke API's log tail (`x-fc-log-type: Tail`) holds everything the invocation printed:
the answer waits until the runtime has read the worker's output up to the invocation's end."""

from __future__ import annotations

import base64
import json
from typing import Any

import fc2
import pytest

pytestmark = pytest.mark.integration


def test_every_tail_holds_the_invocations_own_lines(fc_stack: Any) -> None:
    ak, secret = fc_stack.ram.operator_key()
    client = fc2.Client(endpoint=fc_stack.runtime.api_endpoint, accessKeyID=ak, accessKeySecret=secret)
    for _ in range(25):
        resp = client.invoke_function("fcapp", "fcapp-echo", payload=json.dumps({"rawPath": "/text"}).encode(),
                                      headers={"x-fc-log-type": "Tail"})
        request_id = resp.headers["x-fc-request-id"]
        tail = base64.b64decode(resp.headers["x-fc-log-result"]).decode()
        assert f"echo invoked {request_id}" in tail, tail
        assert "localcloud-invocation-end" not in tail  # the end mark is the runtime's, never logged
