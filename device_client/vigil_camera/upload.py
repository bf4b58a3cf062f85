"""Upload one finished clip to its deterministic key, exactly once.

* below `multipart_threshold`: one `PutObject`; above: multipart with `part_workers` parts in
  flight, each streamed from the file (memory stays bounded whatever the size), resumable from a
  checkpoint file (upload id + confirmed parts with their CRCs, reconciled with `ListParts`).
* `x-oss-forbid-overwrite: true` on put, initiate and complete: a recording is never replaced, and
  `FileAlreadyExists` after a lost response (or a retry after a crash) means it is already there.
* CRC-64 end to end, computed once: the spool computes the file's CRC at enqueue; every request
  goes without oss2's own streaming CRC (a second pass over the bytes, the largest CPU cost of an
  upload) and what OSS returns (`x-oss-hash-crc64ecma`) is compared with it — the object's for a
  PUT, the parts' combined CRC before CompleteMultipartUpload (a part whose CRC does not fit is
  found by its own local CRC and sent again) and the object's after it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import oss2
from oss2.models import PartInfo

from . import logs
from .checkpoint import Checkpoint, CheckpointFile, PartRecord
from .crc import crc64_combine, crc64_file, without_crc
from .ossclient import FORBID_OVERWRITE, DeviceOss, health_headers, upload_headers

MiB = 1 << 20
MIN_PART = 100 * 1024
log = logs.get("vigil_camera.upload")
Progress = Callable[[int], None]


class UploadError(Exception):
    """The clip could not be stored as sent (CRC mismatch, refused); kept in the spool."""


@dataclass(frozen=True)
class UploadResult:
    key: str
    size: int
    crc64: int
    etag: str | None
    existed: bool          # FileAlreadyExists: stored by an earlier attempt
    parts: int


def already_stored(exc: oss2.exceptions.OssError) -> bool:
    """OSS refused a write under `x-oss-forbid-overwrite` because the object exists: an earlier
    attempt stored it (the one check for put, initiate and complete)."""
    return getattr(exc, "code", "") == "FileAlreadyExists"


def _check_crc(key: str, expected: int, got: int | None, request_id: str) -> None:
    if got is not None and got != expected:
        raise UploadError(f"CRC mismatch for {key}: local {expected}, OSS {got} (request {request_id})")


def _combined_crc(cp: Checkpoint) -> int:
    """The CRC of the whole object the checkpointed parts make, from the parts' own CRCs."""
    combined = 0
    for _, part in sorted(cp.parts.items()):
        combined = crc64_combine(combined, part.crc64, part.size)
    return combined


SEND_CHUNK = 1 * MiB


