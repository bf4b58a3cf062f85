"""The functions' oss2 transport on urllib3 (`core.transport.LeanSession`) answers exactly as oss2's
own requests-based session does, through localcloud with the real oss2: bodies, headers, metadata,
ranged and streamed reads, listings with odd prefixes, OSS's error codes, HEAD and abandoned bodies
leaving the pool usable, and non-bytes bodies going through requests."""

from __future__ import annotations

import io
import secrets
from typing import Any

import oss2
import pytest
from vigil_fn.core import bodies
from vigil_fn.core.clients import function_session
from vigil_fn.core.nonces import put_new
from vigil_fn.core.transport import Answer, LeanSession, split_url


@pytest.fixture(scope="module")
def buckets(cloud: Any) -> tuple[oss2.Bucket, oss2.Bucket]:
    """(lean, requests) on the same bucket and key."""
    lean = cloud.bucket(session=LeanSession())
    plain = cloud.bucket(session=oss2.Session())
    return lean, plain


def _prefix() -> str:
    return f"lean-{secrets.token_hex(4)}/"


def test_the_functions_use_it() -> None:
    assert isinstance(function_session(), LeanSession)
    assert function_session().session.trust_env is False   # the fallback keeps no environment lookups


def test_split_url() -> None:
    assert split_url("http://127.0.0.1:9000/b/k%20x?acl=") == ("http://127.0.0.1:9000", "/b/k%20x?acl=")
    host = "https://bucket.oss-cn-hangzhou.aliyuncs.com"
    assert split_url(host) == (host, "/")
    assert split_url("http://h:1?x=1") == ("http://h:1", "/?x=1")


