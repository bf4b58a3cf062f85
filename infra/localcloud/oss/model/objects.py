"""The on-disk object file: one file per object version, metadata in a header, data after it.

Layout (little-endian):

    [magic "VGLOBJ01"][slot_size u32][reserved u32]     16 bytes
    [slot A: seq u64, len u32, crc32 u32, JSON ...]     slot_size bytes
    [slot B: same]                                      slot_size bytes
    [data ...]

A new version is written to a temp file, fsynced and renamed over the key's path: the visible
state changes by one rename, and a reader that opened the old file keeps reading the old inode.
Appendable objects are extended in place: the new bytes go after the committed size, are
fsynced, then the *other* slot gets the new metadata with seq+1. The valid slot (crc32 ok) with
the highest seq wins, so a torn slot write or a crash mid-append leaves the previous version.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import threading
import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ..errors import OSSError
from .crc import crc64

MAGIC = b"VGLOBJ01"
_HEADER = struct.Struct("<8sII")
_SLOT = struct.Struct("<QII")
CHUNK = 1024 * 1024


def bad_digest() -> OSSError:
    return OSSError("InvalidDigest", "The Content-MD5 you specified did not match what we received.", 400)


class CorruptObject(Exception):
    """An object file with no valid header (only ever a leftover of a crash before rename)."""


@dataclass
class Header:
    """The decoded header: the metadata JSON and where the data starts."""

    meta: dict[str, Any]
    seq: int
    slot: int
    slot_size: int

    @property
    def data_offset(self) -> int:
        return _HEADER.size + 2 * self.slot_size


PENDING_RESERVE = 3 * 6 * 128 + 256
"""Room in a slot for the change intent ("pending"): three strings clipped to 128 characters
(at most 6 bytes each once JSON-escaped) plus the fixed fields."""


def slot_size_for(meta: dict[str, Any]) -> int:
    """A slot big enough for this metadata after any number of appends (numbers at their widest)."""
    widest = dict(meta, size=10**13, crc64=2**64 - 1, lm=9999999999.999999, etag="F" * 40)
    widest.pop("pending", None)
    need = _SLOT.size + len(_dump(widest)) + 256 + PENDING_RESERVE
    return (need + 4095) // 4096 * 4096


def _dump(meta: dict[str, Any]) -> bytes:
    return json.dumps(meta, separators=(",", ":"), ensure_ascii=False).encode()


def encode_prefix(meta: dict[str, Any], slot_size: int) -> bytes:
    """Header + slot A (seq 1) + an empty slot B: the bytes before the data of a new file."""
    out = bytearray(_HEADER.pack(MAGIC, slot_size, 0))
    out += _encode_slot(1, meta, slot_size)
    out += bytes(slot_size)
    return bytes(out)


def _encode_slot(seq: int, meta: dict[str, Any], slot_size: int) -> bytes:
    body = _dump(meta)
    if _SLOT.size + len(body) > slot_size:
        raise ValueError("object metadata does not fit its header slot")
    return (_SLOT.pack(seq, len(body), zlib.crc32(body)) + body).ljust(slot_size, b"\0")


def write_slot(fd: int, header: Header, meta: dict[str, Any]) -> Header:
    """Write `meta` into the slot not in use, with seq+1 (the caller fsyncs)."""
    slot = 1 - header.slot
    raw = _encode_slot(header.seq + 1, meta, header.slot_size)
    os.pwrite(fd, raw, _HEADER.size + slot * header.slot_size)
    return Header(meta, header.seq + 1, slot, header.slot_size)


def read_header(fd: int) -> Header:
    """Decode the header of an open object file; raises CorruptObject."""
    head = os.pread(fd, _HEADER.size, 0)
    if len(head) != _HEADER.size:
        raise CorruptObject("short header")
    magic, slot_size, _ = _HEADER.unpack(head)
    if magic != MAGIC or slot_size < _SLOT.size:
        raise CorruptObject("bad magic")
    slots = os.pread(fd, 2 * slot_size, _HEADER.size)
    best: Header | None = None
    for i in (0, 1):
        raw = slots[i * slot_size:(i + 1) * slot_size]
        if len(raw) < _SLOT.size:
            continue
        seq, length, crc = _SLOT.unpack_from(raw)
        body = raw[_SLOT.size:_SLOT.size + length]
        if seq == 0 or len(body) != length or zlib.crc32(body) != crc:
            continue
        if best is None or seq > best.seq:
            best = Header(json.loads(body), seq, i, slot_size)
    if best is None:
        raise CorruptObject("no valid slot")
    return best


class Readable(Protocol):
    """Anything with `read(n) -> bytes` (a socket file, BytesIO, an ObjectReader)."""

    def read(self, size: int = ..., /) -> bytes: ...


@dataclass
class StreamResult:
    size: int
    md5: bytes
    crc64: int


_IO_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="oss-io")
_PIECE = 256 * 1024


def _too_large() -> OSSError:
    return OSSError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", 400)


_GROW = 8 * CHUNK


def _reserve(fd: int, offset: int, count: int) -> int:
    """posix_fallocate `count` bytes at `offset`; returns what was reserved (0 if unsupported)."""
    try:
        os.posix_fallocate(fd, offset, count)
    except OSError:
        return 0
    return count


def _write_all(fd: int, data: bytes | memoryview, pos: int) -> None:
    view = memoryview(data)
    while view:
        n = os.pwrite(fd, view, pos)
        pos += n
        view = view[n:]


def _started(fn: Callable[..., None], *args: Any) -> Future[None]:
    """Submit `fn` and wait until the pool thread is about to run it.

    crcmod never releases the GIL, so a job that had not reached its GIL-free C call before the
    next CRC starts would wait a whole switch interval (5 ms): the handshake hands it the GIL.
    """
    ready = threading.Event()

    def run() -> None:
        ready.set()
        fn(*args)

    job = _IO_POOL.submit(run)
    ready.wait()
    return job


class _Pipeline:
    """CRC on the calling thread, MD5 (in order) and writes (any order) on pool threads.

    crcmod holds the GIL; hashlib (large buffers) and pwrite release it, so the three overlap.
    At most two chunks are in flight: memory stays bounded whatever the object size.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.crc = 0
        self._md5_job: Future[None] | None = None
        self._writes: list[Future[None]] = []
        self._previous: list[Future[None]] = []

    def feed(self, chunk: bytes, pos: int) -> None:
        if len(chunk) <= _PIECE:
            self.crc = crc64(chunk, self.crc)
            self._wait_md5()
            self.md5.update(chunk)
            _write_all(self.fd, chunk, pos)
            return
        view = memoryview(chunk)
        for start in range(0, len(chunk), _PIECE):
            piece = view[start:start + _PIECE]
            self._writes.append(_started(_write_all, self.fd, piece, pos + start))
            self._wait_md5()
            self._md5_job = _started(self.md5.update, piece)
            self.crc = crc64(piece, self.crc)
        for job in self._previous:
            job.result()
        self._previous, self._writes = self._writes, []

    def _wait_md5(self) -> None:
        if self._md5_job is not None:
            job, self._md5_job = self._md5_job, None
            job.result()

    def finish(self) -> None:
        """Wait for every job; re-raise the first failure."""
        jobs = [*self._previous, *self._writes, *([self._md5_job] if self._md5_job else [])]
        self._previous, self._writes, self._md5_job = [], [], None
        errors = [job.exception() for job in jobs]
        for error in errors:
            if error is not None:
                raise error


