"""Media facts of a clip in OSS from ranged GETs of its head and tail only.

The number of bytes read is bounded (HEAD_BYTES + TAIL_BYTES for TS, box headers + moov for MP4),
whatever the clip's size; `ProbeResult.bytes_read` reports it so the benchmark can prove it.

The first GET also answers what OSS holds — the object's ETag, its real size and its
`x-oss-meta-*` headers — so the indexer confirms an event against OSS without a request of its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .media.common import MediaError, MediaInfo
from .media.mp4 import probe_mp4
from .media.ts import probe_ts

HEAD_BYTES = 96 * 1024
TAIL_BYTES = 96 * 1024
MP4_MOOV_CAP = 1 << 20
_TOTAL_RE = re.compile(r"/(\d+)\s*$")


@dataclass
class ProbeResult:
    info: MediaInfo | None
    error: str | None
    bytes_read: int
    etag: str = ""                                  # what OSS holds (upper hex, no quotes)
    size: int = 0                                   # the object's real size
    meta: dict[str, str] = field(default_factory=dict)   # x-oss-meta-* (names lower-cased, no prefix)
    requests: int = 0


class RangeReader:
    """Ranged GETs of one object, counting requests and bytes. The first GET fetches at least the
    object's head and keeps it, so the small reads a container walk makes there cost nothing."""

    def __init__(self, bucket: Any, key: str) -> None:
        self.bucket, self.key = bucket, key
        self.size = -1
        self.etag = ""
        self.meta: dict[str, str] = {}
        self.bytes_read = 0
        self.requests = 0
        self._head = b""

    def _get(self, start: int, end: int) -> bytes:
        result = self.bucket.get_object(self.key, byte_range=(start, end))
        data: bytes = result.read()
        self.requests += 1
        self.bytes_read += len(data)
        if self.size < 0:
            headers = result.headers
            self.etag = str(result.etag or "").strip('"').upper()
            total = _TOTAL_RE.search(str(headers.get("Content-Range", "")))
            self.size = int(total.group(1)) if total else len(data)   # 200: the whole (small) object
            self.meta = {k.lower()[len("x-oss-meta-"):]: str(v) for k, v in headers.items()
                         if k.lower().startswith("x-oss-meta-")}
        return data

    def open(self) -> None:
        """The first GET: the head, and with it the ETag, size and metadata OSS holds."""
        self._head = self._get(0, HEAD_BYTES - 1)

    def read(self, start: int, end: int) -> bytes:
        """Bytes start..end inclusive (clipped to the object)."""
        end = min(end, self.size - 1)
        if start > end:
            return b""
        if end < len(self._head):
            return self._head[start:end + 1]
        return self._get(start, end)


def probe_object(bucket: Any, key: str, ext: str) -> ProbeResult:
    """Probe a clip; media errors become a result with `error`, OSS errors propagate (FC retries)."""
    reader = RangeReader(bucket, key)
    reader.open()
    size = reader.size

    def result(info: MediaInfo | None, error: str | None) -> ProbeResult:
        return ProbeResult(info, error, reader.bytes_read, reader.etag, size, reader.meta, reader.requests)

    if size <= 0:
        return result(None, "empty object")
    try:
        if ext == "mp4":
            info = probe_mp4(reader.read, size, MP4_MOOV_CAP)
        else:
            head = reader.read(0, HEAD_BYTES - 1)
            tail = reader.read(max(HEAD_BYTES, size - TAIL_BYTES), size - 1) if size > HEAD_BYTES else b""
            info = probe_ts(head, tail)
    except MediaError as exc:
        return result(None, str(exc) or "unreadable media")
    return result(info, None)