def test_put_get_head_and_metadata_match_requests(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    lean, plain = buckets
    key = _prefix() + "clip 1 +ü~%.ts"
    data = secrets.token_bytes(200_000)
    put = without_crc_twin(lean).put_object(key, data, headers={"x-oss-meta-vigil-duration-ms": "10000",
                                                                 "Content-Type": "video/mp2t"})
    assert isinstance(put.resp, Answer)                            # bytes: sent by urllib3, not requests
    assert put.status == 200 and put.crc == plain.head_object(key).server_crc
    got = lean.get_object(key)
    assert isinstance(got.resp, Answer)
    body = got.read()
    assert body == data == plain.get_object(key).read()
    assert got.headers["x-oss-meta-vigil-duration-ms"] == "10000"
    assert got.headers["content-type"] == "video/mp2t"            # case-insensitive, as requests' are
    assert got.client_crc == got.server_crc                      # oss2's CRC check still runs on the lean body
    head = lean.head_object(key)
    assert head.content_length == len(data) and head.etag == plain.head_object(key).etag
    assert lean.get_object_meta(key).content_length == len(data)
    assert lean.object_exists(key) and not lean.object_exists(key + "-none")


def test_ranged_and_streamed_reads(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    lean, _ = buckets
    key = _prefix() + "big.bin"
    data = secrets.token_bytes(3 * bodies.CHUNK + 17)
    lean.put_object(key, data)
    ranged = lean.get_object(key, byte_range=(100, 199))
    assert ranged.headers["Content-Range"].startswith("bytes 100-199/")
    assert bodies.read_body(ranged) == data[100:200]
    assert b"".join(bodies.iter_body(without_crc_twin(lean).get_object(key))) == data
    assert b"".join(iter(lean.get_object(key))) == data           # oss2's own iteration
    pieces = []
    result = lean.get_object(key)
    while True:
        block = result.read(65_536)
        if not block:
            break
        pieces.append(block)
    assert b"".join(pieces) == data and result.read() == b""


def without_crc_twin(bucket: oss2.Bucket) -> oss2.Bucket:
    from vigil_camera.crc import without_crc

    return without_crc(bucket)


def test_errors_carry_oss_codes(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    lean, _ = buckets
    key = _prefix() + "once"
    assert put_new(lean, key, b"1") is True
    assert put_new(lean, key, b"2") is False                     # 409 FileAlreadyExists, through the lean path
    with pytest.raises(oss2.exceptions.NoSuchKey) as missing:
        lean.get_object(key + "-none")
    assert missing.value.status == 404 and missing.value.request_id
    with pytest.raises(oss2.exceptions.NotFound):
        lean.head_object(key + "-none")
    denied = oss2.Bucket(oss2.Auth("nobody", "wrong"), lean.endpoint, lean.bucket_name, session=LeanSession())
    with pytest.raises(oss2.exceptions.OssError) as refused:
        denied.get_object(key)
    assert refused.value.status == 403


def test_the_pool_survives_heads_abandoned_bodies_and_errors(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    lean, _ = buckets
    key = _prefix() + "pool"
    lean.put_object(key, b"x" * 100_000)
    for _ in range(30):   # more than the pool holds: a leaked connection would show as a hang or an error
        lean.head_object(key)
        partial = lean.get_object(key)
        assert partial.read(10) == b"x" * 10
        partial.close()                                          # abandoned mid-body
        with pytest.raises(oss2.exceptions.NoSuchKey):
            lean.get_object(key + "-none")
    assert lean.get_object(key).read() == b"x" * 100_000


def test_listing_with_params_and_odd_prefixes(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    lean, plain = buckets
    prefix = _prefix() + "a b&c=d/"
    keys = [f"{prefix}{i:03d}" for i in range(7)]
    for key in keys:
        lean.put_object(key, b"")
    page = lean.list_objects_v2(prefix=prefix, max_keys=3)
    assert [o.key for o in page.object_list] == keys[:3] and page.is_truncated
    listed = [o.key for o in oss2.ObjectIteratorV2(lean, prefix=prefix, max_keys=3)]
    assert listed == keys == [o.key for o in oss2.ObjectIteratorV2(plain, prefix=prefix)]
    lean.put_object_tagging(keys[0], oss2.models.Tagging(oss2.models.TaggingRule()))   # a ?tagging sub-resource


def test_file_bodies_take_the_requests_path(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    lean, _ = buckets
    key = _prefix() + "file"
    data = secrets.token_bytes(50_000)
    lean.put_object(key, io.BytesIO(data))                       # a file object: requests sends it
    assert lean.get_object(key).read() == data
    assert lean.append_object(_prefix() + "append", 0, b"abc").next_position == 3


def test_copy_append_and_deletes_on_the_lean_path(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    lean = without_crc_twin(buckets[0])
    prefix = _prefix()
    appended = lean.append_object(prefix + "log", 0, b"abc")        # ?append&position=0
    assert isinstance(appended.resp, Answer) and appended.next_position == 3
    assert lean.append_object(prefix + "log", 3, b"def").next_position == 6
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength):
        lean.append_object(prefix + "log", 3, b"x")
    lean.copy_object(lean.bucket_name, prefix + "log", prefix + "copy")   # no body, x-oss-copy-source
    assert lean.get_object(prefix + "copy").read() == b"abcdef"
    deleted = lean.batch_delete_objects([prefix + "log", prefix + "copy"])   # POST ?delete, an XML body
    assert sorted(deleted.deleted_keys) == [prefix + "copy", prefix + "log"]
    assert not lean.object_exists(prefix + "log")
    lean.delete_object(prefix + "none")                               # 204, no body


def test_connection_refused_is_a_request_error(cloud: Any) -> None:
    gone = oss2.Bucket(oss2.Auth("a", "b"), "http://127.0.0.1:9", "vigil", session=LeanSession(),
                       connect_timeout=2)
    with pytest.raises(oss2.exceptions.RequestError):
        gone.get_object("k")


def test_function_buckets_skip_the_crc_on_gets_only(cloud: Any, tmp_path: Any) -> None:
    """`clients.oss_bucket`: a GET computes no CRC nothing compares; an upload and a download to a
    file keep oss2's comparison with the CRC OSS returns."""
    from dataclasses import replace

    from vigil_fn.core.clients import FunctionBucket, FunctionCredentials, oss_bucket
    from vigil_fn.core.config import Settings

    settings = replace(Settings.from_env({}), bucket=cloud.bucket_name, oss_endpoint=cloud.oss_endpoint,
                       region=cloud.region)
    bucket = oss_bucket(settings, FunctionCredentials(cloud.access_key_id, cloud.access_key_secret, None))
    assert isinstance(bucket, FunctionBucket) and bucket.enable_crc and isinstance(bucket.session, LeanSession)
    key = _prefix() + "crc"
    data = secrets.token_bytes(100_000)
    put = bucket.put_object(key, data)
    assert put.crc == int(cloud.bucket().head_object(key).server_crc)   # uploads: a CRC bucket (oss2 checks)
    got = bucket.get_object(key)
    assert got.client_crc is None and got.read() == data
    bucket.get_object_to_file(key, str(tmp_path / "f"))
    assert (tmp_path / "f").read_bytes() == data
    whole = oss2.Bucket.get_object(bucket, key)                       # what get_object_to_file checks
    assert whole.read() == data and whole.client_crc == whole.server_crc
