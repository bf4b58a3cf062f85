"""File-like access to objects, parity with the OSS Media C SDK's `oss_media_file_*`:
`open(key, mode)` → write ("w"), append ("a"), read ("r"); plus `stat` and `delete`.

* "w": bytes are buffered up to one part; small files are one PutObject on close, larger ones
  stream as multipart (memory bounded by `part_size`). `forbid_overwrite` (default on) sends
  `x-oss-forbid-overwrite: true`.
* "a": each `write` is an AppendObject at the known position. The device token cannot HEAD, so an
  unknown position is learned from OSS itself: a `PositionNotEqualToLength` carries the object's
  real length in `x-oss-next-append-position`. After a lost response, that header equal to
  position + length means the append landed; anything else is a resync, then a retry.
* "r": ranged GETs with seek/tell (needs a token that grants read, e.g. an operator parity token).
"""

from __future__ import annotations

import io
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import oss2
from oss2.models import PartInfo

from . import logs
from .backoff import Backoff
from .crc import crc64_bytes, crc64_combine, without_crc
from .ossclient import DeviceOss, content_type_for, is_transient, upload_headers
from .upload import MiB, UploadError

log = logs.get("vigil_camera.files")


@dataclass(frozen=True)
class ObjectStat:
    key: str
    size: int
    etag: str
    crc64: int | None
    object_type: str
    last_modified: int
    next_append_position: int | None


def stat(oss: DeviceOss, key: str) -> ObjectStat:
    head = oss.call(lambda b: b.head_object(key), "head_object")
    nxt = head.headers.get("x-oss-next-append-position")
    return ObjectStat(key, int(head.content_length or 0), head.etag, head.server_crc, head.object_type,
                      int(head.last_modified or 0), int(nxt) if nxt is not None else None)


def delete(oss: DeviceOss, key: str) -> None:
    oss.call(lambda b: b.delete_object(key), "delete_object")


