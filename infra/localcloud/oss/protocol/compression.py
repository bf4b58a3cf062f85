"""GetObject with `Accept-Encoding: gzip`: OSS compresses common web text on the way out.

As OSS documents it: objects of 1 KB or more whose Content-Type is one of the types below, asked
for whole (no Range). The answer carries `Content-Encoding: gzip` and `Vary: Accept-Encoding`,
and no ETag, Content-Length or Accept-Ranges (the body is chunked); `x-oss-hash-crc64ecma` stays
the stored object's, which is why SDKs skip their CRC check on such reads.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from typing import Protocol

MIN_SIZE = 1024
TYPES = frozenset((
    "text/cache-manifest", "text/xml", "text/css", "text/html", "text/plain", "application/javascript",
    "application/x-javascript", "application/rss+xml", "application/json", "text/json",
))
CHUNK = 1 << 20
DROPPED = ("etag", "content-length", "accept-ranges")


class _Readable(Protocol):
    def read(self, size: int = -1) -> bytes: ...


def wanted(accept_encoding: str, content_type: str, size: int, ranged: bool) -> bool:
    """Does this GET get a gzip body?"""
    codings = {c.split(";")[0].strip().lower() for c in accept_encoding.split(",")}
    base = content_type.split(";")[0].strip().lower()
    return "gzip" in codings and base in TYPES and size >= MIN_SIZE and not ranged


def headers(plain: dict[str, str]) -> dict[str, str]:
    out = {k: v for k, v in plain.items() if k.lower() not in DROPPED}
    out["Content-Encoding"] = "gzip"
    out["Vary"] = "Accept-Encoding"
    return out


def gzip_stream(reader: _Readable, size: int) -> Iterator[bytes]:
    """The object's `size` bytes, gzip-compressed a chunk at a time (memory stays one chunk)."""
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: the gzip container
    left = size
    while left > 0:
        data = reader.read(min(CHUNK, left))
        if not data:
            break
        left -= len(data)
        out = packer.compress(data)
        if out:
            yield out
    yield packer.flush()
