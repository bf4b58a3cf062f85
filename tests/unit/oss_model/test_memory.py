"""Memory stays bounded by the chunk size, whatever the object size (put, copy, multipart)."""

from __future__ import annotations

import hashlib
import io
import tracemalloc

import pytest
from localcloud.oss.model.crc import crc64
from localcloud.oss.model.types import ObjectHeaders

pytestmark = pytest.mark.unit

MIB = 1024 * 1024


class Pattern(io.RawIOBase):
    """`size` bytes produced on demand (never held whole)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.left = size
        self.md5 = hashlib.md5()
        self.crc = 0

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        block = (b"0123456789abcdef" * (n // 16 + 1))[:n]
        self.left -= n
        self.md5.update(block)
        self.crc = crc64(block, self.crc)
        return block


def _peak(fn) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_put_and_copy_of_32_mib_stay_under_8_mib(ossm) -> None:
    body = Pattern(32 * MIB)
    peak = _peak(lambda: ossm.store.put_object(ossm.bucket, "big", body=body, length=None, headers=ObjectHeaders()))
    info = ossm.store.head_object(ossm.bucket, "big")
    assert info.size == 32 * MIB and info.etag == body.md5.hexdigest().upper() and info.crc64 == body.crc
    assert peak < 8 * MIB, peak
    peak = _peak(lambda: ossm.store.copy_object(ossm.bucket, "copy", src_bucket=ossm.bucket, src_key="big",
                                                headers=None))
    assert ossm.store.head_object(ossm.bucket, "copy").crc64 == body.crc
    assert peak < 8 * MIB, peak


def test_multipart_complete_does_not_load_parts(ossm) -> None:
    up = ossm.store.initiate_multipart(ossm.bucket, "mp", headers=ObjectHeaders())
    parts = []
    for n in range(1, 4):
        p = ossm.store.upload_part(ossm.bucket, "mp", upload_id=up.upload_id, part_number=n, body=Pattern(6 * MIB),
                                   length=6 * MIB)
        parts.append((n, p.etag))
    peak = _peak(lambda: ossm.store.complete_multipart(ossm.bucket, "mp", upload_id=up.upload_id, parts=parts))
    assert ossm.store.head_object(ossm.bucket, "mp").size == 18 * MIB
    assert peak < 1 * MIB, peak
