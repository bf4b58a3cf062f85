"""HTTP triggers through real HTTP (requests): event mapping, response mapping, methods, auth."""

from __future__ import annotations

import base64
import email.utils
import json
from typing import Any

import pytest
import requests
from fc2.auth import Auth

pytestmark = pytest.mark.integration


def _echo(fc_stack: Any) -> str:
    return str(fc_stack.runtime.function_urls["fcapp-echo"])


def test_request_reaches_handler_as_fc3_http_event(fc_stack: Any) -> None:
    r = requests.post(_echo(fc_stack) + "/some%20dir/x?a=1&b=&a=2", data=bytes([0, 1, 2, 255]),
                      headers={"X-Custom": "v1", "Content-Type": "application/octet-stream"}, timeout=10)
    assert r.status_code == 200
    assert r.headers["x-fc-request-id"]
    doc = r.json()
    event = doc["event"]
    assert event["version"] == "v1"
    assert event["rawPath"] == "/some%20dir/x"
    assert event["queryParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"]["X-Custom"] == "v1"
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == bytes([0, 1, 2, 255])
    ctx = event["requestContext"]
    assert ctx["accountId"] == fc_stack.ram.account_id
    assert ctx["http"]["method"] == "POST"
    assert ctx["http"]["path"] == "/some dir/x"
    assert ctx["http"]["sourceIp"] == "127.0.0.1"
    assert ctx["http"]["userAgent"].startswith("python-requests")
    assert ctx["requestId"] == r.headers["x-fc-request-id"] == doc["request_id"]
    assert ctx["timeEpoch"].isdigit() and ctx["time"].endswith("Z")
    assert doc["greeting"] == "hello"  # environmentVariables reach the worker
    assert doc["cwd"].endswith("fc_app/code")
    assert doc["function"] == {"name": "fcapp-echo", "handler": "app.echo", "memory": 128, "timeout": 5}
    assert doc["service"] == "fcapp" and doc["region"] == "cn-hangzhou"


def test_text_body_is_not_base64(fc_stack: Any) -> None:
    r = requests.put(_echo(fc_stack) + "/t", json={"k": "välue"}, timeout=10)
    event = r.json()["event"]
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"k": "välue"}


def test_response_mapping(fc_stack: Any) -> None:
    base = _echo(fc_stack)
    r = requests.get(base + "/status/418", timeout=10)
    assert (r.status_code, r.text, r.headers["X-Echo"]) == (418, "custom", "yes")
    r = requests.get(base + "/binary", timeout=10)
    assert r.status_code == 200 and r.content == bytes(range(256))
    assert r.headers["Content-Type"] == "application/octet-stream"
    r = requests.get(base + "/text", timeout=10)
    assert (r.status_code, r.text) == (200, "plain text")


def test_method_not_allowed(fc_stack: Any) -> None:
    r = requests.delete(_echo(fc_stack) + "/x", timeout=10)
    assert r.status_code == 405
    assert r.json()["ErrorCode"] == "MethodNotAllowed"


def test_handler_exception_is_a_clean_502(fc_stack: Any, caplog: pytest.LogCaptureFixture) -> None:
    r = requests.get(_echo(fc_stack) + "/raise", timeout=10)
    assert r.status_code == 502
    body = r.json()
    assert body["ErrorCode"] == "FunctionUnhandledError"
    assert "RuntimeError" in body["ErrorMessage"]
    assert "secret detail" not in r.text and "Traceback" not in r.text and "app.py" not in r.text
    # the traceback goes to the runtime's log instead
    rid = r.headers["x-fc-request-id"]
    logged = [rec for rec in caplog.records if getattr(rec, "request_id", None) == rid]
    assert any("app.py" in (getattr(rec, "stack", None) or "") for rec in logged)
    # the instance survives a handled exception
    assert requests.get(_echo(fc_stack) + "/text", timeout=10).status_code == 200


def test_worker_crash_is_replaced(fc_stack: Any) -> None:
    r = requests.get(_echo(fc_stack) + "/exit", timeout=10)
    assert r.status_code == 502 and "ProcessExited" in r.json()["ErrorMessage"]
    assert requests.get(_echo(fc_stack) + "/text", timeout=10).text == "plain text"


def _fc_signed(method: str, path: str, ak: str, secret: str, query: dict[str, str] | None = None,
               token: str = "") -> dict[str, str]:
    headers = {"date": email.utils.formatdate(usegmt=True), "content-type": "application/json"}
    if token:
        headers["x-fc-security-token"] = token
    headers["authorization"] = Auth(ak, secret, token).sign_request(method, path, headers, query)
    return headers


def test_auth_type_function(fc_stack: Any) -> None:
    base = str(fc_stack.runtime.function_urls["fcapp-signed"])
    ak, secret = fc_stack.ram.operator_key()
    r = requests.get(base + "/x", timeout=10)
    assert r.status_code == 403 and r.json()["ErrorCode"] == "AccessDenied"
    r = requests.get(base + "/x", headers=_fc_signed("GET", "/x", ak, secret + "x"), timeout=10)
    assert r.status_code == 403 and r.json()["ErrorCode"] == "SignatureNotMatch"
    r = requests.get(base + "/x", headers=_fc_signed("GET", "/x", "nokey", secret), timeout=10)
    assert r.status_code == 403 and r.json()["ErrorCode"] == "InvalidAccessKeyId"
    r = requests.get(base + "/x?q=1", headers=_fc_signed("GET", "/x", ak, secret, {"q": "1"}), timeout=10)
    assert r.status_code == 200, r.text
    assert r.json()["event"]["queryParameters"] == {"q": "1"}
    # an STS session is authenticated with the session's secret, then RAM decides fc:InvokeFunction:
    # the indexer's role has no such permission (issue #13, hole 1)
    creds = fc_stack.ram.issue_session(fc_stack.ram.role_arn("vigil-indexer-fn"), "caller", 900, None, None,
                                       "fc.aliyuncs.com")
    headers = _fc_signed("POST", "/y", creds.access_key_id, creds.access_key_secret,
                         token=creds.security_token)
    r = requests.post(base + "/y", headers=headers, timeout=10)
    assert r.status_code == 403 and r.json()["ErrorCode"] == "AccessDenied", r.text


def test_handler_print_goes_to_the_runtime_log(fc_stack: Any, fc_wait: Any,
                                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    r = requests.get(_echo(fc_stack) + "/text", timeout=10)
    rid = r.headers["x-fc-request-id"]
    assert r.text == "plain text"  # the print did not leak into the response

    def printed() -> list[Any]:
        return [rec for rec in caplog.records
                if getattr(rec, "source", None) == "function" and f"echo invoked {rid}" in rec.getMessage()]

    lines = fc_wait(printed, what="function print in the log")
    assert lines[0].function == "fcapp-echo"

    def access() -> list[dict[str, Any]]:  # written just after the response is sent
        return [vars(rec) for rec in caplog.records
                if rec.getMessage() == "http trigger" and getattr(rec, "request_id", None) == rid]

    line = fc_wait(access, what="access log line")[0]
    assert line["status"] == 200 and line["duration_ms"] >= 0
