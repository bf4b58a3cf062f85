"""Object calls through the unmodified oss2 client: put/get/head/meta, ranges, conditions,
append, copy, delete, batch delete, chunked bodies, CRC checks, odd keys."""

from __future__ import annotations

import base64
import hashlib
import time
from email.utils import formatdate

import oss2
import pytest
import requests

pytestmark = pytest.mark.integration

ODD_KEYS = [
    "videos/空 格/ü+plus=1&x.ts",
    "videos/a b+c%20d",
    "videos/with?question#hash",
    "videos/~tilde'quote\"",
]


def test_put_get_head_roundtrip_with_metadata(oss_env, oss_key):
    bucket = oss_env.bucket(enable_crc=True)
    data = b"hello vigil " * 1000
    result = bucket.put_object(
        oss_key,
        data,
        headers={"Content-Type": "video/mp2t", "x-oss-meta-Camera": "cam-1", "Content-Disposition": "inline"},
    )
    md5 = hashlib.md5(data).hexdigest().upper()
    assert result.etag == md5
    assert result.crc is not None
    assert result.request_id and len(result.request_id) == 24
    got = bucket.get_object(oss_key)
    assert got.read() == data
    assert got.content_type == "video/mp2t"
    assert got.headers["x-oss-meta-camera"] == "cam-1"
    assert got.headers["Content-Disposition"] == "inline"
    assert got.headers["Server"] == "AliyunOSS"
    assert got.headers["x-oss-object-type"] == "Normal"
    assert got.headers["ETag"] == f'"{md5}"'
    assert got.headers["Last-Modified"].endswith("GMT")
    head = bucket.head_object(oss_key)
    assert head.content_length == len(data)
    assert head.etag == md5
    assert head.object_type == "Normal"
    assert head.headers["x-oss-hash-crc64ecma"] == str(got.server_crc)
    meta = bucket.get_object_meta(oss_key)
    assert meta.content_length == len(data) and meta.etag == md5


def test_put_with_content_md5_checked(oss_bucket, oss_key):
    data = b"x" * 100
    good = base64.b64encode(hashlib.md5(data).digest()).decode()
    oss_bucket.put_object(oss_key, data, headers={"Content-MD5": good})
    bad = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(oss2.exceptions.InvalidDigest):
        oss_bucket.put_object(oss_key, data, headers={"Content-MD5": bad})
    with pytest.raises(oss2.exceptions.ServerError) as exc:
        oss_bucket.put_object(oss_key, data, headers={"Content-MD5": "not base64!"})
    assert exc.value.status == 400 and exc.value.code == "InvalidDigest"


def test_chunked_put_from_iterable(oss_env, oss_key):
    bucket = oss_env.bucket(enable_crc=True)
    parts = [bytes([i]) * (70_000 + i) for i in range(20)]
    result = bucket.put_object(oss_key, iter(parts))  # oss2 sends iterables chunked
    body = b"".join(parts)
    assert result.etag == hashlib.md5(body).hexdigest().upper()
    assert bucket.get_object(oss_key).read() == body


@pytest.mark.parametrize("key", ODD_KEYS)
def test_odd_keys_roundtrip_and_list(oss_bucket, key):
    oss_bucket.put_object(key, key.encode())
    assert oss_bucket.get_object(key).read() == key.encode()
    listed = [o.key for o in oss2.ObjectIterator(oss_bucket, prefix=key)]
    assert listed == [key]
    v2 = oss_bucket.list_objects_v2(prefix=key, encoding_type="url")
    assert [o.key for o in v2.object_list] == [key]


def test_get_missing_and_head_missing(oss_bucket):
    with pytest.raises(oss2.exceptions.NoSuchKey) as exc:
        oss_bucket.get_object("videos/does-not-exist")
    assert exc.value.status == 404 and exc.value.request_id
    with pytest.raises(oss2.exceptions.NoSuchKey) as head:
        oss_bucket.head_object("videos/does-not-exist")
    assert head.value.status == 404
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        oss_bucket.__class__(oss_bucket.auth, oss_bucket.endpoint, "no-such-bucket-xyz").get_object("k")


def test_head_404_has_no_body_and_x_oss_err(oss_env, oss_bucket):
    url = oss_bucket.sign_url("HEAD", "videos/missing-head", 60)
    resp = requests.head(url, timeout=10)
    assert resp.status_code == 404
    assert resp.content == b""
    doc = base64.b64decode(resp.headers["x-oss-err"])
    assert b"<Code>NoSuchKey</Code>" in doc and b"<RequestId>" in doc
    assert resp.headers["x-oss-request-id"]


