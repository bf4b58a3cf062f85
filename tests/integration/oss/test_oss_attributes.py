"""Tagging, ACLs, storage classes, symlinks, UploadPartCopy and bucket stat/info, through oss2."""

from __future__ import annotations

import os
import time
import uuid

import oss2
import pytest
import requests
from oss2.models import BucketCreateConfig, PartInfo, RestoreConfiguration, Tagging, TaggingRule

pytestmark = pytest.mark.integration


def _new_bucket(oss_env, **create) -> oss2.Bucket:  # type: ignore[no-untyped-def]
    bucket = oss_env.bucket(f"attr-{uuid.uuid4().hex[:10]}")
    bucket.create_bucket(**create)
    return bucket


def _tagging(**pairs: str) -> Tagging:
    rule = TaggingRule()
    for key, value in pairs.items():
        rule.add(key, value)
    return Tagging(rule)


# -- tagging ------------------------------------------------------------------------------------

def test_object_tagging_on_put_and_by_api(oss_bucket, oss_key) -> None:
    oss_bucket.put_object(oss_key, b"clip", headers={"x-oss-tagging": "pin=yes&case%20id=a%2Fb"})
    assert oss_bucket.get_object_tagging(oss_key).tag_set.tagging_rule == {"pin": "yes", "case id": "a/b"}
    assert oss_bucket.head_object(oss_key).headers["x-oss-tagging-count"] == "2"
    oss_bucket.put_object_tagging(oss_key, _tagging(retention="legal-hold"))
    assert oss_bucket.get_object_tagging(oss_key).tag_set.tagging_rule == {"retention": "legal-hold"}
    assert oss_bucket.get_object(oss_key).read() == b"clip"  # data, ETag untouched
    oss_bucket.delete_object_tagging(oss_key)
    assert oss_bucket.get_object_tagging(oss_key).tag_set.tagging_rule == {}


def test_tagging_survives_a_restart_and_multipart(oss_env, oss_bucket, oss_key) -> None:
    up = oss_bucket.init_multipart_upload(oss_key, headers={"x-oss-tagging": "k=v"}).upload_id
    part = oss_bucket.upload_part(oss_key, up, 1, b"x" * 200_000)
    oss_bucket.complete_multipart_upload(oss_key, up, [PartInfo(1, part.etag)])
    assert oss_bucket.get_object_tagging(oss_key).tag_set.tagging_rule == {"k": "v"}
    info = oss_env.store.head_object(oss_env.bucket_name, oss_key)
    assert info.tags == (("k", "v"),)


@pytest.mark.parametrize(
    "header, ec",
    [
        ("&".join(f"k{i}=v" for i in range(11)), "0010-00000217"),
        ("k" * 129 + "=v", "0010-00000209"),
        ("k=" + "v" * 257, "0010-00000214"),
        ("k=bad%2Achar", "0010-00000217"),
        ("k=1&k=2", "0010-00000217"),
    ],
)
def test_object_tags_are_validated_by_the_server(oss_bucket, oss_key, header, ec) -> None:
    """oss2 checks lengths itself; the header path reaches the server's own checks."""
    with pytest.raises(oss2.exceptions.OssError) as info:
        oss_bucket.put_object(oss_key, b"x", headers={"x-oss-tagging": header})
    assert (info.value.status, info.value.code, info.value.ec) == (400, "InvalidTag", ec)
    assert not oss_bucket.object_exists(oss_key)
    oss_bucket.put_object(oss_key, b"x")
    with pytest.raises(oss2.exceptions.OssError) as info:
        oss_bucket.put_object_tagging(oss_key, _tagging(**{"k": "bad*char"}))
    assert info.value.code == "InvalidTag"
    assert oss_bucket.get_object_tagging(oss_key).tag_set.tagging_rule == {}


def test_bad_tagging_header_is_invalid_argument_and_stores_nothing(oss_bucket, oss_key) -> None:
    with pytest.raises(oss2.exceptions.OssError) as info:
        oss_bucket.put_object(oss_key, b"x", headers={"x-oss-tagging": "aa=bb=cc"})
    assert (info.value.status, info.value.code) == (400, "InvalidArgument")
    assert info.value.details["ArgumentName"] == "x-oss-tagging"
    assert info.value.details["ArgumentValue"] == "aa=bb=cc"
    assert not oss_bucket.object_exists(oss_key)


def test_bucket_tagging(oss_env) -> None:
    bucket = _new_bucket(oss_env)
    assert bucket.get_bucket_tagging().tag_set.tagging_rule == {}
    bucket.put_bucket_tagging(_tagging(team="vigil", env="local"))
    assert bucket.get_bucket_tagging().tag_set.tagging_rule == {"team": "vigil", "env": "local"}
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.put_bucket_tagging(_tagging(AliyunOwned="x"))
    assert info.value.code == "InvalidTag"
    bucket.delete_bucket_tagging()
    assert bucket.get_bucket_tagging().tag_set.tagging_rule == {}


