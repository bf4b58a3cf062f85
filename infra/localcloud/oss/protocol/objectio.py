"""Object headers in and out: request headers → `ObjectHeaders`, `ObjectInfo` → response headers,
conditional requests (If-Match & co.) and byte ranges (bodies are sent by zerocopy.py).
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping

from localcloud.oss.errors import EntityTooLarge, InvalidArgument, InvalidDigest, PreconditionFailed
from localcloud.oss.model.types import MAX_OBJECT_SIZE, ObjectHeaders, ObjectInfo
from localcloud.oss.protocol.request import BodyReader
from localcloud.oss.protocol.responses import http_date, parse_http_date

META_PREFIX = "x-oss-meta-"
MAX_META_BYTES = 8 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
RESPONSE_OVERRIDES = {
    "response-content-type": "Content-Type",
    "response-content-language": "Content-Language",
    "response-expires": "Expires",
    "response-cache-control": "Cache-Control",
    "response-content-disposition": "Content-Disposition",
    "response-content-encoding": "Content-Encoding",
}




ARCHIVED = frozenset(("Archive", "ColdArchive", "DeepColdArchive"))


def restore_state(info: ObjectInfo, now: float) -> str | None:
    """`x-oss-restore` of HEAD/GET and `<RestoreInfo>` of listings, while a restored copy exists
    (localcloud restores at once, so it is never ongoing)."""
    if info.storage_class in ARCHIVED and info.restored_until > now:
        return f'ongoing-request="false", expiry-date="{http_date(info.restored_until)}"'
    return None


def object_headers(headers: Mapping[str, str]) -> ObjectHeaders:
    """The stored metadata a PUT / initiate / append carries."""
    meta = {k[len(META_PREFIX) :]: v for k, v in headers.items() if k.startswith(META_PREFIX)}
    if sum(len(k) + len(v) for k, v in meta.items()) > MAX_META_BYTES:
        raise InvalidArgument("User metadata must not exceed 8 KB.", "x-oss-meta-*")
    return ObjectHeaders(
        content_type=headers.get("content-type") or "application/octet-stream",
        content_disposition=headers.get("content-disposition") or None,
        content_encoding=headers.get("content-encoding") or None,
        cache_control=headers.get("cache-control") or None,
        expires=headers.get("expires") or None,
        meta=meta,
    )


def content_md5(headers: Mapping[str, str]) -> str | None:
    """The Content-MD5 header checked for shape (base64 of 16 bytes) → InvalidDigest otherwise."""
    value = headers.get("content-md5")
    if value is None:
        return None
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidDigest() from exc
    if len(raw) != 16:
        raise InvalidDigest()
    return value




def write_headers(info: ObjectInfo) -> dict[str, str]:
    """Headers of every write response: quoted ETag and the whole-object CRC-64."""
    out = {"ETag": f'"{info.etag}"', "x-oss-hash-crc64ecma": str(info.crc64)}
    if info.object_type == "Appendable" and info.next_append_position is not None:
        out["x-oss-next-append-position"] = str(info.next_append_position)
    return out


def read_headers(info: ObjectInfo, params: Mapping[str, str] | None = None) -> dict[str, str]:
    """Headers of GET/HEAD: type, ETag, Last-Modified, object type, user metadata, overrides."""
    h = info.headers
    out = {
        "Content-Type": h.content_type or "application/octet-stream",
        "ETag": f'"{info.etag}"',
        "Last-Modified": http_date(info.last_modified),
        "Accept-Ranges": "bytes",
        "x-oss-object-type": info.object_type,
        "x-oss-storage-class": info.storage_class,
    }
    for name, value in (
        ("Content-Disposition", h.content_disposition),
        ("Content-Encoding", h.content_encoding),
        ("Cache-Control", h.cache_control),
        ("Expires", h.expires),
    ):
        if value:
            out[name] = value
    for key, value in h.meta.items():
        out[META_PREFIX + key] = value
    if info.object_type == "Appendable" and info.next_append_position is not None:
        out["x-oss-next-append-position"] = str(info.next_append_position)
    for param, header in RESPONSE_OVERRIDES.items():
        if params and param in params:
            out[header] = params[param]
    return out


def _etag_list(value: str) -> list[str]:
    return [v.strip().strip('"').upper() for v in value.split(",") if v.strip()]




def check_conditions(info: ObjectInfo, headers: Mapping[str, str]) -> bool:
    """Apply If-Match / If-Unmodified-Since (412) and If-None-Match / If-Modified-Since.

    Returns False when the answer is 304 Not Modified.
    """
    etag = info.etag.upper()
    modified = int(info.last_modified)
    if_match = headers.get("if-match")
    if if_match is not None and "*" not in if_match and etag not in _etag_list(if_match):
        raise PreconditionFailed()
    ius = headers.get("if-unmodified-since")
    if ius is not None and if_match is None:
        when = parse_http_date(ius)
        if when is not None and modified > when:
            raise PreconditionFailed()
    if_none = headers.get("if-none-match")
    if if_none is not None:
        if "*" in if_none or etag in _etag_list(if_none):
            return False
        return True
    ims = headers.get("if-modified-since")
    if ims is not None:
        when = parse_http_date(ims)
        if when is not None and modified <= when:
            return False
    return True


def parse_range(value: str | None, size: int) -> tuple[int, int] | None:
    """`bytes=s-e`, `bytes=s-`, `bytes=-n` → (start, end inclusive); None = whole object
    (no header, a malformed or unsatisfiable range: OSS then answers 200 with everything)."""
    if not value or size == 0:
        return None
    match = _RANGE_RE.match(value.strip())
    if not match:
        return None
    first, last = match.group(1), match.group(2)
    if first == "" and last == "":
        return None
    if first == "":
        n = int(last)
        if n == 0:
            return None
        return max(0, size - n), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        return None
    return start, min(end, size - 1)


class CappedReader(BodyReader):
    """Refuses a streamed (chunked) body once it passes the object size limit."""

    def __init__(self, inner: BodyReader, limit: int = MAX_OBJECT_SIZE) -> None:
        self._inner = inner
        self._limit = limit
        self._seen = 0

    def read(self, size: int | None = -1) -> bytes:
        data = self._inner.read(-1 if size is None else size)
        self._seen += len(data)
        if self._seen > self._limit:
            raise EntityTooLarge()
        return data
