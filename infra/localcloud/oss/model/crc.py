"""CRC-64/XZ (ECMA-182 reflected), the `x-oss-hash-crc64ecma` of OSS, computed as oss2 does.

Streaming uses crcmod's C extension; combining two CRCs (append, multipart) uses oss2's combine
function, so an object's CRC never needs a second pass over its bytes.
"""

from __future__ import annotations

from collections.abc import Callable

import crcmod
from oss2.crc64_combine import mkCombineFun

_POLY = 0x142F0E1EBA9EA3693
_XOROUT = 0xFFFFFFFFFFFFFFFF

_crc_fun: Callable[..., int] = crcmod.mkCrcFun(_POLY, initCrc=0, rev=True, xorOut=_XOROUT)
_combine_fun: Callable[[int, int, int], int] = mkCombineFun(_POLY, initCrc=0, rev=True, xorOut=_XOROUT)


def crc64(data: bytes | memoryview, crc: int = 0) -> int:
    """CRC of `data`, continuing from `crc` (the CRC of the bytes before it; 0 for none)."""
    return int(_crc_fun(data, crc))


def crc64_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC of A+B from crc(A), crc(B) and len(B)."""
    if len2 == 0:
        return crc1
    return int(_combine_fun(crc1, crc2, len2))
