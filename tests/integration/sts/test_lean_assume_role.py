"""`StsClient.assume_role` (core/rpc.py over transport.KeepAlive, no aliyunsdkcore) against localcloud's
STS, which verifies the RPC signature, timestamp, nonce and security token as STS does."""

from __future__ import annotations

import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from vigil_fn.core.rpc import HTTP_ERROR
from vigil_fn.core.sts import StsClient, StsUnavailable
from vigil_fn.core.transport import KeepAlive
from vigil_fn.token.policy import device_upload_policy

pytestmark = pytest.mark.integration


def function_client(sts_stack: Any) -> StsClient:
    """The token function's client: its role's temporary credentials, as the FC runtime hands them."""
    c = sts_stack.function_session()
    return StsClient(c.access_key_id, c.access_key_secret, c.security_token, "cn-hangzhou", sts_stack.endpoint)


def test_the_token_functions_call_is_accepted_and_carries_the_policy(sts_stack: Any) -> None:
    client = function_client(sts_stack)
    policy = device_upload_policy(sts_stack.bucket, "cam-front-door")
    policy["Statement"][0]["Sid"] = "vidéo ~*+&=/? 中文"   # every encoding corner survives the signature
    for _ in range(3):   # one kept-alive connection carries them all
        creds = client.assume_role(sts_stack.ram.role_arn("vigil-device-upload"), "cam-front-door", policy, 900)
        session = sts_stack.ram.resolve(creds.access_key_id, creds.security_token)
        assert session.session_policy == policy
        assert creds.assumed_role_arn.endswith("/cam-front-door")
    assert len(client._rpc._connections._idle) == 1


def test_wrong_secret_is_invalid_access_key_secret(sts_stack: Any) -> None:
    c = sts_stack.function_session()
    client = StsClient(c.access_key_id, "not-the-secret", c.security_token, "cn-hangzhou", sts_stack.endpoint)
    with pytest.raises(StsUnavailable) as info:
        client.assume_role(sts_stack.ram.role_arn("vigil-device-upload"), "cam-1", None, 900)
    assert (info.value.code, info.value.status) == ("InvalidAccessKeySecret", 400)


def test_expired_function_credentials_are_refused_with_stss_code(sts_stack: Any) -> None:
    client = function_client(sts_stack)
    sts_stack.clock.advance(3601)
    with pytest.raises(StsUnavailable) as info:
        client.assume_role(sts_stack.ram.role_arn("vigil-device-upload"), "cam-1", None, 900)
    assert (info.value.code, info.value.status) == ("InvalidSecurityToken.Expired", 400)


def test_a_role_it_may_not_assume_is_refused(sts_stack: Any) -> None:
    client = function_client(sts_stack)
    with pytest.raises(StsUnavailable) as info:
        client.assume_role(sts_stack.ram.role_arn("vigil-operator-token"), "cam-1", None, 900)
    assert info.value.status == 403 and info.value.code.startswith("NoPermission")


def test_unreachable_sts_is_the_sdks_http_error_code() -> None:
    client = StsClient("AK", "SK", None, "cn-hangzhou", "http://127.0.0.1:1", timeout=2)
    with pytest.raises(StsUnavailable) as info:
        client.assume_role("acs:ram::1:role/x", "cam-1", None, 900)
    assert info.value.code == HTTP_ERROR and info.value.status is None


class _Closing(http.server.BaseHTTPRequestHandler):
    """HTTP/1.1 answers that keep the connection open, then close it as an idle timeout would."""

    protocol_version = "HTTP/1.1"
    closed: threading.Event
    peers: list[Any]

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.peers.append(self.client_address)   # before answering: the client sees it once answered
        body = json.dumps({"path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True   # without saying so to the client

    def log_message(self, *args: Any) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    def shutdown_request(self, request: Any) -> None:
        super().shutdown_request(request)   # the socket is closed now: tell the test
        self.RequestHandlerClass.closed.set()  # type: ignore[attr-defined]


@pytest.fixture
def closing_server() -> Iterator[tuple[str, type[_Closing]]]:
    handler = type("Handler", (_Closing,), {"closed": threading.Event(), "peers": []})
    server = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()


def test_an_idle_connection_the_server_closed_is_replaced_not_reused(closing_server: Any) -> None:
    origin, handler = closing_server
    pool = KeepAlive(origin, timeout=5, connect_timeout=2)
    assert pool.request("POST", "/?a=%2F", body=b"", headers={})[::2] == (200, b'{"path": "/?a=%2F"}')
    assert handler.closed.wait(5)
    handler.closed.clear()
    assert pool.request("POST", "/?b=1", body=b"", headers={})[::2] == (200, b'{"path": "/?b=1"}')
    assert len(handler.peers) == 2 and handler.peers[0] != handler.peers[1]   # a second connection


def test_origin_must_be_http() -> None:
    with pytest.raises(ValueError):
        KeepAlive("ftp://x", timeout=1, connect_timeout=1)


def test_the_cloud_endpoint_is_https_with_verified_certificates() -> None:
    """No endpoint configured (the cloud): the SDK's regional STS host, over TLS checked against
    certifi's bundle with the host name verified, as requests/urllib3 would."""
    connections = StsClient("AK", "SK", "TOKEN", "cn-hangzhou")._rpc._connections
    assert connections.host == "sts.cn-hangzhou.aliyuncs.com" and connections.port is None
    assert connections.tls is not None and connections.tls.check_hostname
    assert connections.tls.verify_mode == ssl.CERT_REQUIRED