def test_ranges(oss_bucket, oss_key):
    data = bytes(range(256)) * 10
    oss_bucket.put_object(oss_key, data)
    r = oss_bucket.get_object(oss_key, byte_range=(10, 19))
    assert r.status == 206 and r.read() == data[10:20]
    assert r.headers["Content-Range"] == f"bytes 10-19/{len(data)}"
    # the whole object's CRC-64, not the range's, as OSS sends it (aliyun-oss-java-sdk#256)
    assert r.headers["x-oss-hash-crc64ecma"] == oss_bucket.head_object(oss_key).headers["x-oss-hash-crc64ecma"]
    assert oss_bucket.get_object(oss_key, byte_range=(2500, None)).read() == data[2500:]
    assert oss_bucket.get_object(oss_key, byte_range=(None, 5)).read() == data[-5:]
    whole = oss_bucket.get_object(oss_key, byte_range=(5000, 6000))  # unsatisfiable → whole object
    assert whole.status == 200 and whole.read() == data
    url = oss_bucket.sign_url("GET", oss_key, 60)
    bad = requests.get(url, headers={"Range": "bytes=abc"}, timeout=10)
    assert bad.status_code == 200 and bad.content == data
    past_end = requests.get(url, headers={"Range": "bytes=2550-99999"}, timeout=10)
    assert past_end.status_code == 206 and past_end.content == data[2550:]


def test_conditional_gets(oss_bucket, oss_key):
    info = oss_bucket.put_object(oss_key, b"conditional")
    etag = info.etag
    assert oss_bucket.get_object(oss_key, headers={"If-Match": f'"{etag}"'}).read() == b"conditional"
    with pytest.raises(oss2.exceptions.PreconditionFailed):
        oss_bucket.get_object(oss_key, headers={"If-Match": '"0000"'})
    with pytest.raises(oss2.exceptions.NotModified):
        oss_bucket.get_object(oss_key, headers={"If-None-Match": f'"{etag}"'})
    future = formatdate(time.time() + 3600, usegmt=True)
    past = formatdate(time.time() - 3600, usegmt=True)
    with pytest.raises(oss2.exceptions.NotModified):
        oss_bucket.get_object(oss_key, headers={"If-Modified-Since": future})
    assert oss_bucket.get_object(oss_key, headers={"If-Modified-Since": past}).read() == b"conditional"
    with pytest.raises(oss2.exceptions.PreconditionFailed) as exc:
        oss_bucket.get_object(oss_key, headers={"If-Unmodified-Since": past})
    assert exc.value.status == 412
    assert oss_bucket.get_object(oss_key, headers={"If-Unmodified-Since": future}).read() == b"conditional"


def test_response_overrides(oss_bucket, oss_key):
    oss_bucket.put_object(oss_key, b"abc")
    r = oss_bucket.get_object(
        oss_key,
        params={
            "response-content-type": "text/plain",
            "response-content-disposition": "attachment; filename=a.ts",
            "response-cache-control": "no-cache",
        },
    )
    assert r.headers["Content-Type"] == "text/plain"
    assert r.headers["Content-Disposition"] == "attachment; filename=a.ts"
    assert r.headers["Cache-Control"] == "no-cache"


def test_forbid_overwrite(oss_bucket, oss_key):
    oss_bucket.put_object(oss_key, b"one", headers={"x-oss-forbid-overwrite": "true"})
    with pytest.raises(oss2.exceptions.ServerError) as exc:
        oss_bucket.put_object(oss_key, b"two", headers={"x-oss-forbid-overwrite": "true"})
    assert exc.value.code == "FileAlreadyExists"
    assert exc.value.status == 409
    assert oss_bucket.get_object(oss_key).read() == b"one"


def test_append_object_with_crc(oss_env, oss_key):
    bucket = oss_env.bucket(enable_crc=True)
    first = bucket.append_object(oss_key, 0, b"a" * 1000, init_crc=0)
    assert first.next_position == 1000
    second = bucket.append_object(oss_key, first.next_position, b"b" * 500, init_crc=first.crc)
    assert second.next_position == 1500
    head = bucket.head_object(oss_key)
    assert head.object_type == "Appendable"
    assert head.headers["x-oss-next-append-position"] == "1500"
    with pytest.raises(oss2.exceptions.PositionNotEqualToLength) as exc:
        bucket.append_object(oss_key, 10, b"c")
    assert exc.value.status == 409
    assert exc.value.headers["x-oss-next-append-position"] == "1500"
    assert bucket.get_object(oss_key).read() == b"a" * 1000 + b"b" * 500
    bucket.put_object(oss_key + "-normal", b"n")
    with pytest.raises(oss2.exceptions.ObjectNotAppendable):
        bucket.append_object(oss_key + "-normal", 1, b"x")
    with pytest.raises(oss2.exceptions.ServerError) as bad:
        bucket.append_object(oss_key, -1, b"x")
    assert bad.value.code == "InvalidArgument"


