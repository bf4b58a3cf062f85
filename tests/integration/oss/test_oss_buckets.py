"""Bucket calls: create/delete/info/location/list, lifecycle, CORS (+ preflight), overwrite
config, ListObjects v1/v2 paging and arguments."""

from __future__ import annotations

import datetime

import oss2
import pytest
import requests
from oss2.models import (
    BucketCors,
    BucketLifecycle,
    CorsRule,
    LifecycleExpiration,
    LifecycleRule,
)

pytestmark = pytest.mark.integration


def test_bucket_create_info_location_list_delete(oss_env):
    name = "proto-new-bucket"
    bucket = oss_env.bucket(name)
    bucket.create_bucket()
    assert bucket.create_bucket().status == 200  # the owner re-creating its own bucket: 200, as OSS (issue 29)
    info = bucket.get_bucket_info()
    assert info.name == name and info.location == "oss-cn-hangzhou"
    assert info.creation_date.endswith(".000Z")
    assert bucket.get_bucket_location().location == "oss-cn-hangzhou"
    names = [b.name for b in oss2.BucketIterator(oss_env.service())]
    assert name in names and oss_env.bucket_name in names
    bucket.put_object("x", b"x")
    with pytest.raises(oss2.exceptions.BucketNotEmpty):
        bucket.delete_bucket()
    bucket.delete_object("x")
    bucket.delete_bucket()
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        bucket.get_bucket_info()


