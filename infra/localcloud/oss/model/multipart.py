"""Multipart uploads of one bucket: upload folders, part files, and the checks of Complete.

Layout: `uploads/<UPLOAD_ID>/upload.json` (key, headers, initiated) plus one raw data file per
part named `<part:05d>-<wall_ns:x>-<lm_ms:x>-<MD5HEX>-<crc:x>`: the name carries the part's
metadata, so a part becomes visible by one rename. A re-upload renames a new file in, then
drops the old one; after a crash between the two, the newest name wins at load. Upload ids
start with the wall time in hex, so sorting by (key, id) is sorting by initiation.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

from localcloud.common import logs

from ..errors import InvalidArgument, NoSuchUpload, OSSError
from . import fsutil
from .crc import crc64_combine
from .objects import bad_digest, stream_into
from .types import MAX_OBJECT_SIZE, ObjectHeaders, PartInfo, UploadInfo, UploadListing

log = logs.get("localcloud.oss.multipart")

MIN_PART_SIZE = 100 * 1024
MAX_PART_NUMBER = 10000


@dataclass
class Part:
    info: PartInfo
    path: Path
    md5: bytes
    order: int


@dataclass
class Upload:
    info: UploadInfo
    path: Path
    parts: dict[int, Part]
    lock: threading.Lock
    done: bool = False


def _part_name(number: int, order: int, lm: float, md5: bytes, crc: int) -> str:
    return f"{number:05d}-{order:x}-{int(lm * 1000):x}-{md5.hex().upper()}-{crc:x}"


def _parse_part(path: Path) -> Part | None:
    try:
        number_s, order_s, lm_s, md5_s, crc_s = path.name.split("-")
        number, order, lm, crc = int(number_s), int(order_s, 16), int(lm_s, 16) / 1000, int(crc_s, 16)
        md5 = bytes.fromhex(md5_s)
    except ValueError:
        return None
    size = path.stat().st_size
    return Part(PartInfo(number, md5.hex().upper(), size, crc, lm), path, md5, order)


def multipart_etag(md5s: list[bytes]) -> str:
    """`<HEX of md5(concatenated binary part md5s)>-<N>`, as OSS and S3 compute it."""
    digest = hashlib.md5(b"".join(md5s), usedforsecurity=False).hexdigest().upper()
    return f"{digest}-{len(md5s)}"


class Uploads:
    """The multipart uploads of one bucket (in memory + on disk under `root`)."""

    def __init__(self, bucket: str, root: Path, tmp_dir: Path) -> None:
        self.bucket = bucket
        self.root = root
        self.tmp_dir = tmp_dir
        self._uploads: dict[str, Upload] = {}
        self._lock = threading.Lock()
        root.mkdir(exist_ok=True)
        self._load()

    def __len__(self) -> int:
        return len(self._uploads)

    def _load(self) -> None:
        for folder in self.root.iterdir():
            try:
                doc = fsutil.read_json(folder / "upload.json")
            except (OSError, ValueError):
                log.warning("dropping a broken upload folder", extra={"upload": folder.name})
                fsutil.remove_tree_atomic(folder, self.tmp_dir)
                continue
            attrs = doc.get("attrs") or {}
            info = UploadInfo(self.bucket, doc["key"], folder.name, float(doc["initiated"]),
                              ObjectHeaders.from_dict(doc.get("headers") or {}),
                              storage_class=str(attrs.get("storage_class", "Standard")),
                              tags=tuple((str(k), str(v)) for k, v in attrs.get("tags") or ()),
                              acl=str(attrs.get("acl", "default")))
            parts: dict[int, Part] = {}
            for path in folder.iterdir():
                if path.name == "upload.json":
                    continue
                part = _parse_part(path)
                if part is None:
                    path.unlink(missing_ok=True)
                    continue
                old = parts.get(part.info.part_number)
                if old is not None:
                    loser = old if old.order < part.order else part
                    loser.path.unlink(missing_ok=True)
                    if loser is old:
                        parts[part.info.part_number] = part
                else:
                    parts[part.info.part_number] = part
            self._uploads[folder.name] = Upload(info, folder, parts, threading.Lock())

    def get(self, upload_id: str, key: str | None = None) -> Upload:
        """The live upload (NoSuchUpload when unknown, finished, or for another key)."""
        up = self._uploads.get(upload_id)
        if up is None or up.done or (key is not None and up.info.key != key):
            raise NoSuchUpload(upload_id)
        return up

    def all(self) -> list[UploadInfo]:
        with self._lock:
            return [u.info for u in self._uploads.values() if not u.done]

    def initiate(self, key: str, headers: ObjectHeaders, now: float,
                 attrs: dict[str, Any] | None = None) -> UploadInfo:
        upload_id = f"{time.time_ns():016X}{secrets.token_hex(8).upper()}"
        staging = fsutil.temp_path(self.tmp_dir, ".upload")
        staging.mkdir()
        attrs = dict(attrs or {})
        info = replace(UploadInfo(self.bucket, key, upload_id, now, headers), **attrs)
        stored = {"storage_class": info.storage_class, "tags": [list(t) for t in info.tags], "acl": info.acl}
        fsutil.write_json_atomic(staging / "upload.json",
                                 {"key": key, "initiated": now, "headers": headers.to_dict(), "attrs": stored},
                                 self.tmp_dir)
        os.rename(staging, self.root / upload_id)
        fsutil.fsync_dir(self.root)
        with self._lock:
            self._uploads[upload_id] = Upload(info, self.root / upload_id, {}, threading.Lock())
        return info

    def upload_part(self, key: str, upload_id: str, number: int, body: BinaryIO, length: int | None,
                    expected_md5: bytes | None, now: float) -> PartInfo:
        if not 1 <= number <= MAX_PART_NUMBER:
            raise InvalidArgument(f"Part number must be an integer between 1 and {MAX_PART_NUMBER}.")
        up = self.get(upload_id, key)
        tmp = fsutil.temp_path(self.tmp_dir, ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            res = stream_into(fd, body, length, MAX_OBJECT_SIZE, 0)
            if expected_md5 is not None and res.md5 != expected_md5:
                raise bad_digest()
            os.fdatasync(fd)
            os.close(fd)
            fd = -1
            with up.lock:
                if up.done:
                    raise NoSuchUpload(upload_id)
                order = time.time_ns()
                name = _part_name(number, order, now, res.md5, res.crc64)
                final = up.path / name
                os.rename(tmp, final)
                fsutil.fsync_dir(up.path)
                old = up.parts.get(number)
                info = PartInfo(number, res.md5.hex().upper(), res.size, res.crc64, now)
                part = Part(info, final, res.md5, order)
                up.parts[number] = part
                if old is not None:
                    old.path.unlink(missing_ok=True)
            return part.info
        finally:
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)

    def select(self, up: Upload, parts: list[tuple[int, str]] | None, complete_all: bool) -> list[Part]:
        """The parts a Complete names, checked as OSS checks them (caller holds `up.lock`)."""
        if complete_all:
            if parts:
                raise InvalidArgument("x-oss-complete-all cannot be used with a part list in the body.")
            chosen = [up.parts[n] for n in sorted(up.parts)]
        else:
            if not parts:
                raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
            chosen = []
            previous = 0
            for number, etag in parts:
                if number <= previous:
                    raise OSSError("InvalidPartOrder", "The list of parts was not in ascending order.", 400)
                previous = number
                part = up.parts.get(number)
                if part is None or part.info.etag != etag.strip().strip('"').upper():
                    raise OSSError("InvalidPart", "One or more of the specified parts could not be "
                                   "found or the specified entity tag might not have matched the part's "
                                   "entity tag.", 400, extra={"PartNumber": str(number)})
                chosen.append(part)
        if not chosen:
            raise OSSError("InvalidPart", "The upload has no parts to complete.", 400)
        for part in chosen[:-1]:
            if part.info.size < MIN_PART_SIZE:
                raise OSSError("EntityTooSmall", "Your proposed upload is smaller than the minimum "
                               "allowed size.", 400, extra={"PartNumber": str(part.info.part_number)})
        return chosen

    def finish(self, up: Upload) -> None:
        """Forget an upload (completed or aborted) and delete its folder (caller holds `up.lock`)."""
        up.done = True
        with self._lock:
            self._uploads.pop(up.info.upload_id, None)
        fsutil.remove_tree_atomic(up.path, self.tmp_dir)

    def abort(self, key: str, upload_id: str) -> None:
        up = self.get(upload_id, key)
        with up.lock:
            if up.done:
                raise NoSuchUpload(upload_id)
            self.finish(up)

    def listing(self, prefix: str, delimiter: str, key_marker: str, upload_id_marker: str,
                max_uploads: int) -> UploadListing:
        """A ListMultipartUploads page, ordered by (key, upload id) = (key, initiation)."""
        ups = sorted((u for u in self.all() if u.key.startswith(prefix)),
                     key=lambda u: (u.key, u.upload_id))
        out: list[UploadInfo] = []
        prefixes: list[str] = []
        last_key, last_id = "", ""
        for u in ups:
            if delimiter and key_marker.endswith(delimiter) and u.key.startswith(key_marker) \
                    and u.key.find(delimiter, len(prefix)) == len(key_marker) - len(delimiter):
                continue  # rolled up into the common prefix the previous page ended with
            if upload_id_marker and key_marker:
                if (u.key, u.upload_id) <= (key_marker, upload_id_marker):
                    continue
            elif u.key <= key_marker:
                continue
            common = None
            if delimiter:
                cut = u.key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = u.key[: cut + len(delimiter)]
            if common is not None and prefixes and prefixes[-1] == common:
                continue
            if len(out) + len(prefixes) >= max_uploads:
                return UploadListing(out, prefixes, True, last_key, last_id)
            if common is not None:
                prefixes.append(common)
                last_key, last_id = common, ""
            else:
                out.append(u)
                last_key, last_id = u.key, u.upload_id
        return UploadListing(out, prefixes, False, "", "")

    def list_parts(
        self, key: str, upload_id: str, marker: int, max_parts: int
    ) -> tuple[UploadInfo, list[PartInfo], bool]:
        up = self.get(upload_id, key)
        with up.lock:
            numbers = sorted(n for n in up.parts if n > marker)
            page = [up.parts[n].info for n in numbers[:max_parts]]
            return up.info, page, len(numbers) > max_parts


def combined_crc(parts: list[Part]) -> int:
    crc = 0
    for part in parts:
        crc = crc64_combine(crc, part.info.crc64, part.info.size)
    return crc
