"""Authentication and authorization: V1/V4 headers, presigned URLs (valid, tampered, expired),
STS tokens, clock skew, anonymous requests, RAM policy allow/deny per action and ARN."""

from __future__ import annotations

import hashlib
import time

import oss2
import pytest
import requests

pytestmark = pytest.mark.integration


@pytest.fixture
def reset_clock(oss_env):
    yield oss_env.clock
    oss_env.clock.set_offset(0)


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_representative_calls_both_signatures(oss_env, oss_key, v4):
    bucket = oss_env.bucket(v4=v4, enable_crc=True)
    key = oss_key + "/空 格+é"
    bucket.put_object(key, b"payload", headers={"x-oss-meta-k": "v", "Content-Type": "video/mp2t"})
    assert bucket.get_object(key, byte_range=(0, 2)).read() == b"pay"
    assert bucket.head_object(key).headers["x-oss-meta-k"] == "v"
    assert [o.key for o in bucket.list_objects_v2(prefix=oss_key + "/").object_list] == [key]
    assert [o.key for o in bucket.list_objects(prefix=oss_key + "/").object_list] == [key]
    upload_id = bucket.init_multipart_upload(key + "-mp").upload_id
    part = bucket.upload_part(key + "-mp", upload_id, 1, b"p" * 10)
    bucket.complete_multipart_upload(key + "-mp", upload_id, [oss2.models.PartInfo(1, part.etag)])
    bucket.append_object(key + "-ap", 0, b"a")
    bucket.copy_object(bucket.bucket_name, key, key + "-cp")
    result = bucket.batch_delete_objects([key, key + "-mp", key + "-ap", key + "-cp"])
    assert len(result.deleted_keys) == 4
    bucket.get_bucket_info()


def test_wrong_secret_and_unknown_key(oss_env, oss_key):
    ak, _ = oss_env.key()
    for auth in (oss2.Auth(ak, "wrong"), oss2.AuthV4(ak, "wrong")):
        bucket = oss2.Bucket(auth, oss_env.endpoint, oss_env.bucket_name, region="cn-hangzhou")
        with pytest.raises(oss2.exceptions.SignatureDoesNotMatch) as exc:
            bucket.put_object(oss_key, b"x")
        assert exc.value.status == 403
    with pytest.raises(oss2.exceptions.ServerError) as err1:
        oss2.Bucket(oss2.Auth("LTAInobody", "x"), oss_env.endpoint, oss_env.bucket_name).get_object("k")
    assert err1.value.code == "InvalidAccessKeyId"


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_presigned_get_and_put(oss_env, oss_key, v4, reset_clock):
    bucket = oss_env.bucket(v4=v4)
    put_url = bucket.sign_url("PUT", oss_key, 300)
    assert requests.put(put_url, data=b"via url", timeout=10).status_code == 200
    url = bucket.sign_url("GET", oss_key, 300)
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200 and resp.content == b"via url"
    assert oss_env.bucket().get_object(oss_key).read() == b"via url"
    # tampered: another key with the same signature
    tampered = url.replace(oss_key.rsplit("/", 1)[1], "other-object", 1)
    bad = requests.get(tampered, timeout=10)
    assert bad.status_code == 403 and b"<Code>SignatureDoesNotMatch</Code>" in bad.content
    sig_name = "x-oss-signature=" if v4 else "Signature="
    flipped = url.replace(sig_name, sig_name + "A", 1)
    assert requests.get(flipped, timeout=10).status_code == 403
    # expired: move the shared clock past the expiry
    oss_env.clock.advance(301)
    expired = requests.get(url, timeout=10)
    assert expired.status_code == 403
    assert b"<Code>AccessDenied</Code>" in expired.content and b"Request has expired." in expired.content


def test_presigned_with_oss2_sign_url_and_get_object_with_url(oss_env, oss_key):
    bucket = oss_env.bucket()
    bucket.put_object(oss_key, b"abc")
    url = bucket.sign_url("GET", oss_key, 60, params={"response-content-type": "text/plain"})
    result = bucket.get_object_with_url(url)
    assert result.read() == b"abc" and result.headers["Content-Type"] == "text/plain"


