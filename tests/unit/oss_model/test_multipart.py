"""Multipart uploads: ETag and CRC of the assembled object, every Complete error, paging, abort."""

from __future__ import annotations

import hashlib
import io
import os

import pytest
from localcloud.oss.errors import OSSError
from localcloud.oss.model.crc import crc64
from localcloud.oss.model.types import Caller, ObjectHeaders

pytestmark = pytest.mark.unit

KIB = 1024


def _err(fn, *args, **kw) -> OSSError:  # type: ignore[no-untyped-def]
    with pytest.raises(OSSError) as info:
        fn(*args, **kw)
    return info.value


def _part(ossm, key: str, upload_id: str, n: int, data: bytes):  # type: ignore[no-untyped-def]
    return ossm.store.upload_part(ossm.bucket, key, upload_id=upload_id, part_number=n, body=io.BytesIO(data),
                                  length=len(data))


def test_complete_etag_crc_and_bytes(ossm) -> None:
    h = ObjectHeaders(content_type="video/mp4", meta={"k": "v"})
    up = ossm.store.initiate_multipart(ossm.bucket, "big.mp4", headers=h)
    assert len(up.upload_id) == 32 and up.upload_id == up.upload_id.upper()
    chunks = [os.urandom(100 * KIB), os.urandom(150 * KIB), os.urandom(10)]
    parts = [_part(ossm, "big.mp4", up.upload_id, i + 1, c) for i, c in enumerate(chunks)]
    assert [p.etag for p in parts] == [hashlib.md5(c).hexdigest().upper() for c in chunks]
    info = ossm.store.complete_multipart(ossm.bucket, "big.mp4", upload_id=up.upload_id,
                                         parts=[(p.part_number, f'"{p.etag}"') for p in parts],
                                         caller=Caller(request_id="R"))
    expected = hashlib.md5(b"".join(hashlib.md5(c).digest() for c in chunks)).hexdigest().upper() + "-3"
    whole = b"".join(chunks)
    assert info.etag == expected and info.crc64 == crc64(whole) and info.size == len(whole)
    assert info.object_type == "Multipart" and info.headers == h
    assert ossm.read("big.mp4") == whole
    ev = ossm.events()[-1]
    assert ev["eventName"] == "ObjectCreated:CompleteMultipartUpload"
    assert ev["oss"]["object"]["eTag"] == expected and ev["oss"]["object"]["size"] == len(whole)
    assert _err(ossm.store.list_parts, ossm.bucket, "big.mp4", upload_id=up.upload_id).code == "NoSuchUpload"
    assert ossm.store.list_uploads(ossm.bucket).uploads == []
    assert ossm.reopen().head_object(ossm.bucket, "big.mp4") == info


def test_reupload_replaces_part_and_complete_all(ossm) -> None:
    up = ossm.store.initiate_multipart(ossm.bucket, "k", headers=ObjectHeaders())
    _part(ossm, "k", up.upload_id, 2, b"second")
    _part(ossm, "k", up.upload_id, 1, b"x" * (100 * KIB))
    _part(ossm, "k", up.upload_id, 1, b"y" * (100 * KIB))  # replaces
    store = ossm.reopen()  # parts survive a restart
    listing = store.list_parts(ossm.bucket, "k", upload_id=up.upload_id)
    assert [(p.part_number, p.size) for p in listing.parts] == [(1, 100 * KIB), (2, 6)]
    info = store.complete_multipart(ossm.bucket, "k", upload_id=up.upload_id, parts=None, complete_all=True)
    assert ossm.read("k") == b"y" * (100 * KIB) + b"second"
    assert info.etag.endswith("-2")


def test_complete_errors(ossm) -> None:
    up = ossm.store.initiate_multipart(ossm.bucket, "k", headers=ObjectHeaders())
    small = _part(ossm, "k", up.upload_id, 1, b"small")
    big = _part(ossm, "k", up.upload_id, 2, b"b" * (100 * KIB))
    last = _part(ossm, "k", up.upload_id, 3, b"end")
    cases = [
        ([(2, big.etag), (1, small.etag)], "InvalidPartOrder"),
        ([(2, big.etag), (2, big.etag)], "InvalidPartOrder"),
        ([(2, big.etag), (4, last.etag)], "InvalidPart"),
        ([(2, "0" * 32), (3, last.etag)], "InvalidPart"),
        ([(1, small.etag), (3, last.etag)], "EntityTooSmall"),
        ([], "MalformedXML"),
    ]
    for parts, code in cases:
        e = _err(ossm.store.complete_multipart, ossm.bucket, "k", upload_id=up.upload_id, parts=parts)
        assert (e.code, e.status) == (code, 400), parts
    e = _err(ossm.store.complete_multipart, ossm.bucket, "k", upload_id=up.upload_id, parts=[(2, big.etag)],
             complete_all=True)
    assert e.code == "InvalidArgument"
    e = _err(ossm.store.complete_multipart, ossm.bucket, "k", upload_id=up.upload_id, parts=None, complete_all=True)
    assert e.code == "EntityTooSmall"  # part 1 is small and not last
    assert ossm.keys() == []
    # a subset of the parts is fine; the rest is dropped
    ossm.store.complete_multipart(ossm.bucket, "k", upload_id=up.upload_id, parts=[(2, big.etag), (3, last.etag)])
    assert ossm.read("k") == b"b" * (100 * KIB) + b"end"