# -- storage classes ------------------------------------------------------------------------------

def test_bucket_storage_class_is_the_objects_default(oss_env) -> None:
    bucket = _new_bucket(oss_env, input=BucketCreateConfig(oss2.BUCKET_STORAGE_CLASS_IA, "ZRS"))
    info = bucket.get_bucket_info()
    assert (info.storage_class, info.data_redundancy_type) == ("IA", "ZRS")
    bucket.put_object("a", b"1")
    assert bucket.head_object("a").headers["x-oss-storage-class"] == "IA"
    listed = [o.storage_class for o in bucket.list_objects().object_list]
    assert listed == ["IA"]
    with pytest.raises(oss2.exceptions.OssError) as err:
        oss_env.bucket(f"attr-{uuid.uuid4().hex[:10]}").create_bucket(input=BucketCreateConfig("Frozen"))
    assert err.value.code == "InvalidArgument" and err.value.details["ArgumentName"] == "StorageClass"


def test_archive_object_needs_restore_before_get(oss_bucket, oss_key) -> None:
    oss_bucket.put_object(oss_key, b"cold", headers={"x-oss-storage-class": "Archive"})
    head = oss_bucket.head_object(oss_key)
    assert head.headers["x-oss-storage-class"] == "Archive" and "x-oss-restore" not in head.headers
    with pytest.raises(oss2.exceptions.OssError) as info:
        oss_bucket.get_object(oss_key)
    assert (info.value.status, info.value.code) == (403, "InvalidObjectState")
    assert oss_bucket.restore_object(oss_key, input=RestoreConfiguration(days=2)).status == 202
    assert 'ongoing-request="false"' in oss_bucket.head_object(oss_key).headers["x-oss-restore"]
    assert oss_bucket.get_object(oss_key).read() == b"cold"
    assert oss_bucket.restore_object(oss_key).status == 200  # already restored
    oss_bucket.put_object(oss_key + "-std", b"warm")
    with pytest.raises(oss2.exceptions.OssError) as info:
        oss_bucket.restore_object(oss_key + "-std")
    assert info.value.code == "OperationNotSupported"


def test_restored_copy_expires_with_the_clock(oss_env, oss_bucket, oss_key) -> None:
    oss_bucket.put_object(oss_key, b"cold", headers={"x-oss-storage-class": "ColdArchive"})
    oss_bucket.restore_object(oss_key)
    assert oss_bucket.get_object(oss_key).read() == b"cold"
    oss_env.clock.advance(2 * 86400)
    try:
        with pytest.raises(oss2.exceptions.OssError) as info:
            oss_bucket.get_object(oss_key)
        assert info.value.code == "InvalidObjectState"
    finally:
        oss_env.clock.advance(-2 * 86400)


# -- ACLs ---------------------------------------------------------------------------------------

def test_acls_decide_anonymous_access(oss_env) -> None:
    bucket = _new_bucket(oss_env, permission=oss2.BUCKET_ACL_PUBLIC_READ)
    assert bucket.get_bucket_acl().acl == "public-read"
    assert bucket.get_bucket_info().acl.grant == "public-read"
    bucket.put_object("open", b"hello")
    anon = oss2.Bucket(oss2.AnonymousAuth(), oss_env.endpoint, bucket.bucket_name)
    assert anon.get_object("open").read() == b"hello"
    assert [o.key for o in anon.list_objects().object_list] == ["open"]
    with pytest.raises(oss2.exceptions.AccessDenied):
        anon.put_object("mine", b"x")
    assert not bucket.object_exists("mine")

    bucket.put_object_acl("open", oss2.OBJECT_ACL_PRIVATE)  # the object's own ACL wins
    assert bucket.get_object_acl("open").acl == "private"
    with pytest.raises(oss2.exceptions.AccessDenied):
        anon.get_object("open")

    bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ_WRITE)
    anon.put_object("mine", b"x")
    assert bucket.get_object("mine").read() == b"x"
    assert bucket.get_object_acl("mine").acl == "default"

    bucket.put_bucket_acl(oss2.BUCKET_ACL_PRIVATE)
    bucket.put_object("shared", b"s", headers={"x-oss-object-acl": "public-read"})
    assert anon.get_object("shared").read() == b"s"
    with pytest.raises(oss2.exceptions.AccessDenied):
        anon.get_object("mine")
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.put_bucket_acl("world-writable")
    assert info.value.code == "InvalidArgument"


def test_bad_bucket_acl_creates_nothing(oss_env) -> None:
    bucket = oss_env.bucket(f"attr-{uuid.uuid4().hex[:10]}")
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.create_bucket(permission="everyone")
    assert (info.value.code, info.value.details["ArgumentName"]) == ("InvalidArgument", "x-oss-acl")
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        bucket.get_bucket_info()