@pytest.mark.parametrize("v4", [False, True], ids=["v1", "v4"])
def test_sts_token_upload_scope_and_expiry(oss_env, oss_key, v4, reset_clock):
    creds = oss_env.sts()
    bucket = oss_env.sts_bucket(creds, v4=v4)
    bucket.put_object(oss_key, b"from device")
    assert oss_env.bucket().get_object(oss_key).read() == b"from device"
    with pytest.raises(oss2.exceptions.AccessDenied) as denied:
        bucket.get_object(oss_key)  # role allows writes only
    assert denied.value.status == 403 and "authorizer's policy" in denied.value.message
    with pytest.raises(oss2.exceptions.AccessDenied):
        bucket.put_object("index/x", b"no")
    # presigned with a token (V1: security-token sub-resource, V4: x-oss-security-token)
    url = bucket.sign_url("PUT", oss_key + "-signed", 60)
    assert ("security-token=" in url) if not v4 else ("x-oss-security-token=" in url)
    assert requests.put(url, data=b"signed", timeout=10).status_code == 200
    oss_env.clock.advance(901)
    with pytest.raises(oss2.exceptions.ServerError) as expired:
        bucket.put_object(oss_key, b"late")
    assert expired.value.code == "SecurityTokenExpired" and expired.value.status == 403


def test_sts_session_policy_narrows(oss_env, oss_key):
    policy = {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "oss:PutObject",
                "Resource": f"acs:oss:*:*:{oss_env.bucket_name}/videos/cam-1/*",
            }
        ],
    }
    bucket = oss_env.sts_bucket(oss_env.sts(session_policy=policy))
    bucket.put_object("videos/cam-1/a.ts", b"ok")
    with pytest.raises(oss2.exceptions.AccessDenied):
        bucket.put_object("videos/cam-2/a.ts", b"no")


def test_forged_or_mismatched_security_token(oss_env, oss_key):
    creds = oss_env.sts()
    forged = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token[:-4] + "AAAA")
    with pytest.raises(oss2.exceptions.ServerError) as exc:
        oss2.Bucket(forged, oss_env.endpoint, oss_env.bucket_name).put_object(oss_key, b"x")
    assert exc.value.code == "InvalidSecurityToken" and exc.value.status == 403
    other = oss_env.sts()
    mixed = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, other.security_token)
    with pytest.raises(oss2.exceptions.ServerError) as mix:
        oss2.Bucket(mixed, oss_env.endpoint, oss_env.bucket_name).put_object(oss_key, b"x")
    assert mix.value.code == "InvalidSecurityToken"


