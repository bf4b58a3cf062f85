"""Buckets and bucket configs: names, conflicts, emptiness, config validation and 404 codes."""

from __future__ import annotations

import pytest
from localcloud.oss.errors import OSSError

pytestmark = pytest.mark.unit


def _err(fn, *args, **kw) -> OSSError:  # type: ignore[no-untyped-def]
    with pytest.raises(OSSError) as info:
        fn(*args, **kw)
    return info.value


@pytest.mark.parametrize("name", ["ab", "-abc", "abc-", "ABC", "a_b", "a" * 64, "a.b", ""])
def test_invalid_bucket_names(ossm, name: str) -> None:
    e = _err(ossm.store.create_bucket, name)
    assert (e.code, e.status) == ("InvalidBucketName", 400)


def test_create_list_info_delete(ossm) -> None:
    info = ossm.store.create_bucket("abc")
    assert info.location == "oss-cn-hangzhou" and info.region == "cn-hangzhou"
    assert [b.name for b in ossm.store.list_buckets()] == ["abc", ossm.bucket]
    e = _err(ossm.store.create_bucket, "abc")
    assert (e.code, e.status) == ("BucketAlreadyExists", 409)
    ossm.put("k", b"x", bucket="abc")
    e = _err(ossm.store.delete_bucket, "abc")
    assert (e.code, e.status) == ("BucketNotEmpty", 409)
    ossm.store.delete_object("abc", "k")
    ossm.store.delete_bucket("abc")
    e = _err(ossm.store.bucket_info, "abc")
    assert (e.code, e.status) == ("NoSuchBucket", 404)
    e = _err(ossm.store.delete_bucket, "abc")
    assert e.code == "NoSuchBucket"
    e = _err(ossm.put, "k", b"x", bucket="abc")
    assert e.code == "NoSuchBucket"


def test_bucket_with_upload_is_not_empty(ossm) -> None:
    from localcloud.oss.model.types import ObjectHeaders

    ossm.store.create_bucket("abc")
    up = ossm.store.initiate_multipart("abc", "k", headers=ObjectHeaders())
    assert _err(ossm.store.delete_bucket, "abc").code == "BucketNotEmpty"
    ossm.store.abort_multipart("abc", "k", upload_id=up.upload_id)
    ossm.store.delete_bucket("abc")


def test_buckets_survive_restart(ossm) -> None:
    ossm.store.create_bucket("abc")
    ossm.store.put_config("abc", "cors", {"rules": [{"allowed_origins": ["*"], "allowed_methods": ["GET"]}]})
    store = ossm.reopen()
    assert {b.name for b in store.list_buckets()} == {"abc", ossm.bucket}
    assert store.get_config("abc", "cors")["rules"][0]["allowed_methods"] == ["GET"]


@pytest.mark.parametrize(("kind", "code"), [("lifecycle", "NoSuchLifecycle"),
                                            ("cors", "NoSuchCORSConfiguration"),
                                            ("overwrite", "NoSuchOverwriteConfiguration")])
def test_missing_config_codes(ossm, kind: str, code: str) -> None:
    e = _err(ossm.store.get_config, ossm.bucket, kind)
    assert (e.code, e.status) == (code, 404)
    ossm.store.delete_config(ossm.bucket, kind)  # idempotent


def test_lifecycle_config_round_trip_and_validation(ossm) -> None:
    doc = {"rules": [{"id": "r1", "prefix": "videos/", "status": "Enabled", "expiration": {"days": "30"}},
                     {"prefix": "", "status": "Enabled", "abort_multipart_upload": {"days": 1}}]}
    stored = ossm.store.put_config(ossm.bucket, "lifecycle", doc)
    assert stored["rules"][0]["expiration"] == {"days": 30}
    assert stored["rules"][1]["id"]  # generated
    assert ossm.store.get_config(ossm.bucket, "lifecycle") == stored
    bad = [
        {"rules": []},
        {"rules": [{"id": "a", "status": "On", "expiration": {"days": 1}}]},
        {"rules": [{"id": "a", "status": "Enabled"}]},
        {"rules": [{"id": "a", "status": "Enabled", "expiration": {"days": 0}}]},
        {"rules": [{"id": "a", "status": "Enabled", "expiration": {"created_before_date": "yesterday"}}]},
        {"rules": [{"id": "a", "status": "Enabled", "expiration": {"days": 1}},
                   {"id": "a", "status": "Enabled", "expiration": {"days": 2}}]},
    ]
    for doc in bad:
        e = _err(ossm.store.put_config, ossm.bucket, "lifecycle", doc)
        assert e.status == 400 and e.code in ("InvalidArgument", "MalformedXML"), doc
    assert ossm.store.get_config(ossm.bucket, "lifecycle") == stored
    ossm.store.delete_config(ossm.bucket, "lifecycle")
    assert _err(ossm.store.get_config, ossm.bucket, "lifecycle").code == "NoSuchLifecycle"


def test_cors_and_overwrite_validation(ossm) -> None:
    e = _err(ossm.store.put_config, ossm.bucket, "cors",
             {"rules": [{"allowed_origins": ["*"], "allowed_methods": ["PATCH"]}]})
    assert e.code == "InvalidArgument"
    e = _err(ossm.store.put_config, ossm.bucket, "overwrite", {"rules": [{"action": "allow"}]})
    assert e.code == "InvalidArgument"
    e = _err(ossm.store.put_config, ossm.bucket, "overwrite", {"rules": [{}] * 101})
    assert e.code == "InvalidArgument"


def test_block_public_access_settings_survive_a_restart(ossm) -> None:
    """Bucket- and account-level Block Public Access are stored, read back when the store reopens."""
    assert not ossm.store.public_access_blocked(ossm.bucket)
    ossm.store.put_config(ossm.bucket, "public_access_block", {"block_public_access": True})
    assert ossm.store.public_access_blocked(ossm.bucket)
    ossm.store.account.put("public_access_block", {"block_public_access": True})
    store = ossm.reopen()
    assert store.public_access_blocked(ossm.bucket) and store.public_access_blocked(None)
    store.delete_config(ossm.bucket, "public_access_block")
    assert store.public_access_blocked(ossm.bucket)  # the account's setting still holds
    store.account.delete("public_access_block")
    assert not ossm.reopen().public_access_blocked(ossm.bucket)
    e = _err(ossm.store.put_config, ossm.bucket, "public_access_block", {"block_public_access": "yes"})
    assert e.code == "MalformedXML"
