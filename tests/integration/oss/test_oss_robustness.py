"""Bad input never crashes the server: invalid names, malformed XML, bad arguments, oversize
bodies, unknown failures (500 with an XML body), plus virtual-host addressing and access logs."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time

import oss2
import pytest
import requests
from localcloud.common import logs

pytestmark = pytest.mark.integration


def _signed_raw(oss_env, method: str, raw_path: str, body: bytes = b"", extra: dict[str, str] | None = None):
    """A V4-signed request whose path is sent exactly as given (no client-side normalisation)."""
    from oss2 import http as oss_http

    bucket = oss_env.bucket(v4=True)
    from urllib.parse import unquote_to_bytes

    key_bytes = unquote_to_bytes(raw_path.split("/", 2)[2]) if raw_path.count("/") >= 2 else b""
    try:
        key = key_bytes.decode("utf-8")
    except UnicodeDecodeError:
        key = "not-signable"  # the server refuses the name before it looks at the signature
    req = oss_http.Request(
        method,
        "http://x/",
        headers=oss_http.CaseInsensitiveDict(extra or {}),
        region="cn-hangzhou",
        product="oss",
    )
    bucket.auth._sign_request(req, oss_env.bucket_name, key)
    conn = http.client.HTTPConnection("127.0.0.1", oss_env.port, timeout=10)
    conn.putrequest(method, raw_path, skip_accept_encoding=True)
    for name, value in req.headers.items():
        if value is not None:
            conn.putheader(name, value)
    conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


@pytest.mark.parametrize(
    "raw_path",
    [
        "/{bucket}//leading-slash",
        "/{bucket}/" + "a" * 1024,
        "/{bucket}/bad%FFutf8",
        "/{bucket}/nul%00byte",
    ],
    ids=["leading-slash", "too-long", "bad-utf8", "nul"],
)
def test_invalid_object_names(oss_env, raw_path):
    resp, data = _signed_raw(oss_env, "PUT", raw_path.format(bucket=oss_env.bucket_name), b"x")
    assert resp.status == 400
    assert b"<Code>InvalidObjectName</Code>" in data and b"<RequestId>" in data
    assert resp.getheader("x-oss-request-id")


def test_1023_byte_key_is_fine(oss_bucket):
    key = "videos/" + "k" * (1023 - len("videos/"))
    oss_bucket.put_object(key, b"x")
    assert oss_bucket.get_object(key).read() == b"x"
    with pytest.raises(oss2.exceptions.ServerError) as exc:
        oss_bucket.put_object(key + "k", b"x")
    assert exc.value.code == "InvalidObjectName"


def test_malformed_xml_everywhere(oss_env):
    bucket = oss_env.bucket(v4=True)  # V4 signs every parameter, overwriteConfig included
    bomb = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><LifecycleConfiguration/>'
    for sub, body in (
        ("cors", b"<CORSConfiguration><CORSRule>"),
        ("lifecycle", b"not xml at all"),
        ("cors", b"<WrongRoot/>"),
        ("lifecycle", bomb),
        ("overwriteConfig", b"<OverwriteConfiguration><Rule>"),
    ):
        with pytest.raises(oss2.exceptions.ServerError) as exc:
            bucket._Bucket__do_bucket("PUT", params={sub: ""}, data=body)
        assert exc.value.code == "MalformedXML" and exc.value.status == 400, sub


def test_invalid_cors_rule_arguments(oss_bucket):
    body = (
        b"<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod>"
        b"</CORSRule></CORSConfiguration>"
    )
    with pytest.raises(oss2.exceptions.ServerError) as exc:
        oss_bucket._Bucket__do_bucket("PUT", params={"cors": ""}, data=body)
    assert exc.value.code == "InvalidArgument"


def test_entity_too_large_refused_before_reading(oss_env, oss_key):
    from oss2 import http as oss_http

    bucket = oss_env.bucket(v4=True)
    req = oss_http.Request(
        "PUT", "http://x/", headers=oss_http.CaseInsensitiveDict(), region="cn-hangzhou", product="oss"
    )
    bucket.auth._sign_request(req, oss_env.bucket_name, oss_key)
    sock = socket.create_connection(("127.0.0.1", oss_env.port), timeout=10)
    try:
        head = f"PUT /{oss_env.bucket_name}/{oss2.compat.urlquote(oss_key, '')} HTTP/1.1\r\nHost: x\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in req.headers.items())
        head += f"Content-Length: {5 * 1024**3 + 1}\r\n\r\n"
        sock.sendall(head.encode() + b"only a few bytes")
        data = b""
        while b"</Error>" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    assert data.startswith(b"HTTP/1.1 400")
    assert b"<Code>EntityTooLarge</Code>" in data


def test_unknown_failure_is_500_with_xml(oss_env, oss_key, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(oss_env.store, "head_object", broken)
    with pytest.raises(oss2.exceptions.ServerError) as exc:
        oss_env.bucket().get_object_meta(oss_key)
    assert exc.value.status == 500
    monkeypatch.setattr(oss_env.store, "open_object", broken)
    resp = requests.get(oss_env.bucket().sign_url("GET", oss_key, 60), timeout=10)
    assert resp.status_code == 500
    assert b"<Code>InternalError</Code>" in resp.content and b"<RequestId>" in resp.content
    assert b"disk on fire" not in resp.content and b"Traceback" not in resp.content


def test_not_implemented_calls(oss_bucket, oss_key):
    """An unserved sub-resource answers 501 and never acts as the plain call (PUT ?live stored an object)."""
    with pytest.raises(oss2.exceptions.ServerError) as exc:
        oss_bucket.create_live_channel(oss_key, oss2.models.LiveChannelInfo(target=oss2.models.LiveChannelInfoTarget()))
    assert exc.value.status == 501 and exc.value.code == "NotImplemented"
    assert not oss_bucket.object_exists(oss_key)


def test_virtual_host_style(oss_env, oss_key):
    oss_env.bucket().put_object(oss_key, b"vhost")
    signed = oss_env.bucket().sign_url("GET", oss_key, 60)
    query = signed.split("?", 1)[1]
    path = "/" + oss2.compat.urlquote(oss_key, "")
    resp = requests.get(
        f"{oss_env.endpoint}{path}?{query}",
        timeout=10,
        headers={"Host": f"{oss_env.bucket_name}.localhost:{oss_env.port}"},
    )
    assert resp.status_code == 200 and resp.content == b"vhost"


def test_keep_alive_across_requests(oss_env, oss_key):
    oss_env.bucket().put_object(oss_key, b"k" * 10)
    url = oss_env.bucket().sign_url("GET", oss_key, 60)
    with requests.Session() as session:
        ports = set()
        for _ in range(5):
            resp = session.get(url, timeout=10, stream=True)
            assert resp.content == b"k" * 10
            ports.add(resp.raw._connection.sock.getsockname()[1] if resp.raw._connection else None)
        assert len(ports) == 1


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logs.JsonFormatter().format(record))


def test_access_log_is_json_without_secrets(oss_env, oss_key):
    capture = _Capture()
    logger = logging.getLogger("localcloud.oss.access")
    logger.addHandler(capture)
    old = logger.level
    logger.setLevel(logging.INFO)
    try:
        creds = oss_env.sts()
        oss_env.sts_bucket(creds).put_object(oss_key, b"logged")
        # the access line is written after the response has gone out: wait for it
        deadline = time.monotonic() + 10
        while not any(oss_key in line for line in capture.lines) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old)
    docs = [json.loads(line) for line in capture.lines]
    mine = [d for d in docs if d.get("key") == oss_key]
    assert mine and mine[0]["method"] == "PUT" and mine[0]["status"] == 200
    assert mine[0]["bytes_in"] == 6 and len(mine[0]["request_id"]) == 24
    assert mine[0]["principal"].startswith("acs:ram::") and "ms" in mine[0]
    text = "\n".join(capture.lines)
    assert creds.access_key_secret not in text and creds.security_token not in text


def test_a_client_that_resets_mid_request_is_a_log_line_not_a_traceback(oss_env, capfd):
    import struct
    from urllib.parse import urlsplit

    capture = _Capture()
    logger = logging.getLogger("localcloud.http")
    logger.addHandler(capture)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    url = urlsplit(oss_env.endpoint)
    try:
        sock = socket.create_connection((url.hostname, url.port), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")          # a head that never ends...
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()                                           # ...then a reset
        deadline = time.monotonic() + 10
        while not any("client connection dropped" in line for line in capture.lines) and time.monotonic() < deadline:
            time.sleep(0.02)
    finally:
        logger.removeHandler(capture)
        logger.setLevel(old)
    assert any(json.loads(line)["error"] == "ConnectionResetError" for line in capture.lines)
    assert "Traceback" not in capfd.readouterr().err
