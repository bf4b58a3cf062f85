"""The request verifier: any change of method, path, timestamp, nonce, body or secret breaks it."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from vigil_camera import protocol
from vigil_fn.core.http import ApiError, HttpEvent
from vigil_fn.token.service import check_timestamp, read_device_id, read_signed_request

pytestmark = pytest.mark.unit

methods = st.sampled_from(["GET", "POST", "PUT", "DELETE"])
paths = st.sampled_from(["/v1/token", "/v1/token/", "/v1/tokens", "/v2/token", "/"])
timestamps = st.integers(min_value=0, max_value=10**11).map(str)
nonces = st.from_regex(r"\A[0-9a-f]{16,64}\Z")
bodies = st.binary(max_size=200)
secrets_ = st.from_regex(r"\A[0-9a-f]{64}\Z")


@given(secret=secrets_, method=methods, path=paths, ts=timestamps, nonce=nonces, body=bodies,
       field=st.sampled_from(["method", "path", "ts", "nonce", "body", "secret"]), data=st.data())
def test_any_change_breaks_the_signature(secret: str, method: str, path: str, ts: str, nonce: str,
                                         body: bytes, field: str, data: st.DataObject) -> None:
    signature = protocol.sign(secret, method, path, ts, nonce, body)
    assert protocol.verify(secret, signature, method, path, ts, nonce, body)
    args = {"secret": secret, "method": method, "path": path, "ts": ts, "nonce": nonce, "body": body}
    strategy = {"method": methods, "path": paths, "ts": timestamps, "nonce": nonces, "body": bodies,
                "secret": secrets_}[field]
    changed = data.draw(strategy)
    assume(changed != args[field])
    args[field] = changed
    assert not protocol.verify(args["secret"], signature, args["method"], args["path"], args["ts"],
                               args["nonce"], args["body"])


def _event(headers: dict[str, str], body: bytes = b"{}", method: str = "POST") -> HttpEvent:
    return HttpEvent.parse({"rawPath": "/v1/token", "headers": headers, "body": body.decode(),
                            "requestContext": {"http": {"method": method}, "requestId": "r-1"}})


def _signed(device: str = "cam-1", body: bytes = b"{}", ts: int = 1_800_000_000) -> dict[str, str]:
    return protocol.signed_headers(device, "0" * 64, "POST", "/v1/token", body, ts, "ab" * 8)


def test_headers_are_read_case_insensitively() -> None:
    lower = {k.lower(): v for k, v in _signed().items()}
    event = _event(lower)
    assert read_device_id(event) == "cam-1"
    req = read_signed_request(event, "cam-1")
    assert (req.timestamp, req.nonce) == (1_800_000_000, "ab" * 8)
    assert protocol.verify("0" * 64, req.signature, "POST", "/v1/token", req.timestamp_text, req.nonce, b"{}")


@pytest.mark.parametrize("device_id", ["a*", "a/b", 'a"b', "../x", "cam\u00e9", "", "CAM-1", "cam-1\n"])
def test_bad_device_ids_are_400_before_anything_else(device_id: str) -> None:
    headers = _signed()
    headers[protocol.HEADER_DEVICE] = device_id
    headers[protocol.HEADER_NONCE] = "not-a-nonce"  # would also be bad: the id is checked first
    with pytest.raises(ApiError) as info:
        read_device_id(_event(headers, body=b"x" * 10_000))
    assert (info.value.status, info.value.code) == (400, "bad_request")
    assert "device id" in info.value.message


@pytest.mark.parametrize(("header", "value"), [
    (protocol.HEADER_TIMESTAMP, "yesterday"), (protocol.HEADER_TIMESTAMP, "-5"),
    (protocol.HEADER_TIMESTAMP, ""), (protocol.HEADER_NONCE, "abc"),
    (protocol.HEADER_NONCE, "ABCDEF0123456789"), (protocol.HEADER_NONCE, "g" * 16),
    (protocol.HEADER_AUTHORIZATION, "Bearer x"),
    (protocol.HEADER_AUTHORIZATION, "VIGIL-HMAC-SHA256 Signature=12"),
])
def test_malformed_headers_are_bad_request(header: str, value: str) -> None:
    headers = _signed()
    headers[header] = value
    with pytest.raises(ApiError) as info:
        read_signed_request(_event(headers), "cam-1")
    assert (info.value.status, info.value.code) == (400, "bad_request")


def test_missing_authorization_is_bad_request() -> None:
    headers = _signed()
    del headers[protocol.HEADER_AUTHORIZATION]
    with pytest.raises(ApiError) as info:
        read_signed_request(_event(headers), "cam-1")
    assert info.value.code == "bad_request"


def test_oversized_body_is_413() -> None:
    body = b'{"ttl": 900, "pad": "' + b"x" * 5000 + b'"}'
    with pytest.raises(ApiError) as info:
        read_signed_request(_event(_signed(body=body), body=body), "cam-1")
    assert (info.value.status, info.value.code) == (413, "payload_too_large")


@given(delta=st.integers(min_value=-10_000, max_value=10_000))
def test_timestamp_window(delta: int) -> None:
    now = 1_800_000_000.5
    if abs(delta - 0.5) <= 300:
        check_timestamp(1_800_000_000 + delta, now, 300)
    else:
        with pytest.raises(ApiError) as info:
            check_timestamp(1_800_000_000 + delta, now, 300)
        assert info.value.code == "stale_timestamp" and info.value.status == 401
        assert info.value.extra["server_time"] == 1_800_000_000
