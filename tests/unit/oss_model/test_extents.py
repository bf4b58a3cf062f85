"""CompleteMultipartUpload keeps the parts as the object's extents: no copy, and nothing leaks."""

from __future__ import annotations

import io
import os

import pytest
from localcloud.oss.model.crc import crc64
from localcloud.oss.model.types import ObjectHeaders

pytestmark = pytest.mark.unit

KIB = 1024


def _multipart(ossm, key: str, chunks: list[bytes]):  # type: ignore[no-untyped-def]
    up = ossm.store.initiate_multipart(ossm.bucket, key, headers=ObjectHeaders())
    parts = [ossm.store.upload_part(ossm.bucket, key, upload_id=up.upload_id, part_number=i + 1, body=io.BytesIO(c),
                                    length=len(c))
             for i, c in enumerate(chunks)]
    return ossm.store.complete_multipart(ossm.bucket, key, upload_id=up.upload_id, parts=[(p.part_number,
                                                                                           p.etag) for p in parts])


def _extent_dirs(ossm) -> list[str]:
    return sorted(p.name for p in (ossm.root / "buckets" / ossm.bucket / "extents").iterdir())


def test_complete_links_parts_instead_of_copying(ossm) -> None:
    chunks = [os.urandom(200 * KIB), os.urandom(100 * KIB), os.urandom(7)]
    info = _multipart(ossm, "clip.ts", chunks)
    whole = b"".join(chunks)
    assert ossm.read("clip.ts") == whole and info.crc64 == crc64(whole)
    folder = ossm.root / "buckets" / ossm.bucket / "extents" / info.extent_dir
    files = sorted(folder.iterdir())
    assert [f.stat().st_size for f in files] == [len(c) for c in chunks]
    assert all(f.stat().st_nlink == 1 for f in files)  # the upload folder's links are gone
    obj_file = next((ossm.root / "buckets" / ossm.bucket / "objects").glob("*/*"))
    assert obj_file.stat().st_size < 64 * KIB  # header only: the data was not copied in
    _, reader = ossm.store.open_object(ossm.bucket, "clip.ts")
    with reader:  # reads across extent boundaries
        reader.seek(200 * KIB - 3)
        assert reader.read(6) == whole[200 * KIB - 3: 200 * KIB + 3]
        spans = reader.spans(200 * KIB - 3, 100 * KIB + 10)
        assert [count for _, _, count in spans] == [3, 100 * KIB, 7]


def test_overwrite_and_delete_drop_the_extents_but_not_an_open_reader(ossm) -> None:
    chunks = [os.urandom(150 * KIB), os.urandom(50 * KIB)]
    _multipart(ossm, "a", chunks)
    first = _extent_dirs(ossm)
    assert len(first) == 1
    _, reader = ossm.store.open_object(ossm.bucket, "a")
    ossm.put("a", b"small")  # overwrite by a Normal object
    assert _extent_dirs(ossm) == [] and ossm.read("a") == b"small"
    with reader:
        assert reader.read() == b"".join(chunks)
    _multipart(ossm, "a", chunks)
    ossm.store.delete_object(ossm.bucket, "a")
    assert _extent_dirs(ossm) == []


def test_refused_complete_keeps_the_upload_and_leaks_nothing(ossm) -> None:
    ossm.put("k", b"old")
    up = ossm.store.initiate_multipart(ossm.bucket, "k", headers=ObjectHeaders())
    part = ossm.store.upload_part(ossm.bucket, "k", upload_id=up.upload_id, part_number=1,
                                  body=io.BytesIO(b"x" * 10), length=10)
    with pytest.raises(Exception) as info:
        ossm.store.complete_multipart(ossm.bucket, "k", upload_id=up.upload_id, parts=[(1, part.etag)],
                                      forbid_overwrite=True)
    assert getattr(info.value, "code", "") == "FileAlreadyExists"
    assert _extent_dirs(ossm) == [] and ossm.read("k") == b"old"
    ossm.store.complete_multipart(ossm.bucket, "k", upload_id=up.upload_id, parts=[(1, part.etag)])
    assert ossm.read("k") == b"x" * 10


def test_orphaned_extents_are_collected_at_startup_and_live_ones_kept(ossm) -> None:
    chunks = [os.urandom(120 * KIB), os.urandom(3)]
    _multipart(ossm, "live", chunks)
    orphan = ossm.root / "buckets" / ossm.bucket / "extents" / "deadbeef"
    orphan.mkdir()
    (orphan / "00000").write_bytes(b"lost")
    ossm.reopen()
    assert len(_extent_dirs(ossm)) == 1 and ossm.read("live") == b"".join(chunks)
