"""The FC 3.0 HTTP edge: event parsing, JSON errors, routing (404/405/500 without tracebacks)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from openapi_spec_validator import validate
from vigil_fn.core.config import Settings
from vigil_fn.core.http import ApiError, HttpEvent, Router, json_response
from vigil_fn.token.service import OPENAPI_FILE, TokenFunction, parse_ttl

pytestmark = pytest.mark.unit


def fc_event(method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
             b64: bool = False) -> bytes:
    return json.dumps({
        "version": "v1", "rawPath": path, "headers": headers or {}, "queryParameters": {"a": "1"},
        "body": base64.b64encode(body).decode() if b64 else body.decode(), "isBase64Encoded": b64,
        "requestContext": {"requestId": "req-42",
                           "http": {"method": method, "path": path, "sourceIp": "127.0.0.1"}},
    }).encode()


def test_parse_event_bytes_with_base64_body() -> None:
    ev = HttpEvent.parse(fc_event("post", "/v1/token", b"\x00\xffbin", {"X-Thing": "v"}, b64=True))
    assert (ev.method, ev.path, ev.body, ev.request_id) == ("POST", "/v1/token", b"\x00\xffbin", "req-42")
    assert ev.headers["x-thing"] == ev.headers["X-THING"] == "v" and "x-Thing" in ev.headers
    assert ev.query == {"a": "1"} and ev.source_ip == "127.0.0.1"


@pytest.mark.parametrize("raw", [b"not json", b"[1,2]", json.dumps({"rawPath": 5}).encode(),
                                 json.dumps({"rawPath": "/", "body": "%%%",
                                             "isBase64Encoded": True}).encode(),
                                 json.dumps({"rawPath": "/", "headers": "x"}).encode(),
                                 json.dumps({"rawPath": "/", "requestContext": {"http": "GET"},
                                             "body": 5}).encode()])
def test_malformed_events_are_400(raw: bytes) -> None:
    with pytest.raises(ApiError) as info:
        HttpEvent.parse(raw)
    assert info.value.status == 400


def test_router_404_405_and_500_are_json_errors() -> None:
    router = Router()

    @router.route("GET", "/ok")
    def ok(event: HttpEvent) -> dict:
        return json_response(200, {"path": event.path})

    @router.route("GET", "/boom")
    def boom(event: HttpEvent) -> dict:
        raise RuntimeError("secret-detail-that-must-not-leak")

    assert json.loads(router.dispatch(fc_event("GET", "/ok"))["body"]) == {"path": "/ok"}
    head = router.dispatch(fc_event("HEAD", "/ok"))
    assert head["statusCode"] == 200 and head["body"] == ""
    missing = router.dispatch(fc_event("GET", "/nope"))
    assert missing["statusCode"] == 404 and json.loads(missing["body"])["error"]["code"] == "not_found"
    wrong = router.dispatch(fc_event("DELETE", "/ok"))
    assert wrong["statusCode"] == 405 and wrong["headers"]["Allow"] == "GET"
    assert json.loads(wrong["body"])["error"]["code"] == "method_not_allowed"
    crashed = router.dispatch(fc_event("GET", "/boom"))
    assert crashed["statusCode"] == 500 and "secret-detail" not in crashed["body"]
    assert json.loads(crashed["body"])["error"]["code"] == "internal_error"
    assert crashed["headers"]["X-Vigil-Request-Id"] == "req-42"


def test_token_function_health_openapi_and_unknown_routes() -> None:
    fn = TokenFunction(Settings.from_env({"VIGIL_MASTER_KEY": "k"}))
    health = fn.handle(fc_event("GET", "/v1/health"), None)
    assert health["statusCode"] == 200 and json.loads(health["body"]) == {"status": "ok"}
    spec = fn.handle(fc_event("GET", "/v1/openapi.json"), None)
    assert json.loads(spec["body"])["openapi"] == "3.1.0"
    assert fn.handle(fc_event("GET", "/v1/token"), None)["statusCode"] == 405
    assert fn.handle(fc_event("POST", "/v1/other"), None)["statusCode"] == 404
    # an invalid device id is refused before the function even looks for credentials
    bad = fn.handle(fc_event("POST", "/v1/token", b"{}", {"X-Vigil-Device": "a*"}), None)
    assert bad["statusCode"] == 400
    assert set(json.loads(bad["body"])["error"]) >= {"code", "message", "server_time"}


def test_openapi_document_is_valid_and_lists_every_route() -> None:
    doc = json.loads(Path(OPENAPI_FILE).read_text())
    validate(doc)
    assert set(doc["paths"]) == {"/v1/token", "/v1/health", "/v1/openapi.json"}


@pytest.mark.parametrize(("body", "expected"),
                         [(None, 3600), ({}, 3600), ({"ttl": 900}, 900), ({"ttl": 3600}, 3600)])
def test_ttl_defaults_and_bounds(body: object, expected: int) -> None:
    assert parse_ttl(body, Settings.from_env({})) == expected


@pytest.mark.parametrize("body", [{"ttl": 899}, {"ttl": 14401}, {"ttl": "900"}, {"ttl": True},
                                  {"ttl": 1000.5}, [1], "x"])
def test_ttl_refusals(body: object) -> None:
    with pytest.raises(ApiError) as info:
        parse_ttl(body, Settings.from_env({}))
    assert info.value.code == "bad_request"


def test_misconfigured_function_is_a_json_500() -> None:
    fn = TokenFunction(Settings.from_env({"VIGIL_MASTER_KEY": "k", "VIGIL_TOKEN_RATE_PER_MINUTE": "0"}))

    class Ctx:
        request_id = "r-9"
        credentials = type("C", (), {"access_key_id": "a", "access_key_secret": "b", "security_token": "c"})()

    from vigil_camera import protocol

    headers = protocol.signed_headers("cam-1", "0" * 64, "POST", "/v1/token", b"{}", 1_800_000_000)
    resp = fn.handle(fc_event("POST", "/v1/token", b"{}", headers), Ctx())
    assert resp["statusCode"] == 500 and json.loads(resp["body"])["error"]["code"] == "misconfigured"