def test_invalid_bucket_name(oss_env):
    """oss2 checks names itself, so sign the request by hand (curl-style client)."""
    import base64
    import hashlib
    import hmac

    ak, sk = oss_env.key()
    for name in ("Bad_Name", "ab", "-leading"):
        date = oss2.utils.http_date()
        to_sign = f"PUT\n\n\n{date}\n/{name}/"
        sig = base64.b64encode(hmac.new(sk.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
        resp = requests.put(
            f"{oss_env.endpoint}/{name}/",
            timeout=10,
            headers={"Date": date, "Authorization": f"OSS {ak}:{sig}"},
        )
        assert resp.status_code == 400 and b"<Code>InvalidBucketName</Code>" in resp.content, name


def test_lifecycle_roundtrip(oss_bucket):
    with pytest.raises(oss2.exceptions.NoSuchLifecycle):
        oss_bucket.get_bucket_lifecycle()
    rules = [
        LifecycleRule(
            "expire-videos", "videos/", status=LifecycleRule.ENABLED, expiration=LifecycleExpiration(days=30)
        ),
        LifecycleRule(
            "old",
            "old/",
            status=LifecycleRule.DISABLED,
            expiration=LifecycleExpiration(created_before_date=datetime.date(2026, 1, 1)),
        ),
        LifecycleRule(
            "mpu",
            "",
            status=LifecycleRule.ENABLED,
            abort_multipart_upload=oss2.models.AbortMultipartUpload(days=1),
        ),
    ]
    oss_bucket.put_bucket_lifecycle(BucketLifecycle(rules))
    got = oss_bucket.get_bucket_lifecycle().rules
    assert [r.id for r in got] == ["expire-videos", "old", "mpu"]
    assert got[0].expiration.days == 30 and got[0].prefix == "videos/"
    assert got[1].expiration.created_before_date == datetime.date(2026, 1, 1)
    assert got[1].status == "Disabled"
    assert got[2].abort_multipart_upload.days == 1
    oss_bucket.delete_bucket_lifecycle()
    with pytest.raises(oss2.exceptions.NoSuchLifecycle):
        oss_bucket.get_bucket_lifecycle()
    with pytest.raises(oss2.exceptions.ServerError) as bad:
        oss_bucket._Bucket__do_bucket("PUT", params={"lifecycle": ""}, data=b"<LifecycleConfiguration><Rule>")
    assert bad.value.code == "MalformedXML"


def test_cors_config_preflight_and_actual(oss_env, oss_bucket, oss_key):
    with pytest.raises(oss2.exceptions.NoSuchCors):
        oss_bucket.get_bucket_cors()
    url = f"{oss_env.endpoint}/{oss_env.bucket_name}/{oss_key}"
    pre = requests.options(
        url, headers={"Origin": "http://viewer.local", "Access-Control-Request-Method": "GET"}, timeout=10
    )
    assert pre.status_code == 403 and b"AccessForbidden" in pre.content
    rule = CorsRule(
        allowed_origins=["http://viewer.local", "https://*.example.com"],
        allowed_methods=["GET", "HEAD"],
        allowed_headers=["range", "x-oss-*"],
        expose_headers=["ETag", "x-oss-request-id"],
        max_age_seconds=600,
    )
    oss_bucket.put_bucket_cors(BucketCors([rule]))
    got = oss_bucket.get_bucket_cors().rules[0]
    assert got.allowed_origins == ["http://viewer.local", "https://*.example.com"]
    assert got.max_age_seconds == 600
    pre = requests.options(
        url,
        headers={
            "Origin": "https://a.example.com",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "Range",
        },
        timeout=10,
    )
    assert pre.status_code == 200
    assert pre.headers["Access-Control-Allow-Origin"] == "https://a.example.com"
    assert "GET" in pre.headers["Access-Control-Allow-Methods"]
    assert pre.headers["Access-Control-Allow-Headers"] == "range"
    assert pre.headers["Access-Control-Max-Age"] == "600"
    denied = requests.options(
        url, headers={"Origin": "http://evil.local", "Access-Control-Request-Method": "GET"}, timeout=10
    )
    assert denied.status_code == 403
    wrong_method = requests.options(
        url, headers={"Origin": "http://viewer.local", "Access-Control-Request-Method": "DELETE"}, timeout=10
    )
    assert wrong_method.status_code == 403
    oss_bucket.put_object(oss_key, b"segment")
    signed = oss_bucket.sign_url("GET", oss_key, 60)
    actual = requests.get(signed, headers={"Origin": "http://viewer.local"}, timeout=10)
    assert actual.status_code == 200 and actual.content == b"segment"
    assert actual.headers["Access-Control-Allow-Origin"] == "http://viewer.local"
    assert "x-oss-request-id" in actual.headers["Access-Control-Expose-Headers"]
    plain = requests.get(signed, headers={"Origin": "http://evil.local"}, timeout=10)
    assert plain.status_code == 200 and "Access-Control-Allow-Origin" not in plain.headers
    oss_bucket.delete_bucket_cors()
    with pytest.raises(oss2.exceptions.NoSuchCors):
        oss_bucket.get_bucket_cors()


OVERWRITE_XML = (
    "<OverwriteConfiguration><Rule><ID>no-nonce-overwrite</ID><Action>forbid</Action>"
    "<Prefix>_system/nonces/</Prefix><Suffix></Suffix><Principals><Principal>*</Principal></Principals>"
    "</Rule></OverwriteConfiguration>"
)


def test_overwrite_config_v4_raw_request(oss_env):
    bucket = oss_env.bucket(v4=True)
    bucket._Bucket__do_bucket("PUT", params={"overwriteConfig": ""}, data=OVERWRITE_XML.encode())
    got = bucket._Bucket__do_bucket("GET", params={"overwriteConfig": ""}).read()
    assert b"<ID>no-nonce-overwrite</ID>" in got and b"<Principal>*</Principal>" in got
    bucket.put_object("_system/nonces/dev-1/n1", b"1")
    with pytest.raises(oss2.exceptions.ServerError) as err2:
        bucket.put_object("_system/nonces/dev-1/n1", b"2")
    assert err2.value.code == "FileAlreadyExists"
    bucket.put_object("other/n1", b"1")
    bucket.put_object("other/n1", b"2")  # not covered by the rule
    bucket._Bucket__do_bucket("DELETE", params={"overwriteConfig": ""})
    bucket.put_object("_system/nonces/dev-1/n1", b"3")
    with pytest.raises(oss2.exceptions.ServerError) as exc:
        bucket._Bucket__do_bucket("GET", params={"overwriteConfig": ""})
    assert exc.value.status == 404


def test_overwrite_config_v1_signed_by_hand(oss_env):
    """oss2's V1 signer leaves overwriteConfig out of the resource; sign it as real OSS expects."""
    import base64
    import hashlib
    import hmac

    ak, sk = oss_env.key()
    date = oss2.utils.http_date()
    resource = f"/{oss_env.bucket_name}/?overwriteConfig"
    to_sign = f"PUT\n\napplication/xml\n{date}\n{resource}"
    sig = base64.b64encode(hmac.new(sk.encode(), to_sign.encode(), hashlib.sha1).digest()).decode()
    url = f"{oss_env.endpoint}/{oss_env.bucket_name}/?overwriteConfig"
    resp = requests.put(
        url,
        data=OVERWRITE_XML.encode(),
        timeout=10,
        headers={"Date": date, "Content-Type": "application/xml", "Authorization": f"OSS {ak}:{sig}"},
    )
    assert resp.status_code == 200, resp.text
    bucket = oss_env.bucket()
    with pytest.raises(oss2.exceptions.SignatureDoesNotMatch):  # oss2's own V1 resource omits it
        bucket._Bucket__do_bucket("GET", params={"overwriteConfig": ""})
    oss_env.bucket(v4=True)._Bucket__do_bucket("DELETE", params={"overwriteConfig": ""})


def test_list_objects_v1_v2_paging(oss_bucket, oss_key):
    keys = [f"{oss_key}/d{i % 3}/f{i:02d}" for i in range(12)] + [f"{oss_key}/top{i}" for i in range(3)]
    for k in keys:
        oss_bucket.put_object(k, b"l")
    listed = [o.key for o in oss2.ObjectIterator(oss_bucket, prefix=oss_key + "/", max_keys=4)]
    assert listed == sorted(keys)
    v2 = [o.key for o in oss2.ObjectIteratorV2(oss_bucket, prefix=oss_key + "/", max_keys=4)]
    assert v2 == sorted(keys)
    page = oss_bucket.list_objects(prefix=oss_key + "/", delimiter="/", max_keys=2)
    assert page.is_truncated and page.prefix_list == [f"{oss_key}/d0/", f"{oss_key}/d1/"]
    rest = oss_bucket.list_objects(prefix=oss_key + "/", delimiter="/", marker=page.next_marker)
    assert rest.prefix_list == [f"{oss_key}/d2/"]
    assert [o.key for o in rest.object_list] == [f"{oss_key}/top{i}" for i in range(3)]
    first = oss_bucket.list_objects_v2(prefix=oss_key + "/", delimiter="/", max_keys=3)
    assert first.is_truncated and first.next_continuation_token
    second = oss_bucket.list_objects_v2(
        prefix=oss_key + "/", delimiter="/", continuation_token=first.next_continuation_token
    )
    assert [o.key for o in second.object_list] == [f"{oss_key}/top{i}" for i in range(3)]
    after = oss_bucket.list_objects_v2(prefix=oss_key + "/", start_after=f"{oss_key}/d2/f11")
    assert [o.key for o in after.object_list] == [f"{oss_key}/top{i}" for i in range(3)]
    obj = rest.object_list[0]
    assert obj.type == "Normal" and obj.size == 1 and obj.storage_class == "Standard"


def test_list_objects_v2_key_count_and_bad_args(oss_env, oss_bucket, oss_key):
    oss_bucket.put_object(oss_key + "/a b", b"1")
    raw = oss_bucket._Bucket__do_bucket(
        "GET", params={"list-type": "2", "prefix": oss_key + "/", "encoding-type": "url"}
    ).read()
    assert b"<KeyCount>1</KeyCount>" in raw and b"a%20b" in raw
    for params in (
        {"max-keys": "1001"},
        {"max-keys": "-1"},
        {"max-keys": "x"},
        {"encoding-type": "base64"},
        {"list-type": "2", "continuation-token": "%%%"},
    ):
        with pytest.raises(oss2.exceptions.ServerError) as exc:
            oss_bucket._Bucket__do_bucket("GET", params=params)
        assert exc.value.status == 400 and exc.value.code == "InvalidArgument", params
