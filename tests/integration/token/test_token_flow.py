"""A provisioned camera gets a token through the FC HTTP trigger and can upload only its own data."""

from __future__ import annotations

import calendar
import json
import secrets
import time
from typing import Any

import oss2
import pytest

pytestmark = pytest.mark.integration

PART = 100 * 1024  # smallest non-last multipart part


def _denied(call: Any) -> None:
    with pytest.raises(oss2.exceptions.AccessDenied):
        call()


def _exists(call: Any) -> None:
    """OSS's 409 FileAlreadyExists (oss2 has no class for it: a ServerError with that code)."""
    with pytest.raises(oss2.exceptions.ServerError) as info:
        call()
    assert (info.value.status, info.value.code) == (409, "FileAlreadyExists")


def test_token_response_shape(token_client: Any, cloud: Any) -> None:
    device = token_client.provision()
    before = time.time()
    resp = token_client.request(device, json.dumps({"ttl": 900}).encode())
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert set(doc) == {"credentials", "bucket", "endpoint", "region", "prefixes", "server_time"}
    assert set(doc["credentials"]) == {"access_key_id", "access_key_secret", "security_token", "expiration"}
    assert doc["credentials"]["access_key_id"].startswith("STS.")
    assert doc["bucket"] == cloud.bucket_name and doc["region"] == cloud.region
    assert doc["prefixes"] == {"videos": f"videos/{device.device_id}/", "live": f"live/{device.device_id}/"}
    expires = calendar.timegm(time.strptime(doc["credentials"]["expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert abs(expires - (before + 900)) < 120
    assert resp.headers.get("X-Vigil-Request-Id")


def test_device_can_put_multipart_and_append_in_its_own_prefixes(token_client: Any) -> None:
    device = token_client.provision()
    bucket = token_client.device_bucket(token_client.token(device))
    d = device.device_id
    bucket.put_object(f"videos/{d}/2026/11/28/120000000Z-1.ts", b"clip")
    key = f"videos/{d}/2026/11/28/120100000Z-2.mp4"
    upload_id = bucket.init_multipart_upload(key).upload_id
    p1 = bucket.upload_part(key, upload_id, 1, b"a" * PART)
    p2 = bucket.upload_part(key, upload_id, 2, b"b" * 10)
    assert [p.part_number for p in bucket.list_parts(key, upload_id).parts] == [1, 2]
    bucket.complete_multipart_upload(key, upload_id, [oss2.models.PartInfo(1, p1.etag),
                                                      oss2.models.PartInfo(2, p2.etag)])
    abandoned = bucket.init_multipart_upload(f"videos/{d}/2026/11/28/x.ts").upload_id
    bucket.abort_multipart_upload(f"videos/{d}/2026/11/28/x.ts", abandoned)
    live = f"live/{d}/stream.ts"
    first = bucket.append_object(live, 0, b"seg1")
    bucket.append_object(live, first.next_position, b"seg2")
    operator = token_client.cloud.bucket()
    assert operator.get_object(key).read() == b"a" * PART + b"b" * 10
    assert operator.get_object(live).read() == b"seg1seg2"


def test_device_is_refused_everything_else(token_client: Any) -> None:
    device, other = token_client.provision(), token_client.provision()
    bucket = token_client.device_bucket(token_client.token(device))
    d, o = device.device_id, other.device_id
    own = f"videos/{d}/2026/11/28/130000000Z-1.ts"
    bucket.put_object(own, b"mine")
    bucket.put_object(f"stills/{d}/2026/11/28/130000000Z-1.jpg", b"jpeg")   # issue 24: its own stills
    for key in (f"videos/{o}/x.ts", f"live/{o}/x.ts", f"stills/{o}/x.jpg", f"_system/devices/{d}.json",
                f"_system/nonces/{d}/x",
                f"index/{d}/2026-11-28.jsonl", "videos/x.ts", f"videos/{d}", f"videos/{d}-evil/x.ts",
                f"videos/{o}/../{d}/x.ts", f"videos%2F{o}/x.ts"):
        _denied(lambda key=key: bucket.put_object(key, b"x"))
    _denied(lambda: bucket.init_multipart_upload(f"videos/{o}/m.ts"))
    _denied(lambda: bucket.append_object(f"live/{o}/a.ts", 0, b"x"))
    _denied(lambda: bucket.get_object(own))
    _denied(lambda: bucket.head_object(own))
    _denied(lambda: bucket.get_object_meta(own))
    _denied(lambda: bucket.delete_object(own))
    _denied(lambda: list(oss2.ObjectIteratorV2(bucket, prefix=f"videos/{d}/")))
    _denied(lambda: list(oss2.ObjectIterator(bucket, prefix="")))
    _denied(lambda: bucket.copy_object(token_client.cloud.bucket_name, own, f"videos/{d}/copy.ts"))
    assert token_client.cloud.bucket().get_object(own).read() == b"mine"


def test_dot_segments_cannot_leave_the_prefix(token_client: Any) -> None:
    """OSS keys are literal: `..` never climbs. Either OSS refuses the key, or it is stored verbatim
    under the device's own prefix — nothing is written elsewhere."""
    device = token_client.provision()
    bucket = token_client.device_bucket(token_client.token(device))
    d = device.device_id
    operator = token_client.cloud.bucket()
    record_before = operator.get_object(f"_system/devices/{d}.json").read()
    escape = f"videos/{d}/../../_system/devices/{d}.json"
    try:
        bucket.put_object(escape, b'{"status": "enabled", "key_version": 1}')
    except oss2.exceptions.OssError as exc:
        assert exc.status in (400, 403)
    else:
        assert operator.get_object(escape).read().startswith(b'{"status"')
    assert operator.get_object(f"_system/devices/{d}.json").read() == record_before


def test_recordings_are_write_once_for_devices(token_client: Any) -> None:
    device = token_client.provision()
    bucket = token_client.device_bucket(token_client.token(device))
    key = f"videos/{device.device_id}/2026/11/28/140000000Z-1.ts"
    bucket.put_object(key, b"original")
    _exists(lambda: bucket.put_object(key, b"tampered"))
    # a multipart overwrite is refused too: at initiate (as localcloud does) or at the latest at complete
    def multipart_overwrite() -> None:
        upload_id = bucket.init_multipart_upload(key).upload_id
        part = bucket.upload_part(key, upload_id, 1, b"tampered")
        bucket.complete_multipart_upload(key, upload_id, [oss2.models.PartInfo(1, part.etag)])

    _exists(multipart_overwrite)
    with pytest.raises(oss2.exceptions.ObjectNotAppendable):  # a recording cannot be extended either
        bucket.append_object(key, len(b"original"), b"tampered")
    assert token_client.cloud.bucket().get_object(key).read() == b"original"
    live = f"live/{device.device_id}/index.m3u8"  # live playlists are rewritten, so live/ is not protected
    bucket.put_object(live, b"#EXTM3U 1")
    bucket.put_object(live, b"#EXTM3U 2")


def test_token_stops_working_after_expiry(token_client: Any, cloud: Any) -> None:
    device = token_client.provision()
    bucket = token_client.device_bucket(token_client.token(device, ttl=900))
    bucket.put_object(f"videos/{device.device_id}/before.ts", b"ok")
    cloud.advance_clock(901)
    try:
        with pytest.raises(oss2.exceptions.OssError) as info:
            bucket.put_object(f"videos/{device.device_id}/after.ts", b"late")
        assert info.value.status == 403 and info.value.code == "SecurityTokenExpired"
    finally:
        cloud.reset_clock()


# -- refusals -----------------------------------------------------------------------------------

def test_unknown_device(token_client: Any) -> None:
    ghost = token_client.Device(f"ghost-{secrets.token_hex(4)}", "0" * 64)
    resp = token_client.request(ghost)
    assert resp.status_code == 401 and token_client.error_of(resp)["code"] == "unknown_device"


def test_disabled_then_enabled_device(token_client: Any) -> None:
    device = token_client.provision()
    token_client.registry.update(device.device_id, status="disabled")
    resp = token_client.request(device)
    assert resp.status_code == 403 and token_client.error_of(resp)["code"] == "device_disabled"
    token_client.registry.update(device.device_id, status="enabled")
    assert token_client.request(device).status_code == 200


def test_rotated_device_old_secret_refused_new_secret_works(token_client: Any) -> None:
    from vigil_camera.protocol import device_secret

    device = token_client.provision()
    record = token_client.registry.rotate(device.device_id)
    resp = token_client.request(device)
    assert resp.status_code == 401 and token_client.error_of(resp)["code"] == "bad_signature"
    secret = device_secret(token_client.cloud.master_key, device.device_id, record.key_version)
    fresh = token_client.Device(device.device_id, secret)
    assert token_client.request(fresh).status_code == 200


def test_bad_signature(token_client: Any) -> None:
    device = token_client.provision()
    wrong = token_client.Device(device.device_id, "f" * 64)
    refusals = [
        token_client.request(wrong),                                   # another secret
        token_client.request(device, sign_path="/v1/other"),            # signed for another path
        token_client.request(device, b'{"ttl": 900}', send_body=b'{"ttl": 901}'),  # body changed
        token_client.request(device, headers={"X-Vigil-Timestamp": str(int(time.time()) - 1)}),
        token_client.request(device, headers={"X-Vigil-Nonce": secrets.token_hex(16)}),
    ]
    for resp in refusals:
        assert resp.status_code == 401 and token_client.error_of(resp)["code"] == "bad_signature", resp.text
        assert resp.headers.get("WWW-Authenticate") == "VIGIL-HMAC-SHA256"
    assert token_client.request(device).status_code == 200


@pytest.mark.parametrize("offset", [-301 - 60, 301 + 60])
def test_skewed_timestamp_tells_server_time(token_client: Any, offset: int) -> None:
    device = token_client.provision()
    resp = token_client.request(device, timestamp=time.time() + offset)
    err = token_client.error_of(resp)
    assert resp.status_code == 401 and err["code"] == "stale_timestamp"
    assert abs(err["server_time"] - time.time()) < 60


def test_replayed_nonce(token_client: Any) -> None:
    device = token_client.provision()
    nonce = secrets.token_hex(16)
    ts = time.time()
    assert token_client.request(device, timestamp=ts, nonce=nonce).status_code == 200
    again = token_client.request(device, timestamp=ts, nonce=nonce)
    assert again.status_code == 409 and token_client.error_of(again)["code"] == "replayed_nonce"


def test_rate_limit_per_device(token_client: Any) -> None:
    device, other = token_client.provision(), token_client.provision()
    statuses = [token_client.request(device).status_code for _ in range(11)]
    limited = [s for s in statuses if s == 429]
    assert statuses.count(200) <= 10 and limited, statuses
    resp = token_client.request(device)
    if resp.status_code == 429:
        assert 1 <= int(resp.headers["Retry-After"]) <= 60
        assert token_client.error_of(resp)["code"] == "rate_limited"
    assert token_client.request(other).status_code == 200  # other devices are not affected


@pytest.mark.parametrize(("body", "status"), [
    (b"{not json", 400), (b"[1, 2]", 400), (b'{"ttl": 10}', 400), (b'{"ttl": 99999}', 400),
    (b'{"ttl": "900"}', 400), (b'{"ttl": 900, "pad": "' + b"x" * 5000 + b'"}', 413),
])
def test_bad_bodies(token_client: Any, body: bytes, status: int) -> None:
    device = token_client.provision()
    resp = token_client.request(device, body)
    assert resp.status_code == status, resp.text
    assert token_client.error_of(resp)["code"] == ("payload_too_large" if status == 413 else "bad_request")


@pytest.mark.parametrize("device_id", ["a*", "a/b", 'a"b', "../x", "cam\u00e9ra", "CAM-1", "ab"])
def test_invalid_device_ids(token_client: Any, device_id: str) -> None:
    resp = token_client.http.post(token_client.base + "/v1/token", data=b"{}", timeout=30, headers={
        "X-Vigil-Device": device_id.encode("utf-8").decode("latin-1"),
        "X-Vigil-Timestamp": str(int(time.time())), "X-Vigil-Nonce": secrets.token_hex(16),
        "Authorization": "VIGIL-HMAC-SHA256 Signature=" + "0" * 64})
    assert resp.status_code == 400 and token_client.error_of(resp)["code"] == "bad_request"


def test_missing_headers(token_client: Any) -> None:
    resp = token_client.http.post(token_client.base + "/v1/token", data=b"{}", timeout=30,
                                  headers={"X-Vigil-Device": "cam-1"})
    assert resp.status_code == 400 and token_client.error_of(resp)["code"] == "bad_request"


def test_health_openapi_404_405(token_client: Any) -> None:
    from openapi_spec_validator import validate

    h = token_client.http
    health = h.get(token_client.base + "/v1/health", timeout=30)
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    spec = h.get(token_client.base + "/v1/openapi.json", timeout=30)
    validate(spec.json())
    missing = h.get(token_client.base + "/v1/nope", timeout=30)
    assert missing.status_code == 404 and token_client.error_of(missing)["code"] == "not_found"
    wrong = h.get(token_client.base + "/v1/token", timeout=30)
    assert wrong.status_code == 405 and token_client.error_of(wrong)["code"] == "method_not_allowed"