def test_copy_object_copy_and_replace(oss_bucket, oss_key):
    oss_bucket.put_object(oss_key, b"copy me", headers={"Content-Type": "video/mp4", "x-oss-meta-a": "1"})
    result = oss_bucket.copy_object(oss_bucket.bucket_name, oss_key, oss_key + "-copy")
    assert result.etag == hashlib.md5(b"copy me").hexdigest().upper()
    copied = oss_bucket.get_object(oss_key + "-copy")
    assert copied.read() == b"copy me" and copied.headers["x-oss-meta-a"] == "1"
    oss_bucket.copy_object(
        oss_bucket.bucket_name,
        oss_key,
        oss_key + "-repl",
        headers={"x-oss-metadata-directive": "REPLACE", "Content-Type": "text/plain", "x-oss-meta-b": "2"},
    )
    replaced = oss_bucket.head_object(oss_key + "-repl")
    assert replaced.content_type == "text/plain"
    assert replaced.headers.get("x-oss-meta-b") == "2" and "x-oss-meta-a" not in replaced.headers
    with pytest.raises(oss2.exceptions.NoSuchKey):
        oss_bucket.copy_object(oss_bucket.bucket_name, oss_key + "-absent", oss_key + "-x")


def test_delete_and_batch_delete(oss_bucket, oss_key):
    keys = [f"{oss_key}/{i} é+" for i in range(5)]
    for k in keys:
        oss_bucket.put_object(k, b"d")
    oss_bucket.delete_object(keys[0])
    oss_bucket.delete_object(keys[0])  # idempotent
    assert not oss_bucket.object_exists(keys[0])
    result = oss_bucket.batch_delete_objects(keys[1:] + [oss_key + "/never-existed"])
    assert sorted(result.deleted_keys) == sorted(keys[1:] + [oss_key + "/never-existed"])
    assert [o.key for o in oss2.ObjectIterator(oss_bucket, prefix=oss_key + "/")] == []


def test_batch_delete_quiet_and_md5_required(oss_env, oss_bucket, oss_key):
    oss_bucket.put_object(oss_key, b"q")
    body = f"<Delete><Quiet>true</Quiet><Object><Key>{oss_key}</Key></Object></Delete>".encode()
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    resp = oss_bucket._Bucket__do_bucket(
        "POST", params={"delete": ""}, data=body, headers={"Content-MD5": md5}
    )
    text = resp.read()
    assert b"<Deleted>" not in text and b"DeleteResult" in text
    assert not oss_bucket.object_exists(oss_key)
    with pytest.raises(oss2.exceptions.ServerError) as exc:
        oss_bucket._Bucket__do_bucket("POST", params={"delete": ""}, data=body)
    assert exc.value.status == 400 and exc.value.code == "InvalidDigest"
    too_many = "<Delete>" + "".join(f"<Object><Key>k{i}</Key></Object>" for i in range(1001)) + "</Delete>"
    md5 = base64.b64encode(hashlib.md5(too_many.encode()).digest()).decode()
    with pytest.raises(oss2.exceptions.ServerError) as many:
        oss_bucket._Bucket__do_bucket(
            "POST", params={"delete": ""}, data=too_many.encode(), headers={"Content-MD5": md5}
        )
    assert many.value.code == "MalformedXML"


def test_download_with_crc_and_resumable(oss_env, oss_key, tmp_path):
    bucket = oss_env.bucket(enable_crc=True)
    data = bytes(range(256)) * (3 * 4096 + 17)  # ~3 MB
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    oss2.resumable_upload(
        bucket,
        oss_key,
        str(src),
        multipart_threshold=200 * 1024,
        part_size=256 * 1024,
        num_threads=2,
        store=oss2.ResumableStore(root=str(tmp_path)),
    )
    head = bucket.head_object(oss_key)
    assert head.object_type == "Multipart" and head.content_length == len(data)
    assert bucket.get_object(oss_key).read() == data  # whole-object CRC checked by oss2
    dst = tmp_path / "dst.bin"
    oss2.resumable_download(
        bucket,
        oss_key,
        str(dst),
        multiget_threshold=200 * 1024,
        part_size=300 * 1024,
        num_threads=3,
        store=oss2.ResumableDownloadStore(root=str(tmp_path)),
    )
    assert dst.read_bytes() == data
