"""Media facts of a clip in OSS from ranged GETs of its head and tail only.

The number of bytes read is bounded (HEAD_BYTES + TAIL_BYTES for TS, box headers + moov for MP4),
whatever the clip's size; `ProbeResult.bytes_read` reports it so the benchmark can prove it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .media.common import MediaError, MediaInfo
from .media.mp4 import probe_mp4
from .media.ts import probe_ts

HEAD_BYTES = 96 * 1024
TAIL_BYTES = 96 * 1024
MP4_MOOV_CAP = 1 << 20


@dataclass
class ProbeResult:
    info: MediaInfo | None
    error: str | None
    bytes_read: int


class RangeReader:
    """Ranged GETs of one object version, counting the bytes they return."""

    def __init__(self, bucket: Any, key: str, size: int) -> None:
        self.bucket, self.key, self.size = bucket, key, size
        self.bytes_read = 0

    def read(self, start: int, end: int) -> bytes:
        """Bytes start..end inclusive (clipped to the object)."""
        end = min(end, self.size - 1)
        if start > end:
            return b""
        data: bytes = self.bucket.get_object(self.key, byte_range=(start, end)).read()
        self.bytes_read += len(data)
        return data


def probe_object(bucket: Any, key: str, size: int, ext: str) -> ProbeResult:
    """Probe a clip; media errors become a result with `error`, OSS errors propagate (FC retries)."""
    reader = RangeReader(bucket, key, size)
    if size <= 0:
        return ProbeResult(None, "empty object", 0)
    try:
        if ext == "mp4":
            info = probe_mp4(reader.read, size, MP4_MOOV_CAP)
        else:
            head = reader.read(0, HEAD_BYTES - 1)
            tail = reader.read(max(HEAD_BYTES, size - TAIL_BYTES), size - 1) if size > HEAD_BYTES else b""
            info = probe_ts(head, tail)
    except MediaError as exc:
        return ProbeResult(None, str(exc) or "unreadable media", reader.bytes_read)
    return ProbeResult(info, None, reader.bytes_read)