class OssFile(io.RawIOBase):
    def __init__(self, oss: DeviceOss, key: str, mode: str = "r", *, part_size: int = 8 * MiB,
                 forbid_overwrite: bool = True, position: int | None = None) -> None:
        super().__init__()
        if mode not in ("r", "w", "a"):
            raise ValueError("mode must be 'r', 'w' or 'a'")
        self.oss = oss
        self.key = key
        self.mode = mode
        self.part_size = part_size
        self.headers = upload_headers(key, forbid_overwrite=forbid_overwrite)
        self._buf = bytearray()
        self._pos = 0
        self._upload_id: str | None = None
        self._parts: list[PartInfo] = []
        self._crc = 0
        self._written = 0
        self._size: int | None = None
        self.append_position: int | None = position if mode == "a" else None
        self._append_crc: int | None = 0 if position == 0 else None
        self.result: Any = None

    # -- io.RawIOBase -----------------------------------------------------------------------------
    def readable(self) -> bool:
        return self.mode == "r"

    def writable(self) -> bool:
        return self.mode in ("w", "a")

    def seekable(self) -> bool:
        return self.mode == "r"

    def tell(self) -> int:
        if self.mode == "a":
            return self.append_position or 0
        return self._pos if self.mode == "r" else self._written

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if self.mode != "r":
            raise io.UnsupportedOperation("seek is for read mode")
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size()}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def size(self) -> int:
        if self._size is None:
            self._size = stat(self.oss, self.key).size
        return self._size

    def stat(self) -> ObjectStat:
        return stat(self.oss, self.key)

    def read(self, size: int | None = -1) -> bytes:
        if self.mode != "r":
            raise io.UnsupportedOperation("not open for reading")
        total = self.size()
        if self._pos >= total or size == 0:
            return b""
        end = total - 1 if size is None or size < 0 else min(total, self._pos + size) - 1
        start = self._pos
        data = self.oss.call(lambda b: b.get_object(self.key, byte_range=(start, end)).read(), "get_object")
        self._pos += len(data)
        return bytes(data)

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def write(self, data: Any) -> int:
        data = bytes(data)
        if self.mode == "a":
            self._append(data)
            return len(data)
        if self.mode != "w":
            raise io.UnsupportedOperation("not open for writing")
        self._buf.extend(data)
        while len(self._buf) >= self.part_size:
            chunk = bytes(self._buf[: self.part_size])
            del self._buf[: self.part_size]
            self._upload_part(chunk)
        return len(data)

    def close(self) -> None:
        if self.closed:
            return
        try:
            if self.mode == "w":
                self._finish_write()
        finally:
            super().close()

    def __enter__(self) -> OssFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is not None and self.mode == "w":
            self._abort()          # an exception mid-write must not publish a truncated object
            super().close()
            return
        self.close()

    # -- write ------------------------------------------------------------------------------------
    def _upload_part(self, chunk: bytes) -> None:
        if self._upload_id is None:
            init = self.oss.call(lambda b: b.init_multipart_upload(self.key, headers=dict(self.headers)),
                                 "init_multipart")
            self._upload_id = init.upload_id
        number = len(self._parts) + 1
        upload_id = self._upload_id
        part_crc = crc64_bytes(chunk)   # once, here: oss2's own CRC pass and part combine are off
        res = self.oss.call(lambda b: without_crc(b).upload_part(self.key, upload_id, number, chunk),
                            "upload_part")
        if res.crc is not None and res.crc != part_crc:
            raise UploadError(f"CRC mismatch for part {number} of {self.key}")
        self._parts.append(PartInfo(number, res.etag, size=len(chunk), part_crc=part_crc))
        self._crc = crc64_combine(self._crc, part_crc, len(chunk))
        self._written += len(chunk)

    def _finish_write(self) -> None:
        if self._upload_id is None:
            body = bytes(self._buf)
            self._buf.clear()
            self.result = self.oss.call(lambda b: b.put_object(self.key, body, headers=dict(self.headers)),
                                        "put_object")
            self._written += len(body)
            if self.result.crc is not None and self.result.crc != crc64_bytes(body):
                raise UploadError(f"CRC mismatch for {self.key}")
            return
        if self._buf:
            self._upload_part(bytes(self._buf))
            self._buf.clear()
        upload_id = self._upload_id
        self.result = self.oss.call(
            lambda b: without_crc(b).complete_multipart_upload(self.key, upload_id, self._parts,
                                                               headers=dict(self.headers)),
            "complete_multipart")
        if self.result.crc is not None and self.result.crc != self._crc:
            raise UploadError(f"CRC mismatch for {self.key}")

    def _abort(self) -> None:
        if self._upload_id is None:
            return
        upload_id = self._upload_id
        try:
            self.oss.call(lambda b: b.abort_multipart_upload(self.key, upload_id), "abort_multipart")
        except oss2.exceptions.OssError as exc:
            log.info("abort failed (ignored)", extra={"key": self.key, "code": getattr(exc, "code", "")})

    # -- append -----------------------------------------------------------------------------------
    def _append(self, data: bytes) -> None:
        """Append `data` exactly once at the end of the object (see the module docstring)."""
        position = self.append_position if self.append_position is not None else 0
        maybe_landed = False     # a request went out and its answer was lost
        backoff = Backoff(base=self.oss.backoff_base, cap=self.oss.backoff_cap)
        for _ in range(self.oss.attempts + 8):
            init_crc = self._append_crc if position == self.append_position else None

            def op(bucket: oss2.Bucket, position: int = position, init_crc: int | None = init_crc) -> Any:
                return bucket.append_object(self.key, position, data, init_crc=init_crc,
                                            headers={"Content-Type": content_type_for(self.key)})

            try:
                result = self.oss.call(op, "append_object", retry_transient=False)
            except oss2.exceptions.PositionNotEqualToLength as exc:
                if maybe_landed and exc.next_position == position + len(data):
                    log.info("append already applied", extra={"key": self.key, "position": position})
                    self._advance(position, data, None)
                    return
                log.info("append position resync", extra={"key": self.key, "position": position,
                                                          "next": exc.next_position})
                self.append_position = position = exc.next_position
                self._append_crc = None
                maybe_landed = False
                continue
            except oss2.exceptions.OssError as exc:
                if not is_transient(exc):
                    raise
                maybe_landed = True
                self.oss.status.incr("retries")
                delay = backoff.next_delay()
                log.warning("append failed, retrying", extra={"key": self.key, "status": exc.status,
                                                              "retry_in": round(delay, 2)})
                time.sleep(delay)
                continue
            self._advance(position, data, result.crc)
            return
        raise UploadError(f"append to {self.key} did not settle")

    def _advance(self, position: int, data: bytes, server_crc: int | None) -> None:
        self.append_position = position + len(data)
        if server_crc is not None:
            self._append_crc = server_crc
        elif self._append_crc is not None:
            self._append_crc = crc64_combine(self._append_crc, crc64_bytes(data), len(data))
        self._written += len(data)


def open_object(oss: DeviceOss, key: str, mode: str = "r", **kwargs: Any) -> OssFile:
    """`oss_media_file_open`: a context-manager-friendly file on `key`."""
    return OssFile(oss, key, mode, **kwargs)
