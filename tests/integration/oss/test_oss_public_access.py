"""Issue 27 item 1: an ACL given with a write needs oss:PutObjectAcl, and Block Public Access (OSS's
real API, bucket- and account-level) refuses and ignores public ACLs and public bucket policies.
Driven with the unmodified oss2 SDK; raw HTTP only for the anonymous reads."""

from __future__ import annotations

import json
import uuid
from typing import Any

import oss2
import pytest
import requests

pytestmark = pytest.mark.integration


def _code(call: Any) -> str:
    with pytest.raises(oss2.exceptions.OssError) as info:
        call()
    return f"{info.value.status} {info.value.code}"


def _anonymous_get(env: Any, bucket: str, key: str) -> int:
    return requests.get(f"{env.endpoint}/{bucket}/{key}", timeout=10).status_code


# -- oss:PutObjectAcl for an ACL on a write ------------------------------------------------------

@pytest.mark.parametrize("write", ["put", "append", "multipart", "copy", "symlink"])
def test_acl_header_on_a_write_needs_put_object_acl(oss_env: Any, oss_bucket: oss2.Bucket, oss_key: str,
                                                    write: str) -> None:
    """An upload-only session (PutObject, no PutObjectAcl) may write, but not with an ACL."""
    oss_bucket.put_object(oss_key + "-src", b"src")
    uploader = oss_env.sts_bucket(oss_env.sts())
    acl = {"x-oss-object-acl": "public-read"}
    calls = {
        "put": lambda h: uploader.put_object(oss_key, b"clip", headers=h),
        "append": lambda h: uploader.append_object(oss_key + "-log", 0, b"line", headers=h),
        "multipart": lambda h: uploader.init_multipart_upload(oss_key + "-mp", headers=h),
        "copy": lambda h: uploader.copy_object(oss_env.bucket_name, oss_key + "-src", oss_key + "-copy", headers=h),
        "symlink": lambda h: uploader.put_symlink(oss_key + "-src", oss_key + "-link", headers=h),
    }
    assert _code(lambda: calls[write](acl)) == "403 AccessDenied"
    assert _anonymous_get(oss_env, oss_env.bucket_name, oss_key) in (403, 404)
    if write in ("put", "append", "multipart"):  # the same write without the header is allowed
        calls[write]({})


def test_the_owner_may_still_set_an_acl_on_upload(oss_env: Any, fresh: oss2.Bucket) -> None:
    fresh.put_object("shared", b"s", headers={"x-oss-object-acl": "public-read"})
    assert fresh.get_object_acl("shared").acl == "public-read"
    assert _anonymous_get(oss_env, fresh.bucket_name, "shared") == 200


# -- Block Public Access: the API ----------------------------------------------------------------

def test_bucket_block_public_access_api(fresh: oss2.Bucket) -> None:
    assert fresh.get_bucket_public_access_block().block_public_access is False  # the default
    fresh.put_bucket_public_access_block(True)
    assert fresh.get_bucket_public_access_block().block_public_access is True
    fresh.put_bucket_public_access_block(False)
    assert fresh.get_bucket_public_access_block().block_public_access is False
    fresh.put_bucket_public_access_block(True)
    fresh.delete_bucket_public_access_block()
    assert fresh.get_bucket_public_access_block().block_public_access is False


def test_block_public_access_needs_its_own_permission(oss_env: Any) -> None:
    reader = oss_env.bucket(user="reader")
    assert _code(lambda: reader.put_bucket_public_access_block(False)) == "403 AccessDenied"
    assert _code(lambda: oss_env.bucket("no-such-pab-bucket").get_bucket_public_access_block()) == \
        "404 NoSuchBucket"


def test_bad_configuration_is_malformed_xml(oss_env: Any, fresh: oss2.Bucket) -> None:
    body = b"<PublicAccessBlockConfiguration><BlockPublicAccess>maybe</BlockPublicAccess>" \
           b"</PublicAccessBlockConfiguration>"
    with pytest.raises(oss2.exceptions.OssError) as info:
        fresh._Bucket__do_bucket("PUT", params={"publicAccessBlock": ""}, data=body)
    assert (info.value.status, info.value.code) == (400, "MalformedXML")
    assert fresh.get_bucket_public_access_block().block_public_access is False


