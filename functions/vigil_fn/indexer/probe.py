"""Media facts of a clip in OSS from ranged GETs of its head and tail only.

The number of bytes read is bounded (HEAD_BYTES + TAIL_BYTES for TS, box headers + moov for MP4),
whatever the clip's size; `ProbeResult.bytes_read` reports it so the benchmark can prove it.

The first GET also answers what OSS holds — the object's ETag, its real size, its whole-object
CRC-64 (OSS sends the object's `x-oss-hash-crc64ecma` on a ranged GET too) and its `x-oss-meta-*`
headers — so the indexer confirms an event against OSS, and records the CRC-64 an evidence manifest
names, without a request of its own.

A TS clip's duration needs its last PTS, i.e. a second GET of the tail — unless the camera sent the
duration it read from its own file (`x-oss-meta-vigil-duration-ms`, `vigil_camera.clipduration`).
That value is taken only within checks (`camera_duration`): a whole number of ms, at most
MAX_CAMERA_DURATION_MS, and not shorter than what the head's own timestamps already span; else the
tail is read as before. A camera can write any timestamps into its own clips anyway, so the header
gives it no power it lacked — and only over its own rows (its day log, under its own key prefix).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from vigil_camera.clipduration import META_NAME as DURATION_META
from vigil_camera.crc import without_crc
from vigil_camera.mediafacts.common import MediaError, MediaInfo
from vigil_camera.mediafacts.mp4 import probe_mp4
from vigil_camera.mediafacts.ts import probe_ts

from ..core.bodies import read_body

HEAD_BYTES = 96 * 1024
TAIL_BYTES = 96 * 1024
MP4_MOOV_CAP = 1 << 20
MAX_CAMERA_DURATION_MS = 3_600_000      # a camera's duration header above an hour is not believed
_TOTAL_RE = re.compile(r"/(\d+)\s*$")
_CRC64_MAX = (1 << 64) - 1


def crc64_header(value: Any) -> str | None:
    """OSS's `x-oss-hash-crc64ecma` as the index keeps it (a decimal string), None when absent or not
    a 64-bit decimal: the index records only what OSS could have said."""
    text = str(value).strip() if value is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 20 or int(text) > _CRC64_MAX:
        return None
    return str(int(text))


@dataclass
class ProbeResult:
    info: MediaInfo | None
    error: str | None
    bytes_read: int
    etag: str = ""                                  # what OSS holds (upper hex, no quotes)
    size: int = 0                                   # the object's real size
    crc64: str | None = None                        # the whole object's CRC-64 as OSS reports it (decimal)
    meta: dict[str, str] = field(default_factory=dict)   # x-oss-meta-* (names lower-cased, no prefix)
    requests: int = 0
    duration_from_camera: bool = False              # the tail GET was spared by the camera's header


class RangeReader:
    """Ranged GETs of one object, counting requests and bytes. The first GET fetches at least the
    object's head and keeps it, so the small reads a container walk makes there cost nothing."""

    def __init__(self, bucket: Any, key: str) -> None:
        self.bucket, self.key = bucket, key
        self.size = -1
        self.etag = ""
        self.crc64: str | None = None
        self.meta: dict[str, str] = {}
        self.bytes_read = 0
        self.requests = 0
        self._head = b""

    def _get(self, start: int, end: int) -> bytes:
        # the CRC-less twin, body read in one go: a ranged answer has no whole-object CRC that oss2
        # could compare, yet a CRC-enabled bucket builds a pure-Python CRC-64 table per GET and runs
        # it over the body 8 KiB at a time (profiled: the probe's largest CPU cost after the TS scan)
        result = without_crc(self.bucket).get_object(self.key, byte_range=(start, end))
        data = read_body(result)
        self.requests += 1
        self.bytes_read += len(data)
        if self.size < 0:
            headers = result.headers
            self.etag = str(result.etag or "").strip('"').upper()
            self.crc64 = crc64_header(headers.get("x-oss-hash-crc64ecma"))
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

    def result(info: MediaInfo | None, error: str | None, camera: bool = False) -> ProbeResult:
        return ProbeResult(info, error, reader.bytes_read, reader.etag, size, reader.crc64, reader.meta,
                           reader.requests, camera)

    if size <= 0:
        return result(None, "empty object")
    try:
        if ext == "mp4":
            info = probe_mp4(reader.read, size, MP4_MOOV_CAP)
        else:
            head = reader.read(0, HEAD_BYTES - 1)
            if size > HEAD_BYTES:
                info = probe_ts(head)
                claimed = camera_duration(reader.meta, info)
                if claimed is not None:
                    info.duration_ms = claimed
                    return result(info, None, camera=True)
                info = probe_ts(head, reader.read(max(HEAD_BYTES, size - TAIL_BYTES), size - 1))
            else:
                info = probe_ts(head)           # the whole clip is in the head: its own duration wins
    except MediaError as exc:
        return result(None, str(exc) or "unreadable media")
    return result(info, None)


def camera_duration(meta: dict[str, str], head_info: MediaInfo) -> int | None:
    """The camera's `x-oss-meta-vigil-duration-ms` when it passes the checks, else None (read the tail).

    Checks: digits only, 1..MAX_CAMERA_DURATION_MS, and at least what the head alone proves (its
    timestamps' span plus a frame, `head_info.duration_ms`): a claim shorter than the bytes already
    read is a lie or a bug, and the tail decides."""
    raw = meta.get(DURATION_META)
    if raw is None or not (raw.isascii() and raw.isdigit()) or len(raw) > 10:
        return None
    claimed = int(raw)
    if not 0 < claimed <= MAX_CAMERA_DURATION_MS:
        return None
    if head_info.duration_ms is not None and claimed < head_info.duration_ms:
        return None
    return claimed
