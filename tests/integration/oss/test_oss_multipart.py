"""Multipart uploads through oss2: initiate, parts, complete (list and complete-all), abort,
ListParts paging, ListMultipartUploads, the error codes."""

from __future__ import annotations

import hashlib

import oss2
import pytest
from oss2.models import PartInfo

pytestmark = pytest.mark.integration

PART = 100 * 1024


def _upload(bucket, key, sizes):
    upload_id = bucket.init_multipart_upload(key, headers={"Content-Type": "video/mp4"}).upload_id
    parts, blobs = [], []
    for n, size in enumerate(sizes, start=1):
        blob = bytes([n]) * size
        result = bucket.upload_part(key, upload_id, n, blob)
        parts.append(PartInfo(n, result.etag, size=size, part_crc=result.crc))
        blobs.append(blob)
    return upload_id, parts, b"".join(blobs)


def test_multipart_complete_with_crc(oss_env, oss_key):
    bucket = oss_env.bucket(enable_crc=True)
    upload_id, parts, data = _upload(bucket, oss_key, [PART, PART, 1234])
    listed = bucket.list_parts(oss_key, upload_id)
    assert [p.part_number for p in listed.parts] == [1, 2, 3]
    assert [p.size for p in listed.parts] == [PART, PART, 1234]
    assert listed.parts[0].etag == hashlib.md5(bytes([1]) * PART).hexdigest().upper()
    result = bucket.complete_multipart_upload(oss_key, upload_id, parts)  # oss2 checks the CRC
    assert result.etag.endswith("-3")
    got = bucket.get_object(oss_key)
    assert got.read() == data
    assert got.headers["x-oss-object-type"] == "Multipart"
    assert got.content_type == "video/mp4"


def test_complete_all(oss_bucket, oss_key):
    upload_id, _parts, data = _upload(oss_bucket, oss_key, [PART, 10])
    result = oss_bucket.complete_multipart_upload(
        oss_key, upload_id, None, headers={"x-oss-complete-all": "yes"}
    )
    assert result.status == 200
    assert oss_bucket.get_object(oss_key).read() == data


def test_list_parts_paging_and_uploads(oss_bucket, oss_key):
    upload_id, _parts, _data = _upload(oss_bucket, oss_key, [PART, PART, PART])
    page = oss_bucket.list_parts(oss_key, upload_id, max_parts=2)
    assert page.is_truncated and [p.part_number for p in page.parts] == [1, 2]
    assert str(page.next_marker) == "2"
    rest = oss_bucket.list_parts(oss_key, upload_id, marker=page.next_marker)
    assert [p.part_number for p in rest.parts] == [3] and not rest.is_truncated
    seen = [(u.key, u.upload_id) for u in oss2.MultipartUploadIterator(oss_bucket, prefix=oss_key)]
    assert (oss_key, upload_id) in seen
    oss_bucket.abort_multipart_upload(oss_key, upload_id)
    seen = [u.upload_id for u in oss2.MultipartUploadIterator(oss_bucket, prefix=oss_key)]
    assert upload_id not in seen
    with pytest.raises(oss2.exceptions.NoSuchUpload) as exc:
        oss_bucket.list_parts(oss_key, upload_id)
    assert exc.value.status == 404


def test_multipart_errors(oss_bucket, oss_key):
    upload_id, parts, _ = _upload(oss_bucket, oss_key, [1000, 1000])
    with pytest.raises(oss2.exceptions.ServerError) as err1:
        oss_bucket.complete_multipart_upload(oss_key, upload_id, parts)
    assert err1.value.code == "EntityTooSmall"
    with pytest.raises(oss2.exceptions.ServerError) as err2:
        oss_bucket.complete_multipart_upload(oss_key, upload_id, [PartInfo(1, "0" * 32)])
    assert err2.value.code == "InvalidPart"
    big_id, big_parts, _ = _upload(oss_bucket, oss_key, [PART, PART])
    body = (
        "<CompleteMultipartUpload>"
        + "".join(
            f'<Part><PartNumber>{p.part_number}</PartNumber><ETag>"{p.etag}"</ETag></Part>'
            for p in (big_parts[1], big_parts[0])
        )
        + "</CompleteMultipartUpload>"
    )
    with pytest.raises(oss2.exceptions.ServerError) as order:  # oss2 sorts parts itself: send raw XML
        oss_bucket._Bucket__do_object("POST", oss_key, params={"uploadId": big_id}, data=body.encode())
    assert order.value.code == "InvalidPartOrder"
    with pytest.raises(oss2.exceptions.ServerError) as bad_number:
        oss_bucket.upload_part(oss_key, upload_id, 10001, b"x")
    assert bad_number.value.code == "InvalidArgument"
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        oss_bucket.upload_part(oss_key, "no-such-upload", 1, b"x")
    with pytest.raises(oss2.exceptions.ServerError) as malformed:
        oss_bucket._Bucket__do_object("POST", oss_key, params={"uploadId": upload_id}, data=b"<Complete")
    assert malformed.value.code == "MalformedXML"
    oss_bucket.abort_multipart_upload(oss_key, upload_id)
    with pytest.raises(oss2.exceptions.NoSuchUpload):
        oss_bucket.abort_multipart_upload(oss_key, upload_id)