def test_request_time_too_skewed(oss_env, oss_key):
    import base64
    import hmac

    ak, sk = oss_env.key()
    date = oss2.utils.http_date(int(time.time()) - 20 * 60)
    to_sign = f"GET\n\n\n{date}\n/{oss_env.bucket_name}/{oss_key}"
    sig = base64.b64encode(hmac.new(sk.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    resp = requests.get(
        f"{oss_env.endpoint}/{oss_env.bucket_name}/{oss_key}",
        timeout=10,
        headers={"Date": date, "Authorization": f"OSS {ak}:{sig}"},
    )
    assert resp.status_code == 403 and b"<Code>RequestTimeTooSkewed</Code>" in resp.content
    # the same request dated now is accepted (404: the key does not exist)
    date = oss2.utils.http_date()
    to_sign = f"GET\n\n\n{date}\n/{oss_env.bucket_name}/{oss_key}"
    sig = base64.b64encode(hmac.new(sk.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    ok = requests.get(
        f"{oss_env.endpoint}/{oss_env.bucket_name}/{oss_key}",
        timeout=10,
        headers={"Date": date, "Authorization": f"OSS {ak}:{sig}"},
    )
    assert ok.status_code == 404 and b"NoSuchKey" in ok.content


def test_anonymous_refused(oss_env, oss_bucket, oss_key):
    oss_bucket.put_object(oss_key, b"private")
    url = f"{oss_env.endpoint}/{oss_env.bucket_name}/{oss_key}"
    for method in ("GET", "PUT", "DELETE", "HEAD"):
        resp = requests.request(method, url, timeout=10)
        assert resp.status_code == 403, method
        if method != "HEAD":
            assert b"<Code>AccessDenied</Code>" in resp.content
    assert requests.get(oss_env.endpoint + "/", timeout=10).status_code == 403
    assert oss_bucket.get_object(oss_key).read() == b"private"


def test_bad_authorization_header(oss_env, oss_key):
    url = f"{oss_env.endpoint}/{oss_env.bucket_name}/{oss_key}"
    for value in ("Bearer abc", "OSS nocolon", "OSS4-HMAC-SHA256 garbage"):
        resp = requests.get(url, headers={"Authorization": value, "Date": oss2.utils.http_date()}, timeout=10)
        assert resp.status_code == 400 and b"<Code>InvalidArgument</Code>" in resp.content


def test_policy_allow_and_deny(oss_env, oss_key):
    op = oss_env.bucket()
    reader = oss_env.bucket(user="reader")
    op.put_object("videos/ok.ts", b"ok")
    op.put_object("videos/secret.ts", b"s")
    op.put_object("index/x.jsonl", b"i")
    assert reader.get_object("videos/ok.ts").read() == b"ok"
    assert reader.head_object("videos/ok.ts").content_length == 2
    with pytest.raises(oss2.exceptions.AccessDenied):
        reader.get_object("videos/secret.ts")  # explicit deny wins
    with pytest.raises(oss2.exceptions.AccessDenied):
        reader.get_object("index/x.jsonl")
    with pytest.raises(oss2.exceptions.AccessDenied):
        reader.put_object("videos/new.ts", b"n")
    assert reader.list_objects(prefix="videos/").object_list
    with pytest.raises(oss2.exceptions.AccessDenied):
        reader.list_objects(prefix="index/")
    with pytest.raises(oss2.exceptions.AccessDenied):
        reader.list_objects()
    with pytest.raises(oss2.exceptions.AccessDenied):
        reader.get_bucket_info()
    with pytest.raises(oss2.exceptions.AccessDenied):
        oss_env.service(user="reader").list_buckets()
    # CopyObject: GetObject on the source and PutObject on the target
    reader.copy_object(oss_env.bucket_name, "videos/ok.ts", "copies/ok.ts")
    with pytest.raises(oss2.exceptions.AccessDenied):
        reader.copy_object(oss_env.bucket_name, "index/x.jsonl", "copies/x.jsonl")
    with pytest.raises(oss2.exceptions.AccessDenied):
        reader.copy_object(oss_env.bucket_name, "videos/ok.ts", "videos/copy.ts")
    # DeleteMultipleObjects: DeleteObject on every key
    op.put_object("videos/tmp/a", b"a")
    reader.batch_delete_objects(["videos/tmp/a"])
    with pytest.raises(oss2.exceptions.AccessDenied):
        reader.batch_delete_objects(["videos/tmp/b", "videos/ok.ts"])
    assert op.object_exists("videos/ok.ts")


def test_admin_clock_endpoint(oss_env, reset_clock):
    url = f"{oss_env.endpoint}/_localcloud/clock"
    assert requests.put(url, json={"advance": 5}, timeout=10).status_code == 403
    assert (
        requests.put(
            url, json={"advance": 5}, headers={"X-Localcloud-Admin": "wrong"}, timeout=10
        ).status_code
        == 403
    )
    ok = requests.put(
        url, json={"advance": 60}, headers={"X-Localcloud-Admin": oss_env.admin_token}, timeout=10
    )
    assert ok.status_code == 200 and ok.json()["offset"] == 60
    assert abs(oss_env.clock.offset - 60) < 1e-9
    ok = requests.put(
        url, json={"offset": 0}, headers={"X-Localcloud-Admin": oss_env.admin_token}, timeout=10
    )
    assert ok.json()["offset"] == 0
    bad = requests.put(url, data=b"not json", headers={"X-Localcloud-Admin": oss_env.admin_token}, timeout=10)
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "InvalidArgument"