# -- Block Public Access: the effect -------------------------------------------------------------

def test_existing_public_acls_are_ignored_and_new_ones_refused(oss_env: Any, fresh: oss2.Bucket) -> None:
    name = fresh.bucket_name
    fresh.put_object("open", b"o", headers={"x-oss-object-acl": "public-read"})
    fresh.put_object("inherits", b"i")
    fresh.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
    assert _anonymous_get(oss_env, name, "open") == 200 and _anonymous_get(oss_env, name, "inherits") == 200

    fresh.put_bucket_public_access_block(True)
    assert _anonymous_get(oss_env, name, "open") == 403
    assert _anonymous_get(oss_env, name, "inherits") == 403
    assert _code(lambda: fresh.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)) == "403 AccessDenied"
    assert _code(lambda: fresh.put_object_acl("inherits", oss2.OBJECT_ACL_PUBLIC_READ)) == "403 AccessDenied"
    assert _code(lambda: fresh.put_object("new", b"n", headers={"x-oss-object-acl": "public-read-write"})) \
        == "403 AccessDenied"
    assert not fresh.object_exists("new")
    fresh.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)  # private stays allowed
    fresh.put_object("new", b"n", headers={"x-oss-object-acl": "private"})

    fresh.put_bucket_public_access_block(False)  # off again: what exists takes effect again
    assert _anonymous_get(oss_env, name, "open") == 200


def test_public_bucket_policy_refused_and_ignored(oss_env: Any, fresh: oss2.Bucket) -> None:
    """A `*` Allow without a restricting condition is public: refused while blocked, and one stored
    before is left out of decisions (here it was what let the reader list the bucket)."""
    name = fresh.bucket_name
    public = {"Version": "1", "Statement": [{
        "Effect": "Allow", "Principal": ["*"], "Action": ["oss:GetObject", "oss:ListObjects"],
        "Resource": [f"acs:oss:*:*:{name}", f"acs:oss:*:*:{name}/*"]}]}
    fresh.put_object("doc", b"d")
    fresh.put_bucket_policy(json.dumps(public))
    reader = oss_env.bucket(name, user="reader")
    assert reader.get_object("doc").read() == b"d"

    fresh.put_bucket_public_access_block(True)
    assert _code(lambda: reader.get_object("doc")) == "403 AccessDenied"
    assert _code(lambda: fresh.put_bucket_policy(json.dumps(public))) == "403 AccessDenied"
    restricted = json.loads(json.dumps(public))
    restricted["Statement"][0]["Condition"] = {"IpAddress": {"acs:SourceIp": ["127.0.0.1/32"]}}
    fresh.put_bucket_policy(json.dumps(restricted))  # not public: a fixed source network
    assert reader.get_object("doc").read() == b"d"
    fresh.delete_bucket_policy()


def test_account_level_block(oss_env: Any, fresh: oss2.Bucket) -> None:
    service = oss_env.service()
    name = fresh.bucket_name
    fresh.put_object("open", b"o", headers={"x-oss-object-acl": "public-read"})
    assert service.get_public_access_block().block_public_access is False
    service.put_public_access_block(True)
    try:
        assert service.get_public_access_block().block_public_access is True
        assert fresh.get_bucket_public_access_block().block_public_access is False  # its own setting
        assert _anonymous_get(oss_env, name, "open") == 403
        other = oss_env.bucket(f"pab-{uuid.uuid4().hex[:10]}")
        assert _code(lambda: other.create_bucket(oss2.BUCKET_ACL_PUBLIC_READ)) == "403 AccessDenied"
        assert _code(other.get_bucket_info) == "404 NoSuchBucket"
    finally:
        service.delete_public_access_block()
    assert service.get_public_access_block().block_public_access is False
    assert _anonymous_get(oss_env, name, "open") == 200

