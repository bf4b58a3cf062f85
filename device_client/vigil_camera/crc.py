"""CRC-64/XZ (OSS `x-oss-hash-crc64ecma`) of files and parts, streamed in bounded chunks."""

from __future__ import annotations

import copy
import weakref
from pathlib import Path

import oss2
from oss2.utils import Crc64

CHUNK = 1 << 20


def crc64_file(path: Path, offset: int = 0, length: int | None = None) -> int:
    crc = Crc64()
    with open(path, "rb") as fh:
        fh.seek(offset)
        remaining = length
        while remaining is None or remaining > 0:
            block = fh.read(CHUNK if remaining is None else min(CHUNK, remaining))
            if not block:
                break
            crc.update(block)
            if remaining is not None:
                remaining -= len(block)
    return int(crc.crc)


def crc64_bytes(data: bytes, init: int = 0) -> int:
    crc = Crc64(init)
    crc.update(data)
    return int(crc.crc)


def crc64_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC of A+B from CRC(A), CRC(B) and len(B)."""
    return int(Crc64().combine(crc1, crc2, len2))


_WITHOUT: weakref.WeakKeyDictionary[oss2.Bucket, oss2.Bucket] = weakref.WeakKeyDictionary()


def without_crc(bucket: oss2.Bucket) -> oss2.Bucket:
    """The same bucket (auth, session, endpoint: a shallow copy) without oss2's streaming CRC-64.

    For a caller that already knows the CRC it expects and compares it with the one OSS returns
    (`x-oss-hash-crc64ecma`): oss2's own pass over the body (crcmod, ~0.5 GB/s holding the GIL)
    would compute it a second time. The indexer uses it for GETs whose CRC nothing checks.
    """
    if not getattr(bucket, "enable_crc", False):
        return bucket
    twin = _WITHOUT.get(bucket)
    if twin is None:
        twin = copy.copy(bucket)
        twin.enable_crc = False
        _WITHOUT[bucket] = twin
    return twin
