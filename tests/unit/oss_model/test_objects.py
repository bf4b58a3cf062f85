"""Objects: put/get/head/copy/delete/append, their error codes, metadata and their events."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import threading

import pytest
from localcloud.oss.errors import OSSError
from localcloud.oss.model.crc import crc64
from localcloud.oss.model.types import Caller, ObjectHeaders

pytestmark = pytest.mark.unit


def _err(fn, *args, **kw) -> OSSError:  # type: ignore[no-untyped-def]
    with pytest.raises(OSSError) as info:
        fn(*args, **kw)
    return info.value


def _md5_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def test_put_get_head_roundtrip(ossm) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)  # several 1 MiB chunks
    headers = ObjectHeaders(content_type="video/mp2t", cache_control="no-cache", meta={"device": "cam-01"})
    info = ossm.put("videos/cam-01/a.ts", data, headers=headers, content_md5=_md5_b64(data))
    assert info.etag == hashlib.md5(data).hexdigest().upper()
    assert info.crc64 == crc64(data) and info.size == len(data) and info.object_type == "Normal"
    assert ossm.read("videos/cam-01/a.ts") == data
    head = ossm.store.head_object(ossm.bucket, "videos/cam-01/a.ts")
    assert head.headers == headers and head.next_append_position is None
    assert ossm.reopen().head_object(ossm.bucket, "videos/cam-01/a.ts") == head


def test_put_without_length_reads_to_eof(ossm) -> None:
    info = ossm.store.put_object(ossm.bucket, "k", body=io.BytesIO(b"abc" * 1000), length=None, headers=ObjectHeaders())
    assert info.size == 3000 and ossm.read("k") == b"abc" * 1000


def test_reader_seek_and_ranges(ossm) -> None:
    ossm.put("k", bytes(range(256)))
    _, reader = ossm.store.open_object(ossm.bucket, "k")
    with reader:
        reader.seek(250)
        assert reader.read(100) == bytes(range(250, 256))
        reader.seek(-3, io.SEEK_END)
        assert reader.read() == bytes([253, 254, 255])
        reader.seek(10)
        buf = bytearray(5)
        assert reader.readinto(buf) == 5 and bytes(buf) == bytes(range(10, 15))


def test_bad_digest_keeps_nothing(ossm) -> None:
    e = _err(ossm.put, "k", b"hello", content_md5=_md5_b64(b"other"))
    assert (e.code, e.status) == ("InvalidDigest", 400)
    e = _err(ossm.put, "k", b"hello", content_md5="not base64!")
    assert e.code == "InvalidDigest"
    assert _err(ossm.store.head_object, ossm.bucket, "k").code == "NoSuchKey"
    assert ossm.events() == []
    assert list((ossm.root / "tmp").iterdir()) == []


def test_too_large_refused_before_reading(ossm) -> None:
    class Explodes(io.RawIOBase):
        def read(self, n: int = -1) -> bytes:
            raise AssertionError("the body must not be read")

    e = _err(ossm.store.put_object, ossm.bucket, "k", body=Explodes(), length=5 * 1024**3 + 1, headers=ObjectHeaders())
    assert (e.code, e.status) == ("EntityTooLarge", 400)


def test_short_body_leaves_nothing(ossm) -> None:
    ossm.put("k", b"old version")
    e = _err(ossm.store.put_object, ossm.bucket, "k", body=io.BytesIO(b"12345"), length=10, headers=ObjectHeaders())
    assert (e.code, e.status) == ("IncompleteBody", 400)
    assert ossm.read("k") == b"old version"
    assert list((ossm.root / "tmp").iterdir()) == []


def test_client_dying_mid_body_leaves_nothing(ossm) -> None:
    class Dies(io.RawIOBase):
        sent = 0

        def read(self, n: int = -1) -> bytes:
            if self.sent > 2 * 1024 * 1024:
                raise ConnectionResetError("peer went away")
            self.sent += n
            return b"x" * n

    with pytest.raises(ConnectionResetError):
        ossm.store.put_object(ossm.bucket, "k", body=Dies(), length=8 * 1024 * 1024, headers=ObjectHeaders())
    assert ossm.keys() == [] and ossm.events() == []
    assert list((ossm.root / "tmp").iterdir()) == []


def test_forbid_overwrite(ossm) -> None:
    ossm.put("k", b"1", forbid_overwrite=True)  # nothing there yet: allowed
    e = _err(ossm.put, "k", b"2", forbid_overwrite=True)
    assert (e.code, e.status) == ("FileAlreadyExists", 409)
    assert ossm.read("k") == b"1"


@pytest.mark.parametrize("key", ["", "/lead", "\\lead", "a" * 1024, "é" * 512, "bad\udcff"])
def test_invalid_object_names(ossm, key: str) -> None:
    e = _err(ossm.put, key, b"x")
    assert (e.code, e.status) == ("InvalidObjectName", 400)


@pytest.mark.parametrize("key", ["a b/c%20d+e.ts", "日本/🎥 clip.mp4", "a//b///c", "x" * 1023, "é" * 511])
def test_odd_but_valid_keys(ossm, key: str) -> None:
    ossm.put(key, key.encode())
    assert ossm.read(key) == key.encode()
    assert ossm.reopen().head_object(ossm.bucket, key).key == key


def test_reader_sees_one_version_despite_overwrite_and_delete(ossm) -> None:
    ossm.put("k", b"A" * 100_000)
    info, reader = ossm.store.open_object(ossm.bucket, "k")
    ossm.put("k", b"B" * 50)
    with reader:
        assert reader.read(10) == b"A" * 10
        ossm.store.delete_object(ossm.bucket, "k")
        assert reader.read() == b"A" * (100_000 - 10)
    assert info.size == 100_000


def test_delete_is_idempotent_and_evented_once(ossm) -> None:
    ossm.put("k", b"abc")
    gone = ossm.store.delete_object(ossm.bucket, "k", caller=Caller(request_id="req-1", principal_id="p1"))
    assert gone is not None and gone.size == 3
    assert ossm.store.delete_object(ossm.bucket, "k", caller=Caller(request_id="req-2")) is None
    evs = ossm.events()
    assert [e["eventName"] for e in evs] == ["ObjectCreated:PutObject", "ObjectRemoved:DeleteObject"]
    assert evs[1]["oss"]["object"] == {"deltaSize": -3, "eTag": gone.etag, "key": "k", "size": 0}
    assert evs[1]["responseElements"]["requestId"] == "req-1"
    assert evs[1]["userIdentity"]["principalId"] == "p1"
    ossm.put("j", b"x")
    ossm.store.delete_object(ossm.bucket, "j", event_name="ObjectRemoved:DeleteObjects")
    assert ossm.events()[-1]["eventName"] == "ObjectRemoved:DeleteObjects"


def test_put_event_shape(ossm) -> None:
    ossm.put("videos/a.ts", b"12345", caller=Caller(request_id="RID", principal_id="PID", source_ip="10.0.0.9"))
    ossm.put("videos/a.ts", b"12", caller=Caller(request_id="RID2"), event_name="ObjectCreated:PostObject")
    first, second = ossm.events()
    assert first == {
        "eventName": "ObjectCreated:PutObject", "eventSource": "acs:oss", "eventTime": first["eventTime"],
        "eventVersion": "1.0", "region": "cn-hangzhou",
        "oss": {"bucket": {"arn": f"acs:oss:cn-hangzhou:1234567890:{ossm.bucket}", "name": ossm.bucket,
                           "ownerIdentity": "1234567890"},
                "object": {"deltaSize": 5, "eTag": hashlib.md5(b"12345").hexdigest().upper(),
                           "key": "videos/a.ts", "size": 5},
                "ossSchemaVersion": "1.0", "ruleId": "localcloud"},
        "requestParameters": {"sourceIPAddress": "10.0.0.9"},
        "responseElements": {"requestId": "RID"},
        "userIdentity": {"principalId": "PID"},
    }
    assert len(first["eventTime"]) == 24 and first["eventTime"].endswith("Z")
    assert second["eventName"] == "ObjectCreated:PostObject"
    assert second["oss"]["object"]["deltaSize"] == -3


def test_append_semantics(ossm) -> None:
    e = _err(ossm.append, "log", 5, b"x")
    assert (e.code, e.status) == ("PositionNotEqualToLength", 409)
    assert e.headers == {"x-oss-next-append-position": "0"}
    h = ObjectHeaders(content_type="application/x-ndjson")
    first = ossm.append("log", 0, b"1234", headers=h)
    assert first.object_type == "Appendable" and first.next_append_position == 4
    second = ossm.append("log", 4, b"56789")
    assert second.etag != first.etag and second.size == 9
    assert second.crc64 == 0x995DC9BBDF1939FA  # crc of b"123456789" by combine
    assert second.headers == h
    e = _err(ossm.append, "log", 4, b"again")
    assert e.code == "PositionNotEqualToLength" and e.headers["x-oss-next-append-position"] == "9"
    assert ossm.read("log") == b"123456789"
    store = ossm.reopen()
    assert store.head_object(ossm.bucket, "log") == second
    ossm.append("log", 9, b"0", content_md5=_md5_b64(b"0"))
    assert ossm.read("log") == b"1234567890"
    e = _err(ossm.append, "log", 10, b"1", content_md5=_md5_b64(b"2"))
    assert e.code == "InvalidDigest"
    evs = ossm.events()
    assert [ev["eventName"] for ev in evs] == ["ObjectCreated:AppendObject"] * 3
    assert [ev["oss"]["object"]["deltaSize"] for ev in evs] == [4, 5, 1]
    assert [ev["oss"]["object"]["size"] for ev in evs] == [4, 9, 10]


def test_append_to_normal_is_refused(ossm) -> None:
    ossm.put("k", b"abc")
    e = _err(ossm.append, "k", 3, b"d")
    assert (e.code, e.status) == ("ObjectNotAppendable", 409)


def test_put_replaces_appendable(ossm) -> None:
    ossm.append("k", 0, b"abc")
    info = ossm.put("k", b"xyz!")
    assert info.object_type == "Normal" and ossm.read("k") == b"xyz!"
    assert _err(ossm.append, "k", 4, b"x").code == "ObjectNotAppendable"


def test_reader_of_appendable_is_bounded_to_its_version(ossm) -> None:
    ossm.append("k", 0, b"abc")
    _, reader = ossm.store.open_object(ossm.bucket, "k")
    ossm.append("k", 3, b"def")
    with reader:
        assert reader.read() == b"abc"


def test_many_appends_keep_crc(ossm) -> None:
    whole = b""
    for i in range(40):
        chunk = os.urandom(i * 7)
        info = ossm.append("k", len(whole), chunk)
        whole += chunk
    assert info.crc64 == crc64(whole) and ossm.read("k") == whole


def test_copy_object(ossm) -> None:
    ossm.store.create_bucket("other")
    h = ObjectHeaders(content_type="video/mp4", meta={"a": "1"})
    src = ossm.put("src", b"payload" * 1000, headers=h)
    copied = ossm.store.copy_object("other", "dst", src_bucket=ossm.bucket, src_key="src", headers=None,
                                    caller=Caller(request_id="r"))
    assert copied.headers == h and copied.etag == src.etag and copied.crc64 == src.crc64
    assert ossm.read("dst", bucket="other") == b"payload" * 1000
    replaced = ossm.store.copy_object(ossm.bucket, "src", src_bucket=ossm.bucket, src_key="src",
                                      headers=ObjectHeaders(meta={"b": "2"}))
    assert replaced.headers.meta == {"b": "2"} and ossm.read("src") == b"payload" * 1000
    e = _err(ossm.store.copy_object, ossm.bucket, "x", src_bucket=ossm.bucket, src_key="nope", headers=None)
    assert e.code == "NoSuchKey"
    e = _err(ossm.store.copy_object, "other", "dst", src_bucket=ossm.bucket, src_key="src", headers=None,
             forbid_overwrite=True)
    assert e.code == "FileAlreadyExists"
    names = [ev["eventName"] for ev in ossm.events()]
    assert names == ["ObjectCreated:PutObject", "ObjectCreated:CopyObject", "ObjectCreated:CopyObject"]


def test_concurrent_writers_to_one_key_end_with_one_whole_version(ossm) -> None:
    payloads = [bytes([65 + i]) * (200_000 + i * 1000) for i in range(8)]
    barrier = threading.Barrier(len(payloads))
    errors: list[BaseException] = []

    def write(data: bytes) -> None:
        try:
            barrier.wait()
            for _ in range(3):
                ossm.put("hot", data)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    final = ossm.read("hot")
    assert final in payloads
    head = ossm.store.head_object(ossm.bucket, "hot")
    assert head.size == len(final) and head.crc64 == crc64(final)
    assert ossm.keys() == ["hot"]
    assert ossm.reopen().head_object(ossm.bucket, "hot") == head
    assert len(ossm.events()) == 24
    assert list((ossm.root / "tmp").iterdir()) == []


def test_concurrent_appenders_never_lose_bytes(ossm) -> None:
    ossm.append("log", 0, b"")
    def appender(tag: bytes) -> None:
        done = 0
        while done < 20:
            pos = ossm.store.head_object(ossm.bucket, "log").size
            try:
                ossm.append("log", pos, tag)
                done += 1
            except OSSError as exc:
                assert exc.code == "PositionNotEqualToLength"

    threads = [threading.Thread(target=appender, args=(bytes([97 + i]) * 3,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    data = ossm.read("log")
    assert len(data) == 4 * 20 * 3
    assert sorted(data[i:i + 3] for i in range(0, len(data), 3)) == sorted(
        bytes([97 + i]) * 3 for i in range(4) for _ in range(20))
    assert ossm.store.head_object(ossm.bucket, "log").crc64 == crc64(data)