def test_part_number_and_upload_errors(ossm) -> None:
    up = ossm.store.initiate_multipart(ossm.bucket, "k", headers=ObjectHeaders())
    for n in (0, 10001, -1):
        e = _err(_part, ossm, "k", up.upload_id, n, b"x")
        assert (e.code, e.status) == ("InvalidArgument", 400)
    _part(ossm, "k", up.upload_id, 10000, b"x")
    e = _err(_part, ossm, "k", "F" * 32, 1, b"x")
    assert (e.code, e.status) == ("NoSuchUpload", 404)
    e = _err(_part, ossm, "other-key", up.upload_id, 1, b"x")
    assert e.code == "NoSuchUpload"
    e = _err(ossm.store.upload_part, ossm.bucket, "k", upload_id=up.upload_id, part_number=1, body=io.BytesIO(b"abc"),
             length=3, content_md5="AAAAAAAAAAAAAAAAAAAAAA==")
    assert e.code == "InvalidDigest"
    ossm.store.abort_multipart(ossm.bucket, "k", upload_id=up.upload_id)
    e = _err(ossm.store.abort_multipart, ossm.bucket, "k", upload_id=up.upload_id)
    assert (e.code, e.status) == ("NoSuchUpload", 404)
    e = _err(ossm.store.complete_multipart, ossm.bucket, "k", upload_id=up.upload_id, parts=None, complete_all=True)
    assert e.code == "NoSuchUpload"


def test_list_parts_paging(ossm) -> None:
    up = ossm.store.initiate_multipart(ossm.bucket, "k", headers=ObjectHeaders())
    for n in (1, 3, 5, 7, 9):
        _part(ossm, "k", up.upload_id, n, bytes([n]))
    page = ossm.store.list_parts(ossm.bucket, "k", upload_id=up.upload_id, part_number_marker=0, max_parts=2)
    assert [p.part_number for p in page.parts] == [1, 3] and page.is_truncated
    assert page.next_part_number_marker == 3
    page = ossm.store.list_parts(ossm.bucket, "k", upload_id=up.upload_id, part_number_marker=3, max_parts=2)
    assert [p.part_number for p in page.parts] == [5, 7] and page.is_truncated
    page = ossm.store.list_parts(ossm.bucket, "k", upload_id=up.upload_id, part_number_marker=7, max_parts=2)
    assert [p.part_number for p in page.parts] == [9] and not page.is_truncated
    assert _err(ossm.store.list_parts, ossm.bucket, "k", upload_id=up.upload_id, part_number_marker=0,
                max_parts=0).code == "InvalidArgument"


def test_list_uploads(ossm) -> None:
    ids = {}
    for key in ["b/1", "a", "b/2", "a", "c"]:
        up = ossm.store.initiate_multipart(ossm.bucket, key, headers=ObjectHeaders())
        ids.setdefault(key, []).append(up.upload_id)
    listing = ossm.store.list_uploads(ossm.bucket)
    assert [(u.key, u.upload_id) for u in listing.uploads] == [
        ("a", ids["a"][0]), ("a", ids["a"][1]), ("b/1", ids["b/1"][0]), ("b/2", ids["b/2"][0]),
        ("c", ids["c"][0])]
    page = ossm.store.list_uploads(ossm.bucket, max_uploads=2)
    assert page.is_truncated and (page.next_key_marker, page.next_upload_id_marker) == ("a", ids["a"][1])
    page = ossm.store.list_uploads(ossm.bucket, key_marker="a", upload_id_marker=ids["a"][0], max_uploads=2)
    assert [u.key for u in page.uploads] == ["a", "b/1"]
    page = ossm.store.list_uploads(ossm.bucket, key_marker="a")
    assert [u.key for u in page.uploads] == ["b/1", "b/2", "c"]
    page = ossm.store.list_uploads(ossm.bucket, delimiter="/")
    assert [u.key for u in page.uploads] == ["a", "a", "c"] and page.common_prefixes == ["b/"]
    page = ossm.store.list_uploads(ossm.bucket, prefix="b/")
    assert [u.key for u in page.uploads] == ["b/1", "b/2"]


def test_complete_respects_overwrite_protection(ossm) -> None:
    ossm.put("k", b"original")
    up = ossm.store.initiate_multipart(ossm.bucket, "k", headers=ObjectHeaders())
    p = _part(ossm, "k", up.upload_id, 1, b"new")
    e = _err(ossm.store.complete_multipart, ossm.bucket, "k", upload_id=up.upload_id, parts=[(1, p.etag)],
             forbid_overwrite=True)
    assert e.code == "FileAlreadyExists"
    assert ossm.read("k") == b"original"
    e = _err(ossm.store.initiate_multipart, ossm.bucket, "k", headers=ObjectHeaders(), forbid_overwrite=True)
    assert e.code == "FileAlreadyExists"