def stream_into(fd: int, body: Readable, length: int | None, limit: int, offset: int) -> StreamResult:
    """Copy `body` to `fd` at `offset` in chunks of at most 1 MiB, hashing while copying.

    `length` None reads to EOF. A body shorter than `length` (the client went away) raises
    IncompleteBody; more than `limit` bytes raises EntityTooLarge. See `_Pipeline` for how the
    CRC, MD5 and writes overlap.
    """
    if length is not None and length > limit:
        raise _too_large()
    pipe = _Pipeline(fd)
    size = 0
    # Reserving the blocks up front makes the writes ~5x cheaper on ext4 than growing the file.
    reserved = _reserve(fd, offset, length) if length else 0
    try:
        while length is None or size < length:
            want = CHUNK if length is None else min(CHUNK, length - size)
            chunk = body.read(want)
            if not chunk:
                if length is not None:
                    raise OSSError("IncompleteBody", "You did not provide the number of bytes "
                                   "specified by the Content-Length HTTP header.", 400)
                break
            pos = offset + size
            size += len(chunk)
            if size > limit:
                raise _too_large()
            if length is None and size > reserved:
                reserved += _reserve(fd, offset + reserved, max(_GROW, size - reserved))
            pipe.feed(chunk, pos)
    finally:
        pipe.finish()  # also on errors: no write may land after the caller closes the fd
    if reserved > size:
        os.ftruncate(fd, offset + size)
    return StreamResult(size, pipe.md5.digest(), pipe.crc)


class ObjectReader(io.RawIOBase):
    """A read-only, seekable view of one object version's data (positions are object offsets).

    It owns an fd of that version's file, so a concurrent overwrite or delete does not change
    what it reads. `fileno()` + `data_offset` + `size` allow `os.sendfile`.
    """

    def __init__(self, fd: int, data_offset: int, size: int) -> None:
        super().__init__()
        self._fd = fd
        self.data_offset = data_offset
        self.size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self.size - self._pos)
        if n <= 0:
            return 0
        got = os.preadv(self._fd, [view[:n]], self.data_offset + self._pos)
        self._pos += got
        return got

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            size = self.size - self._pos
        size = max(0, min(size, self.size - self._pos))
        if size == 0:
            return b""
        data = os.pread(self._fd, size, self.data_offset + self._pos)
        self._pos += len(data)
        return data

    def close(self) -> None:
        if not self.closed:
            try:
                os.close(self._fd)
            finally:
                super().close()