class _PartReader:
    """A bounded window of a file, streamed as a request body in SEND_CHUNK pieces.

    urllib3 asks a body for 16 KiB at a time and hands each piece to `sendall`; a piece larger than
    asked is sent whole. Answering with up to SEND_CHUNK (bounded memory: 1 MiB per part in flight)
    makes 256 socket writes of a 256 MiB clip instead of 16,384 Python-level reads and writes — the
    client's own CPU cost per byte, which decides its speed against a raw PUT on a small device."""

    def __init__(self, path: Path, offset: int, length: int, progress: Progress | None) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed by close()
        self._fh.seek(offset)
        self._left = length
        self.len = length
        self._progress = progress

    def read(self, n: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if n is None or n < 0 else min(max(n, SEND_CHUNK), self._left)
        data = self._fh.read(min(n, SEND_CHUNK))
        self._left -= len(data)
        if self._progress and data:
            self._progress(len(data))
        return data

    def __len__(self) -> int:
        return self.len

    def close(self) -> None:
        self._fh.close()


class ClipUploader:
    def __init__(self, oss: DeviceOss, *, multipart_threshold: int = 8 * MiB, part_size: int = 8 * MiB,
                 part_workers: int = 2) -> None:
        if part_size < MIN_PART:
            raise ValueError("part size must be at least 100 KiB (OSS minimum for non-last parts)")
        self.oss = oss
        self.multipart_threshold = multipart_threshold
        self.part_size = part_size
        self.part_workers = max(1, part_workers)

    def upload_file(self, path: Path, key: str, *, crc64: int | None = None,
                    checkpoint: Path | None = None, progress: Progress | None = None,
                    extra_headers: dict[str, str] | None = None) -> UploadResult:
        """Store `path` at `key` once. `crc64` (computed at enqueue) saves a pass over the file.
        `extra_headers` (the clip's activity metadata) go with the PUT or the multipart initiate."""
        size = path.stat().st_size
        if crc64 is None:
            crc64 = crc64_file(path)
        extra = dict(extra_headers or {})
        if size < self.multipart_threshold:
            return self._put(path, key, size, crc64, progress, extra)
        cp_file = CheckpointFile(checkpoint or path.with_name(path.name + ".checkpoint.json"))
        return self._multipart(path, key, size, crc64, cp_file, progress, extra)

    def _headers(self, key: str, extra: dict[str, str]) -> dict[str, str]:
        return {**upload_headers(key), **health_headers(self.oss.status), **extra}

    # -- simple PUT -------------------------------------------------------------------------------
    def _put(self, path: Path, key: str, size: int, crc64: int, progress: Progress | None,
             extra: dict[str, str]) -> UploadResult:
        attempts = 0

        def op(bucket: oss2.Bucket) -> oss2.models.PutObjectResult:
            nonlocal attempts
            attempts += 1
            reader = _PartReader(path, 0, size, None)
            try:
                headers = self._headers(key, extra)
                return without_crc(bucket).put_object(key, reader, headers=headers)
            finally:
                reader.close()

        try:
            result = self.oss.call(op, "put_object")
        except oss2.exceptions.OssError as exc:
            if already_stored(exc):
                log.info("clip already stored", extra={"key": key, "attempts": attempts})
                if progress:
                    progress(size)
                return UploadResult(key, size, crc64, None, True, 0)
            raise
        _check_crc(key, crc64, result.crc, result.request_id)
        if progress:
            progress(size)
        return UploadResult(key, size, crc64, result.etag, False, 0)

    # -- multipart --------------------------------------------------------------------------------
    def _initiate(self, key: str, size: int, crc64: int, cp_file: CheckpointFile,
                  extra: dict[str, str] | None = None) -> Checkpoint | None:
        """A new upload id, or None when the object already exists (forbid-overwrite at initiate)."""
        try:
            result = self.oss.call(
                lambda b: b.init_multipart_upload(key, headers=self._headers(key, extra or {})),
                "init_multipart")
        except oss2.exceptions.OssError as exc:
            if already_stored(exc):
                return None
            raise
        cp = Checkpoint(key, result.upload_id, size, self.part_size, crc64)
        cp_file.save(cp)
        return cp

    def _reconcile(self, cp: Checkpoint) -> bool:
        """Keep checkpointed parts OSS lists with the same ETag; False if the upload is gone."""
        try:
            listed = self.oss.call(
                lambda b: {p.part_number: p for p in oss2.PartIterator(b, cp.key, cp.upload_id)},
                "list_parts")
        except oss2.exceptions.NoSuchUpload:
            return False
        for number in list(cp.parts):
            server = listed.get(number)
            if server is None or server.etag.strip('"') != cp.parts[number].etag.strip('"') \
                    or server.size != cp.parts[number].size:
                del cp.parts[number]
        return True

    def _multipart(self, path: Path, key: str, size: int, crc64: int, cp_file: CheckpointFile,
                   progress: Progress | None, extra: dict[str, str]) -> UploadResult:
        cp = cp_file.load()
        if cp is not None and (cp.key != key or cp.size != size or cp.crc64 != crc64):
            log.warning("checkpoint does not match the clip, starting over", extra={"key": key})
            self._abort_quietly(cp)
            cp = None
        if cp is not None and not self._reconcile(cp):
            log.info("multipart upload gone, starting over", extra={"key": key})
            cp = None
        if cp is None:
            cp = self._initiate(key, size, crc64, cp_file, extra)
            if cp is None:
                cp_file.remove()
                if progress:
                    progress(size)
                return UploadResult(key, size, crc64, None, True, 0)
        elif cp.parts:
            log.info("resuming multipart upload", extra={"key": key, "done_parts": len(cp.parts),
                                                         "parts": cp.part_count})
        if progress:
            progress(sum(p.size for p in cp.parts.values()))
        todo = [n for n in range(1, cp.part_count + 1) if n not in cp.parts]
        self._upload_parts(path, cp, cp_file, todo, progress)
        bad = self._parts_not_matching(path, cp)
        if bad:   # stored other bytes than the file holds: send those parts again, once
            log.warning("part CRC mismatch, sending the parts again", extra={"key": key, "parts": bad})
            for number in bad:
                del cp.parts[number]
            cp_file.save(cp)
            self._upload_parts(path, cp, cp_file, bad, progress)
        return self._complete(cp, cp_file)

    @staticmethod
    def _parts_not_matching(path: Path, cp: Checkpoint) -> list[int]:
        """The parts whose CRC (as OSS reported it) is not the file's, when the combined CRC is not
        the clip's; [] when it is (the usual case: no local pass over the parts at all)."""
        if _combined_crc(cp) == cp.crc64:
            return []
        return [n for n, part in sorted(cp.parts.items()) if crc64_file(path, *cp.part_range(n)) != part.crc64]

    def _upload_parts(self, path: Path, cp: Checkpoint, cp_file: CheckpointFile, todo: list[int],
                      progress: Progress | None) -> None:
        failed = threading.Event()

        def one(number: int) -> None:
            if failed.is_set():
                return
            offset, length = cp.part_range(number)
            sent = 0

            def counted(n: int) -> None:
                nonlocal sent
                sent += n

            def op(bucket: oss2.Bucket) -> oss2.models.PutObjectResult:
                nonlocal sent
                sent = 0
                reader = _PartReader(path, offset, length, counted)
                try:
                    return without_crc(bucket).upload_part(cp.key, cp.upload_id, number, reader)
                finally:
                    reader.close()

            try:
                result = self.oss.call(op, "upload_part")
            except BaseException:
                failed.set()
                raise
            part_crc = result.crc if result.crc is not None else crc64_file(path, offset, length)
            cp_file.record_part(cp, number, PartRecord(result.etag, int(part_crc), length))
            if progress:
                progress(length)

        if self.part_workers == 1 or len(todo) <= 1:
            for number in todo:
                one(number)
            return
        with ThreadPoolExecutor(max_workers=self.part_workers, thread_name_prefix="part") as pool:
            futures = [pool.submit(one, n) for n in todo]
            errors = [f.exception() for f in futures]
        for err in errors:
            if err is not None:
                raise err

    def _complete(self, cp: Checkpoint, cp_file: CheckpointFile) -> UploadResult:
        parts = [PartInfo(n, p.etag, size=p.size) for n, p in sorted(cp.parts.items())]
        _check_crc(cp.key, cp.crc64, _combined_crc(cp), "parts")
        try:
            # without oss2's CRC: it would combine the parts' CRCs again (pure Python) to compare with
            # the object's, which the line after the call compares with the clip's CRC itself
            result = self.oss.call(
                lambda b: without_crc(b).complete_multipart_upload(cp.key, cp.upload_id, parts,
                                                                   headers=dict(FORBID_OVERWRITE)),
                "complete_multipart")
        except oss2.exceptions.OssError as exc:
            if already_stored(exc):
                self._abort_quietly(cp)
                cp_file.remove()
                return UploadResult(cp.key, cp.size, cp.crc64, None, True, len(parts))
            if getattr(exc, "code", "") == "NoSuchUpload":
                # A lost response to an earlier complete: start over; forbid-overwrite at initiate
                # or complete then confirms the object exists without ever replacing it.
                cp_file.remove()
                raise UploadError(f"multipart upload of {cp.key} vanished; will retry from scratch") from exc
            raise
        _check_crc(cp.key, cp.crc64, result.crc, result.request_id)
        cp_file.remove()
        return UploadResult(cp.key, cp.size, cp.crc64, result.etag, False, len(parts))

    def _abort_quietly(self, cp: Checkpoint) -> None:
        try:
            self.oss.call(lambda b: b.abort_multipart_upload(cp.key, cp.upload_id), "abort_multipart")
        except oss2.exceptions.OssError as exc:
            log.info("abort failed (ignored)", extra={"key": cp.key, "code": getattr(exc, "code", "")})


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
