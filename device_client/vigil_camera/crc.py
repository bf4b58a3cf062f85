"""CRC-64/XZ (OSS `x-oss-hash-crc64ecma`) of files and parts, streamed in bounded chunks."""

from __future__ import annotations

from pathlib import Path

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