def test_private_is_the_default_and_anonymous_is_refused(oss_env, oss_bucket, oss_key) -> None:
    oss_bucket.put_object(oss_key, b"x")
    assert oss_bucket.get_bucket_acl().acl == "private"
    anon = oss2.Bucket(oss2.AnonymousAuth(), oss_env.endpoint, oss_env.bucket_name)
    with pytest.raises(oss2.exceptions.AccessDenied):
        anon.get_object(oss_key)


# -- symlinks, UploadPartCopy -----------------------------------------------------------------------

def test_symlinks(oss_bucket, oss_key) -> None:
    oss_bucket.put_object(oss_key, b"target bytes", headers={"Content-Type": "video/mp2t"})
    link = oss_key + ".link"
    oss_bucket.put_symlink(oss_key, link, headers={"x-oss-meta-note": "latest"})
    assert oss_bucket.get_symlink(link).target_key == oss_key
    got = oss_bucket.get_object(link)
    assert got.read() == b"target bytes" and got.headers["Content-Type"] == "video/mp2t"
    assert oss_bucket.head_object(link).object_type == "Symlink"
    with pytest.raises(oss2.exceptions.OssError) as info:
        oss_bucket.get_symlink(oss_key)
    assert info.value.code == "NotSymlink"
    oss_bucket.copy_object(oss_bucket.bucket_name, link, oss_key + ".copy")  # copies the target's bytes
    assert oss_bucket.get_object(oss_key + ".copy").read() == b"target bytes"
    oss_bucket.delete_object(oss_key)
    with pytest.raises(oss2.exceptions.OssError) as info:
        oss_bucket.get_object(link)
    assert (info.value.status, info.value.code) == (404, "SymlinkTargetNotExist")


def test_upload_part_copy_assembles_ranges_of_another_object(oss_bucket, oss_key) -> None:
    data = os.urandom(300_000)
    oss_bucket.put_object(oss_key, data)
    dest = oss_key + ".copy"
    up = oss_bucket.init_multipart_upload(dest).upload_id
    first = oss_bucket.upload_part_copy(oss_bucket.bucket_name, oss_key, (0, 199_999), dest, up, 1)
    second = oss_bucket.upload_part_copy(oss_bucket.bucket_name, oss_key, (200_000, None), dest, up, 2)
    oss_bucket.complete_multipart_upload(dest, up, [PartInfo(1, first.etag), PartInfo(2, second.etag)])
    assert oss_bucket.get_object(dest).read() == data
    with pytest.raises(oss2.exceptions.PreconditionFailed):
        oss_bucket.upload_part_copy(oss_bucket.bucket_name, oss_key, (0, 99), dest,
                                    oss_bucket.init_multipart_upload(dest).upload_id, 1,
                                    headers={"x-oss-copy-source-if-match": '"0000"'})
    with pytest.raises(oss2.exceptions.NoSuchKey):
        oss_bucket.upload_part_copy(oss_bucket.bucket_name, oss_key + ".none", None, dest,
                                    oss_bucket.init_multipart_upload(dest).upload_id, 1)


# -- bucket stat and info -------------------------------------------------------------------------

def test_bucket_stat_and_info(oss_env) -> None:
    bucket = _new_bucket(oss_env)
    bucket.put_object("a", b"123")
    bucket.put_object("b", b"4567", headers={"x-oss-storage-class": "IA"})
    bucket.init_multipart_upload("c")
    stat = bucket.get_bucket_stat()
    assert (stat.storage_size_in_bytes, stat.object_count, stat.multi_part_upload_count) == (7, 2, 1)
    assert (stat.standard_object_count, stat.infrequent_access_storage) == (1, 4)
    assert stat.last_modified_time >= int(time.time()) - 3600
    info = bucket.get_bucket_info()
    assert info.bucket_encryption_rule is not None and info.bucket_encryption_rule.sse_algorithm is None
    assert info.resource_group_id


# -- error shapes -------------------------------------------------------------------------------

def test_invalid_argument_names_the_argument(oss_bucket) -> None:
    with pytest.raises(oss2.exceptions.OssError) as info:
        oss_bucket.list_objects(max_keys=5000)
    assert info.value.code == "InvalidArgument"
    assert (info.value.details["ArgumentName"], info.value.details["ArgumentValue"]) == ("max-keys", "5000")


def test_v4_empty_region_is_worded_as_oss_words_it(oss_env) -> None:
    ak, _ = oss_env.key()
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    resp = requests.get(f"{oss_env.endpoint}/{oss_env.bucket_name}/", timeout=10, headers={
        "x-oss-date": stamp, "x-oss-content-sha256": "UNSIGNED-PAYLOAD",
        "Authorization": f"OSS4-HMAC-SHA256 Credential={ak}/{stamp[:8]}//oss/aliyun_v4_request,Signature=00"})
    assert resp.status_code == 400
    assert b"<Code>InvalidArgument</Code>" in resp.content
    assert b"Invalid signing region in Authorization header." in resp.content
