"""Signature version 2 (oss2.AuthV2): header-signed calls, presigned URLs, STS tokens, refusals."""

from __future__ import annotations

import oss2
import pytest
import requests

pytestmark = pytest.mark.integration


def _v2(oss_env, secret: str | None = None) -> oss2.Bucket:  # type: ignore[no-untyped-def]
    ak, sk = oss_env.key()
    return oss2.Bucket(oss2.AuthV2(ak, secret or sk), oss_env.endpoint, oss_env.bucket_name)


def test_v2_header_signed_calls(oss_env, oss_key) -> None:
    bucket = _v2(oss_env)
    key = oss_key + "/ünï code+plus"
    bucket.put_object(key, b"v2 body", headers={"Content-Type": "text/plain", "x-oss-meta-who": "v2"})
    got = bucket.get_object(key, byte_range=(0, 1))
    assert got.read() == b"v2"
    assert bucket.head_object(key).headers["x-oss-meta-who"] == "v2"
    assert key in [o.key for o in bucket.list_objects(prefix=oss_key, max_keys=10).object_list]
    up = bucket.init_multipart_upload(key + ".mp").upload_id
    assert bucket.list_parts(key + ".mp", up).parts == []
    bucket.delete_object(key)
    assert not bucket.object_exists(key)


def test_v2_presigned_urls(oss_env, oss_key) -> None:
    bucket = _v2(oss_env)
    url = bucket.sign_url("PUT", oss_key, 60)
    assert "x-oss-signature-version=OSS2" in url
    assert requests.put(url, data=b"through a url", timeout=10).status_code == 200
    assert requests.get(bucket.sign_url("GET", oss_key, 60), timeout=10).content == b"through a url"
    oss_env.clock.advance(120)
    try:
        resp = requests.get(bucket.sign_url("GET", oss_key, 60), timeout=10)  # signed with wall time
        assert resp.status_code == 403 and b"Request has expired." in resp.content
    finally:
        oss_env.clock.advance(-120)


def test_v2_with_sts_credentials(oss_env, oss_key) -> None:
    creds = oss_env.sts()
    auth = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token, auth_version="v2")
    bucket = oss2.Bucket(auth, oss_env.endpoint, oss_env.bucket_name)
    bucket.put_object(oss_key, b"sts v2")  # the uploader role may write, not read
    assert oss_env.bucket().get_object(oss_key).read() == b"sts v2"


def test_v2_wrong_secret_is_signature_mismatch(oss_env, oss_key) -> None:
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):
        _v2(oss_env, secret="not-the-secret").put_object(oss_key, b"x")
    assert not oss_env.bucket().object_exists(oss_key)
