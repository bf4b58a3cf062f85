"""The OSS storage engine: buckets, objects, appends, multipart, configs, lifecycle, events.

Free of HTTP: the protocol layer parses requests into these calls and renders what they return
(types in `types.py`) or raise (`OSSError` with the real OSS code).

On disk (`root`)::

    tmp/                          temp files; emptied at startup
    outbox/                       the event log (see outbox.py)
    buckets/<name>/bucket.json    BucketInfo
    buckets/<name>/config/<kind>.json
    buckets/<name>/objects/<hh>/<sha256(key)>   one file per object version (see objects.py)
    buckets/<name>/uploads/<UPLOAD_ID>/          multipart uploads (see multipart.py)

Every write streams to a temp file, is fsynced, and becomes visible by one rename under a
per-key lock (last writer wins); then the directory is fsynced, the in-memory key index is
updated and the event is appended (fsynced) to the outbox, all before the call returns.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import threading
import uuid
import zlib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from localcloud.common import logs
from localcloud.common.clock import Clock

from ..errors import OSSError, invalid_argument, no_such_bucket, no_such_key
from . import configs, events, extents, fsutil, lifecycle, overwrite, records
from .crc import crc64_combine
from .keyindex import KeyIndex
from .multipart import Uploads, combined_crc, multipart_etag
from .objects import (
    CorruptObject,
    ObjectReader,
    bad_digest,
    encode_prefix,
    read_header,
    slot_size_for,
    stream_into,
)
from .outbox import Outbox
from .types import (
    MAX_KEY_BYTES,
    MAX_KEYS,
    MAX_OBJECT_SIZE,
    BucketInfo,
    Listing,
    ObjectHeaders,
    ObjectInfo,
    ObjectType,
    PartInfo,
    PartListing,
    UploadInfo,
    UploadListing,
)

log = logs.get("localcloud.oss.store")

BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
_LOCK_STRIPES = 1024


def validate_key(key: str) -> str:
    """Raise 400 InvalidObjectName for names OSS refuses (empty, >1023 bytes, leading / or \\)."""
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise OSSError("InvalidObjectName", "The specified object is not valid.", 400) from exc
    if not raw or len(raw) > MAX_KEY_BYTES or key[0] in "/\\":
        raise OSSError("InvalidObjectName", "The specified object is not valid.", 400)
    return key


def _decode_md5(content_md5: str | None) -> bytes | None:
    if content_md5 is None:
        return None
    try:
        raw = base64.b64decode(content_md5, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise OSSError("InvalidDigest", "The Content-MD5 you specified is not valid.", 400) from exc
    if len(raw) != 16:
        raise OSSError("InvalidDigest", "The Content-MD5 you specified is not valid.", 400)
    return raw


def _file_already_exists() -> OSSError:
    return OSSError("FileAlreadyExists",
                    "The object you specified already exists and can not be overwritten.", 409)


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass
class _Bucket:
    info: BucketInfo
    path: Path
    index: KeyIndex
    uploads: Uploads
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def object_path(self, key: str) -> Path:
        h = _key_hash(key)
        return self.path / "objects" / h[:2] / h


@dataclass(frozen=True)
class Caller:
    """Who asked, for events and overwrite rules (all optional for tools and tests)."""

    principal_arn: str = ""
    principal_id: str = ""
    request_id: str = ""
    source_ip: str = "127.0.0.1"


class Store:
    """The OSS model. Thread-safe; one instance per data folder."""

    def __init__(self, root: Path, clock: Clock, region: str, account_id: str) -> None:
        self.root = Path(root)
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.tmp_dir = self.root / "tmp"
        self.buckets_dir = self.root / "buckets"
        for d in (self.root, self.tmp_dir, self.buckets_dir):
            d.mkdir(parents=True, exist_ok=True)
        cleaned = fsutil.clean_dir(self.tmp_dir)
        if cleaned:
            log.info("removed temp leftovers", extra={"count": cleaned})
        self._lock = threading.Lock()
        self._key_locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]
        self._buckets: dict[str, _Bucket] = {}
        self._unfinished: list[tuple[_Bucket, Path, dict[str, Any], bool]] = []
        for path in sorted(self.buckets_dir.iterdir()):
            self._buckets[path.name] = self._load_bucket(path)
        self.outbox = Outbox(self.root / "outbox")
        self._reconcile()
        self._sweeper: threading.Thread | None = None
        self._sweeper_stop = threading.Event()

    # -- startup ----------------------------------------------------------------------------
    def _load_bucket(self, path: Path) -> _Bucket:
        doc = fsutil.read_json(path / "bucket.json")
        info = BucketInfo(doc["name"], float(doc["created"]), doc["region"], doc["location"],
                          doc.get("storage_class", "Standard"), doc.get("redundancy", "LRS"))
        b = _Bucket(info, path, KeyIndex(), Uploads(info.name, path / "uploads", self.tmp_dir))
        for cfg in (path / "config").glob("*.json"):
            b.configs[cfg.stem] = fsutil.read_json(cfg)
        infos: list[ObjectInfo] = []
        for sub in (path / "objects").iterdir():
            for obj in sub.iterdir():
                meta = records.read_meta(obj)
                if meta is None:
                    continue
                infos.append(records.info_from_meta(info.name, meta))
                if "pending" in meta:
                    self._unfinished.append((b, obj, meta, False))
        b.index.load(infos)
        dropped = extents.collect(path, (i.extent_dir for i in infos if i.extent_dir))
        if dropped:
            log.info("removed orphaned extents", extra={"bucket": info.name, "count": dropped})
        (path / "trash").mkdir(exist_ok=True)
        for grave in (path / "trash").iterdir():
            meta = records.read_meta(grave)
            if meta is not None and "pending" in meta:
                self._unfinished.append((b, grave, meta, True))
            else:
                grave.unlink(missing_ok=True)
        return b

    def _reconcile(self) -> None:
        """Give every change that a crash left without its outbox record that record now."""
        if not self._unfinished:
            return
        recent = self.outbox.recent_eids()
        sent = 0
        for b, path, meta, deleted in self._unfinished:
            intent = meta["pending"]
            if intent["eid"] not in recent:
                size = 0 if deleted else int(meta["size"])
                self.outbox.append(self._event(b.info.name, meta["key"], size, meta["etag"], intent),
                                   intent["eid"])
                sent += 1
            if deleted:
                path.unlink(missing_ok=True)
            else:
                records.clear_intent(path, intent["eid"], sync=True)
        log.info("recovered unfinished changes",
                 extra={"changes": len(self._unfinished), "events_sent": sent})
        self._unfinished = []

    # -- buckets ----------------------------------------------------------------------------
    def _bucket(self, name: str) -> _Bucket:
        b = self._buckets.get(name)
        if b is None:
            raise no_such_bucket(name)
        return b

    def create_bucket(self, name: str, storage_class: str = "Standard", redundancy: str = "LRS",
                      acl: str | None = None) -> BucketInfo:
        """Create bucket `name` -> BucketInfo. 400 InvalidBucketName, 409 BucketAlreadyExists.
        `acl` (private / public-read / public-read-write) is stored as the "acl" config."""
        if not isinstance(name, str) or not BUCKET_NAME_RE.match(name):
            raise OSSError("InvalidBucketName", "The specified bucket is not valid.", 400,
                           extra={"BucketName": str(name)})
        acl_doc = configs.validate("acl", {"acl": acl}) if acl is not None else None
        with self._lock:
            if name in self._buckets:
                raise OSSError("BucketAlreadyExists", "The requested bucket name is not available.", 409,
                               extra={"BucketName": name})
            info = BucketInfo(name, self.clock.now(), self.region, f"oss-{self.region}", storage_class,
                              redundancy)
            staging = fsutil.temp_path(self.tmp_dir, ".bucket")
            staging.mkdir()
            (staging / "config").mkdir()
            (staging / "uploads").mkdir()
            (staging / "trash").mkdir()
            (staging / extents.FOLDER).mkdir()
            objects = staging / "objects"
            objects.mkdir()
            for i in range(256):
                (objects / f"{i:02x}").mkdir()
            fsutil.write_json_atomic(staging / "bucket.json", {
                "name": name, "created": info.created, "region": info.region, "location": info.location,
                "storage_class": info.storage_class, "redundancy": info.redundancy}, self.tmp_dir)
            if acl_doc is not None:
                fsutil.write_json_atomic(staging / "config" / "acl.json", acl_doc, self.tmp_dir)
            for d in (objects, staging):
                fsutil.fsync_dir(d)
            os.rename(staging, self.buckets_dir / name)
            fsutil.fsync_dir(self.buckets_dir)
            path = self.buckets_dir / name
            uploads = Uploads(name, path / "uploads", self.tmp_dir)
            bucket = _Bucket(info, path, KeyIndex(), uploads)
            if acl_doc is not None:
                bucket.configs["acl"] = acl_doc
            self._buckets[name] = bucket
            return info

    def delete_bucket(self, name: str) -> None:
        """Delete an empty bucket. 404 NoSuchBucket, 409 BucketNotEmpty (objects or uploads)."""
        with self._lock:
            b = self._bucket(name)
            if len(b.index) or len(b.uploads):
                raise OSSError("BucketNotEmpty", "The bucket you tried to delete is not empty.", 409,
                               extra={"BucketName": name})
            del self._buckets[name]
            fsutil.remove_tree_atomic(b.path, self.tmp_dir)

    def list_buckets(self) -> list[BucketInfo]:
        """All buckets, by name."""
        return [self._buckets[n].info for n in sorted(self._buckets)]

    def bucket_info(self, name: str) -> BucketInfo:
        """-> BucketInfo; 404 NoSuchBucket."""
        return self._bucket(name).info

    def bucket_objects(self, name: str) -> list[ObjectInfo]:
        """Every current object of a bucket (a snapshot, for stats)."""
        return self._bucket(name).index.snapshot()

    def bucket_stats(self, name: str) -> tuple[int, int, int]:
        """(object count, total bytes, multipart upload count) of a bucket."""
        b = self._bucket(name)
        infos = b.index.snapshot()
        return len(infos), sum(i.size for i in infos), len(b.uploads)

    # -- configs ----------------------------------------------------------------------------
    def get_config(self, bucket: str, kind: str) -> dict[str, Any]:
        """kind in {"lifecycle","cors","overwrite"} -> the stored dict; 404 NoSuchLifecycle /
        NoSuchCORSConfiguration / NoSuchOverwriteConfiguration when none is set."""
        b = self._bucket(bucket)
        if kind not in configs.KINDS:
            raise ValueError(f"unknown config kind {kind!r}")
        doc = b.configs.get(kind)
        if doc is None:
            raise configs.missing(kind)
        return doc

    def put_config(self, bucket: str, kind: str, doc: dict[str, Any]) -> dict[str, Any]:
        """Validate (400 InvalidArgument / MalformedXML) and store a config; returns the normalised dict."""
        b = self._bucket(bucket)
        clean = configs.validate(kind, doc)
        with self._lock:
            fsutil.write_json_atomic(b.path / "config" / f"{kind}.json", clean, self.tmp_dir)
            b.configs[kind] = clean
        return clean

    def delete_config(self, bucket: str, kind: str) -> None:
        """Remove a config (idempotent)."""
        b = self._bucket(bucket)
        if kind not in configs.KINDS:
            raise ValueError(f"unknown config kind {kind!r}")
        with self._lock:
            path = b.path / "config" / f"{kind}.json"
            if path.exists():
                path.unlink()
                fsutil.fsync_dir(path.parent)
            b.configs.pop(kind, None)

    # -- helpers ----------------------------------------------------------------------------
    def _key_lock(self, bucket: str, key: str) -> threading.Lock:
        h = zlib.crc32(f"{bucket}\0{key}".encode("utf-8", "surrogatepass"))
        return self._key_locks[h % _LOCK_STRIPES]

    def _check_overwrite(self, b: _Bucket, key: str, old: ObjectInfo | None, forbid_overwrite: bool,
                         principal_arn: str) -> None:
        if old is None:
            return
        if forbid_overwrite:
            raise _file_already_exists()
        rule = overwrite.forbidding_rule(b.configs.get("overwrite"), key, principal_arn)
        if rule is not None:
            log.info("overwrite refused by rule", extra={"bucket": b.info.name, "key": key, "rule": rule})
            raise _file_already_exists()

    # -- events: an intent in the object header, then the outbox record ---------------------
    def _intent(self, name: str, delta: int, caller: Caller) -> dict[str, Any]:
        """The "pending" record a commit writes into the object header with the data.

        If the process dies after the commit and before the outbox append, startup finds the
        intent and appends the event then (see `_reconcile`): a visible change always gets its
        event, at least once.
        """
        return {"eid": uuid.uuid4().hex, "name": name, "delta": delta, "t": self.clock.now(),
                "rid": records.clip(caller.request_id or uuid.uuid4().hex.upper()),
                "pid": records.clip(caller.principal_id or self.account_id),
                "ip": records.clip(caller.source_ip)}

    def _event(self, bucket: str, key: str, size: int, etag: str,
               intent: dict[str, Any]) -> dict[str, Any]:
        return events.build(
            name=intent["name"], now=float(intent["t"]), region=self.region, account_id=self.account_id,
            bucket=bucket, key=key, size=size, delta=int(intent["delta"]), etag=etag,
            request_id=intent["rid"], principal_id=intent["pid"], source_ip=intent["ip"])

    def _publish(self, b: _Bucket, path: Path, key: str, size: int, etag: str,
                 intent: dict[str, Any]) -> None:
        """Append the event of a committed change, then drop the intent from the header.

        The drop is not fsynced: if it is lost, startup sees the eid among the recent outbox
        records and only clears it (or, past that window, sends the event once more).
        """
        self.outbox.append(self._event(b.info.name, key, size, etag, intent), intent["eid"])
        records.clear_intent(path, intent["eid"], sync=False)

    def _commit(self, b: _Bucket, tmp: Path, info: ObjectInfo, forbid_overwrite: bool, caller: Caller,
                intent: dict[str, Any]) -> ObjectInfo:
        """Rename a fully written, fsynced temp file over the key's path; index; event."""
        with self._key_lock(b.info.name, info.key):
            if self._buckets.get(b.info.name) is not b:
                raise no_such_bucket(b.info.name)
            old = b.index.get(info.key)
            self._check_overwrite(b, info.key, old, forbid_overwrite, caller.principal_arn)
            final = b.object_path(info.key)
            try:
                os.rename(tmp, final)
            except FileNotFoundError as exc:  # the bucket was deleted meanwhile
                raise no_such_bucket(b.info.name) from exc
            fsutil.fsync_dir(final.parent)
            b.index.set(info)
            # the live event has the exact delta; the header's guess only serves crash recovery
            intent = dict(intent, delta=info.size - (old.size if old else 0))
            self._publish(b, final, info.key, info.size, info.etag, intent)
            if old is not None and old.extent_dir and old.extent_dir != info.extent_dir:
                extents.remove(b.path, old.extent_dir)
        return info

    def _new_file(self) -> tuple[Path, int]:
        tmp = fsutil.temp_path(self.tmp_dir, ".obj")
        return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    def _write_object(self, b: _Bucket, key: str, kind: ObjectType, headers: ObjectHeaders,
                      fill: Any, forbid_overwrite: bool, caller: Caller, event_name: str,
                      extent_dir: str = "", extent_count: int = 0,
                      attrs: dict[str, Any] | None = None) -> ObjectInfo:
        """Create a temp object file, let `fill(fd, data_offset)` write the data and return
        (size, etag, crc64), then header + fsync + commit. Nothing is visible on failure.
        With `extent_dir` the data is that extent folder's files and `fill` writes nothing."""
        draft = replace(ObjectInfo(b.info.name, key, 0, "", 0, 0.0, kind, headers, extent_dir=extent_dir,
                                   extents=extent_count), **(attrs or {}))
        slot = slot_size_for(records.meta_of(draft))
        offset = 16 + 2 * slot
        tmp, fd = self._new_file()
        try:
            size, etag, crc = fill(fd, offset)
            info = replace(draft, size=size, etag=etag, crc64=crc, last_modified=self.clock.now(),
                           next_append_position=size if kind == "Appendable" else None)
            old = b.index.get(key)
            intent = self._intent(event_name, size - (old.size if old else 0), caller)
            os.pwrite(fd, encode_prefix(dict(records.meta_of(info), pending=intent), slot), 0)
            os.fdatasync(fd)
            os.close(fd)
            fd = -1
            return self._commit(b, tmp, info, forbid_overwrite, caller, intent)
        finally:
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)

    # -- objects ----------------------------------------------------------------------------
    def put_object(self, bucket: str, key: str, body: BinaryIO, length: int | None, headers: ObjectHeaders,
                   forbid_overwrite: bool = False, content_md5: str | None = None, principal_arn: str = "",
                   request_id: str = "", *, event_name: str = events.PUT, principal_id: str = "",
                   source_ip: str = "127.0.0.1", attrs: dict[str, Any] | None = None) -> ObjectInfo:
        """Store a Normal object from `body` (read in ≤1 MiB chunks; `length` None = to EOF).

        400 InvalidObjectName / InvalidDigest / EntityTooLarge / IncompleteBody, 404 NoSuchBucket,
        409 FileAlreadyExists (forbid_overwrite or an overwrite rule). `event_name` PostObject for forms.
        """
        b = self._bucket(bucket)
        validate_key(key)
        expected = _decode_md5(content_md5)
        if length is not None and length > MAX_OBJECT_SIZE:
            raise OSSError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", 400)
        caller = Caller(principal_arn, principal_id, request_id, source_ip)
        self._check_overwrite(b, key, b.index.get(key), forbid_overwrite, principal_arn)  # fail fast

        def fill(fd: int, offset: int) -> tuple[int, str, int]:
            res = stream_into(fd, body, length, MAX_OBJECT_SIZE, offset)
            if expected is not None and res.md5 != expected:
                raise bad_digest()
            return res.size, res.md5.hex().upper(), res.crc64

        return self._write_object(b, key, "Normal", headers, fill, forbid_overwrite, caller, event_name,
                                  attrs=attrs)

    def put_symlink(self, bucket: str, key: str, target: str, headers: ObjectHeaders,
                    forbid_overwrite: bool = False, *, attrs: dict[str, Any] | None = None,
                    **who: str) -> ObjectInfo:
        """A Symlink object pointing at `target` (which need not exist). ETag: MD5 of the target."""
        b = self._bucket(bucket)
        validate_key(key)
        validate_key(target)
        caller = Caller(**who)
        etag = hashlib.md5(target.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
        return self._write_object(b, key, "Symlink", headers, lambda fd, offset: (0, etag, 0), forbid_overwrite,
                                  caller, events.PUT_SYMLINK, attrs=dict(attrs or {}, symlink_target=target))

    def update_object(self, bucket: str, key: str, **changes: Any) -> ObjectInfo:
        """Change attributes of the current version (tags, acl, storage_class, restored_until) in
        its header, fsynced; the data, ETag and Last-Modified stay. 404 NoSuchKey."""
        b = self._bucket(bucket)
        with self._key_lock(bucket, key):
            info = b.index.get(key)
            if info is None:
                raise no_such_key(key)
            new = replace(info, **changes)
            path = b.object_path(key)
            fd = os.open(path, os.O_RDWR)
            try:
                header = read_header(fd)
                meta = records.meta_of(new)
                if "pending" in header.meta:
                    meta["pending"] = header.meta["pending"]
                try:
                    records.write_slot(fd, header, meta)
                    os.fdatasync(fd)
                except ValueError:  # no room left in the slot: a new file with a bigger header
                    self._rebuild(b, path, fd, header.data_offset, new, meta)
            finally:
                os.close(fd)
            b.index.set(new)
            return new

    def _rebuild(self, b: _Bucket, path: Path, src: int, data_offset: int, info: ObjectInfo,
                 meta: dict[str, Any]) -> None:
        """Copy a version's data under a header with room for `meta`, then rename it in (key lock held)."""
        slot = slot_size_for(meta)
        tmp, fd = self._new_file()
        try:
            os.pwrite(fd, encode_prefix(meta, slot), 0)
            if not info.extent_dir and info.size:
                fsutil.copy_range(src, data_offset, fd, 16 + 2 * slot, info.size)
            os.fdatasync(fd)
            os.rename(tmp, path)
            fsutil.fsync_dir(path.parent)
        finally:
            os.close(fd)
            tmp.unlink(missing_ok=True)

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        """-> ObjectInfo of the current version; 404 NoSuchBucket / NoSuchKey."""
        info = self._bucket(bucket).index.get(key)
        if info is None:
            raise no_such_key(key)
        return info

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, ObjectReader]:
        """-> (info, reader) of one consistent version; the caller closes the reader.

        The reader holds that version's file open, so a concurrent overwrite, append or delete
        does not change the bytes it returns (reads are bounded by info.size).
        """
        b = self._bucket(bucket)
        # Without the key lock: open what the path holds, and keep it if its header is the version
        # the index names (a rename swaps versions atomically; a mismatch means a commit is in
        # flight, so look again). Writers never wait for readers, nor readers for an fsync.
        for _ in range(8):
            info = b.index.get(key)
            if info is None:
                raise no_such_key(key)
            reader = self._open_version(b, info)
            if reader is not None:
                return info, reader
        with self._key_lock(bucket, key):  # a key rewritten without pause: take turns
            info = b.index.get(key)
            if info is None:
                raise no_such_key(key)
            reader = self._open_version(b, info)
        if reader is None:
            raise OSSError("InternalError", "The object file does not match its index entry.", 500)
        return info, reader

    @staticmethod
    def _open_version(b: _Bucket, info: ObjectInfo) -> ObjectReader | None:
        """A reader of exactly the version `info`, or None when the file holds another one."""
        try:
            fd = os.open(b.object_path(info.key), os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            header = read_header(fd)
            meta = header.meta
            if meta.get("etag") != info.etag or float(meta.get("lm", -1)) != info.last_modified:
                os.close(fd)
                return None
            if not info.extent_dir:
                return ObjectReader.single(fd, header.data_offset, info.size)
            os.close(fd)
            fd = -1
            spans = extents.open_spans(b.path, info.extent_dir, info.extents)
        except (CorruptObject, FileNotFoundError):
            if fd >= 0:
                os.close(fd)
            return None
        except BaseException:
            if fd >= 0:
                os.close(fd)
            raise
        reader = ObjectReader(spans)
        if reader.size != info.size:
            reader.close()
            raise OSSError("InternalError", "The object's extents do not add up to its size.", 500)
        return reader

    def append_object(self, bucket: str, key: str, position: int, body: BinaryIO, length: int | None,
                      headers: ObjectHeaders | None = None, principal_arn: str = "", request_id: str = "",
                      *, content_md5: str | None = None, principal_id: str = "",
                      source_ip: str = "127.0.0.1") -> ObjectInfo:
        """Append at `position` (must equal the current size) -> ObjectInfo of the whole object.

        409 PositionNotEqualToLength (+ header x-oss-next-append-position), 409 ObjectNotAppendable
        for Normal/Multipart objects. Position 0 on a missing key creates an Appendable object with
        `headers`. CRC64 covers the whole object (combined); the ETag changes on every append.
        """
        b = self._bucket(bucket)
        validate_key(key)
        expected = _decode_md5(content_md5)
        caller = Caller(principal_arn, principal_id, request_id, source_ip)
        if position < 0:
            raise invalid_argument("position must be a non-negative integer.")
        self._check_append(b.index.get(key), key, position)  # fail fast, before reading the body
        tmp, fd = self._new_file()
        try:
            res = stream_into(fd, body, length, MAX_OBJECT_SIZE, 0)
            if expected is not None and res.md5 != expected:
                raise bad_digest()
            os.close(fd)
            fd = -1
            with self._key_lock(bucket, key):
                old = b.index.get(key)
                self._check_append(old, key, position)
                if old is None:
                    return self._append_create(b, key, tmp, res.size, res.md5, res.crc64,
                                               headers or ObjectHeaders(), caller)
                if old.size + res.size > MAX_OBJECT_SIZE:
                    raise OSSError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.",
                                   400)
                return self._append_in_place(b, old, tmp, res.size, res.md5, res.crc64, caller)
        finally:
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)

    @staticmethod
    def _check_append(old: ObjectInfo | None, key: str, position: int) -> None:
        if old is not None and old.object_type != "Appendable":
            raise OSSError("ObjectNotAppendable", "The object is not appendable.", 409, extra={"Key": key})
        current = old.size if old is not None else 0
        if position != current:
            raise OSSError("PositionNotEqualToLength", "Position is not equal to file length.", 409,
                           headers={"x-oss-next-append-position": str(current)})

    def _append_create(self, b: _Bucket, key: str, data: Path, size: int, md5: bytes, crc: int,
                       headers: ObjectHeaders, caller: Caller) -> ObjectInfo:
        """First append (caller holds the key lock): a new Appendable file from the staged data."""
        base = {"key": key, "type": "Appendable", "headers": headers.to_dict()}
        slot = slot_size_for(base)
        info = ObjectInfo(b.info.name, key, size, md5.hex().upper(), crc, self.clock.now(), "Appendable",
                          headers, size)
        intent = self._intent(events.APPEND, size, caller)
        tmp, fd = self._new_file()
        try:
            os.pwrite(fd, encode_prefix(dict(records.meta_of(info), pending=intent), slot), 0)
            src = os.open(data, os.O_RDONLY)
            try:
                fsutil.copy_range(src, 0, fd, 16 + 2 * slot, size)
            finally:
                os.close(src)
            os.fdatasync(fd)
            final = b.object_path(key)
            os.rename(tmp, final)
            fsutil.fsync_dir(final.parent)
        finally:
            os.close(fd)
            tmp.unlink(missing_ok=True)
        b.index.set(info)
        self._publish(b, final, key, size, info.etag, intent)
        return info

    def _append_in_place(self, b: _Bucket, old: ObjectInfo, data: Path, size: int, md5: bytes, crc: int,
                         caller: Caller) -> ObjectInfo:
        """Later appends (caller holds the key lock): bytes after the committed size, fsync, then
        the other header slot with seq+1, fsync. A crash before the slot write keeps `old`."""
        fd = os.open(b.object_path(old.key), os.O_RDWR)
        try:
            header = read_header(fd)
            end = header.data_offset + old.size
            os.ftruncate(fd, end)  # cut bytes of an append that crashed before its header write
            src = os.open(data, os.O_RDONLY)
            try:
                fsutil.copy_range(src, 0, fd, end, size)
            finally:
                os.close(src)
            os.fdatasync(fd)
            etag = hashlib.md5(old.etag.encode() + md5, usedforsecurity=False).hexdigest().upper()
            new_size = old.size + size
            info = ObjectInfo(b.info.name, old.key, new_size, etag, crc64_combine(old.crc64, crc, size),
                              self.clock.now(), "Appendable", old.headers, new_size)
            intent = self._intent(events.APPEND, size, caller)
            records.write_with_intent(fd, header, records.meta_of(info), intent)
            os.fdatasync(fd)
        finally:
            os.close(fd)
        b.index.set(info)
        self._publish(b, b.object_path(old.key), old.key, new_size, info.etag, intent)
        return info

    def copy_object(self, src_bucket: str, src_key: str, bucket: str, key: str, headers: ObjectHeaders | None,
                    forbid_overwrite: bool = False, principal_arn: str = "", request_id: str = "", *,
                    principal_id: str = "", source_ip: str = "127.0.0.1",
                    attrs: dict[str, Any] | None = None) -> ObjectInfo:
        """Copy one version into a Normal object (`headers` None = keep the source's) -> ObjectInfo.

        404 NoSuchBucket / NoSuchKey (source), 409 FileAlreadyExists.
        """
        b = self._bucket(bucket)
        validate_key(key)
        caller = Caller(principal_arn, principal_id, request_id, source_ip)
        src_info, reader = self.open_object(src_bucket, src_key)
        with reader:
            self._check_overwrite(b, key, b.index.get(key), forbid_overwrite, principal_arn)

            def fill(fd: int, offset: int) -> tuple[int, str, int]:
                res = stream_into(fd, reader, src_info.size, MAX_OBJECT_SIZE, offset)
                return res.size, res.md5.hex().upper(), res.crc64

            keep = {"tags": src_info.tags}
            return self._write_object(b, key, "Normal", headers if headers is not None else src_info.headers,
                                      fill, forbid_overwrite, caller, events.COPY, attrs={**keep, **(attrs or {})})

    def delete_object(self, bucket: str, key: str, request_id: str = "", *,
                      event_name: str = events.DELETE, principal_id: str = "", principal_arn: str = "",
                      source_ip: str = "127.0.0.1") -> ObjectInfo | None:
        """Delete (idempotent) -> the removed version or None; no event when nothing was there.

        `event_name` ObjectRemoved:DeleteObjects for multi-delete. The event has size 0,
        deltaSize −old size and the removed version's eTag.
        """
        b = self._bucket(bucket)
        caller = Caller(principal_arn, principal_id, request_id, source_ip)
        return self._delete(b, key, caller, event_name, None)

    def _delete(self, b: _Bucket, key: str, caller: Caller, event_name: str,
                only_if: Any) -> ObjectInfo | None:
        with self._key_lock(b.info.name, key):
            old = b.index.get(key)
            if old is None or (only_if is not None and not only_if(old)):
                return None
            # The intent goes into the doomed file, which moves to trash/ (the delete is that
            # rename); after the event it is unlinked. Startup finishes what a crash cut short.
            path = b.object_path(key)
            intent = self._intent(event_name, -old.size, caller)
            fd = os.open(path, os.O_RDWR)
            try:
                records.write_with_intent(fd, read_header(fd), records.meta_of(old), intent)
                os.fdatasync(fd)
            finally:
                os.close(fd)
            grave = b.path / "trash" / intent["eid"]
            os.rename(path, grave)
            fsutil.fsync_dir(path.parent)
            b.index.remove(key)
            self.outbox.append(self._event(b.info.name, key, 0, old.etag, intent), intent["eid"])
            grave.unlink(missing_ok=True)
            extents.remove(b.path, old.extent_dir)
            return old

    def list_objects(self, bucket: str, prefix: str = "", delimiter: str = "", start_after: str = "",
                     max_keys: int = MAX_KEYS) -> Listing:
        """One page of keys > start_after (v1 marker = v2 start-after = v2 continuation token).

        Order: UTF-8 byte order. `Listing.next_marker` (when truncated) is the last key or common
        prefix returned: pass it back as start_after. 400 InvalidArgument when max_keys not in 0..1000.
        """
        b = self._bucket(bucket)
        if not 0 <= max_keys <= MAX_KEYS:
            raise invalid_argument("max-keys must be between 0 and 1000.", "max-keys", max_keys)
        if max_keys == 0:
            return Listing([], [], False, None)
        return b.index.list(prefix or "", delimiter or "", start_after or "", max_keys)

    # -- multipart --------------------------------------------------------------------------
    def initiate_multipart(self, bucket: str, key: str, headers: ObjectHeaders,
                           forbid_overwrite: bool = False, principal_arn: str = "",
                           attrs: dict[str, Any] | None = None) -> UploadInfo:
        """-> UploadInfo (upload_id: 32 upper hex chars). 409 FileAlreadyExists when forbidden now."""
        b = self._bucket(bucket)
        validate_key(key)
        self._check_overwrite(b, key, b.index.get(key), forbid_overwrite, principal_arn)
        return b.uploads.initiate(key, headers, self.clock.now(), attrs)

    def upload_part(self, bucket: str, key: str, upload_id: str, part_number: int, body: BinaryIO,
                    length: int | None, content_md5: str | None = None) -> PartInfo:
        """Store (or replace) one part -> PartInfo. 400 InvalidArgument (number not 1..10000),
        InvalidDigest, EntityTooLarge; 404 NoSuchUpload."""
        b = self._bucket(bucket)
        expected = _decode_md5(content_md5)
        if not 1 <= part_number <= 10000:
            raise invalid_argument("Part number must be an integer between 1 and 10000, inclusive.", "partNumber",
                                   part_number)
        return b.uploads.upload_part(key, upload_id, part_number, body, length, expected, self.clock.now())

    def complete_multipart(self, bucket: str, key: str, upload_id: str, parts: list[tuple[int, str]] | None,
                           complete_all: bool = False, forbid_overwrite: bool = False,
                           principal_arn: str = "", request_id: str = "", *, principal_id: str = "",
                           source_ip: str = "127.0.0.1") -> ObjectInfo:
        """Assemble the named parts (or all, with complete_all) into a Multipart object.

        400 InvalidPart / InvalidPartOrder / EntityTooSmall / MalformedXML, 404 NoSuchUpload,
        409 FileAlreadyExists. ETag "<HEX md5 of part md5s>-<N>"; CRC64 combined from the parts.
        The parts become the object's extents (hard links, see extents.py): no byte is copied.
        """
        b = self._bucket(bucket)
        caller = Caller(principal_arn, principal_id, request_id, source_ip)
        up = b.uploads.get(upload_id, key)
        with up.lock:
            up = b.uploads.get(upload_id, key)
            chosen = b.uploads.select(up, parts, complete_all)
            etag = multipart_etag([p.md5 for p in chosen])
            crc = combined_crc(chosen)
            total = sum(p.info.size for p in chosen)
            if total > MAX_OBJECT_SIZE * 10000:
                raise OSSError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", 400)
            self._check_overwrite(b, key, b.index.get(key), forbid_overwrite, principal_arn)  # fail fast
            extent_id = extents.assemble(b.path, self.tmp_dir, [p.path for p in chosen])
            try:
                info = self._write_object(b, key, "Multipart", up.info.headers,
                                          lambda fd, offset: (total, etag, crc), forbid_overwrite, caller,
                                          events.COMPLETE, extent_dir=extent_id, extent_count=len(chosen),
                                          attrs={"storage_class": up.info.storage_class, "tags": up.info.tags,
                                                 "acl": up.info.acl})
            except BaseException:
                extents.remove(b.path, extent_id)
                raise
            b.uploads.finish(up)
            return info

    def abort_multipart(self, bucket: str, key: str, upload_id: str) -> None:
        """Drop an upload and its parts. 404 NoSuchUpload."""
        self._bucket(bucket).uploads.abort(key, upload_id)

    def list_parts(self, bucket: str, key: str, upload_id: str, part_number_marker: int = 0,
                   max_parts: int = 1000) -> PartListing:
        """Parts with number > marker, ascending, at most max_parts (1..1000). 404 NoSuchUpload."""
        b = self._bucket(bucket)
        if not 1 <= max_parts <= 1000:
            raise invalid_argument("max-parts must be between 1 and 1000.", "max-parts", max_parts)
        info, page, truncated = b.uploads.list_parts(key, upload_id, part_number_marker, max_parts)
        nxt = page[-1].part_number if page else part_number_marker
        return PartListing(info, page, truncated, nxt, part_number_marker, max_parts)

    def list_uploads(self, bucket: str, prefix: str = "", delimiter: str = "", key_marker: str = "",
                     upload_id_marker: str = "", max_uploads: int = 1000) -> UploadListing:
        """In-progress uploads ordered by (key, initiation). Markers as S3/OSS: with only key_marker,
        uploads of keys > key_marker; with upload_id_marker too, also that key's later uploads."""
        b = self._bucket(bucket)
        if not 1 <= max_uploads <= 1000:
            raise invalid_argument("max-uploads must be between 1 and 1000.", "max-uploads", max_uploads)
        return b.uploads.listing(prefix, delimiter, key_marker, upload_id_marker, max_uploads)

    # -- lifecycle --------------------------------------------------------------------------
    def sweep_lifecycle(self) -> int:
        """Apply every bucket's enabled lifecycle rules at clock.now(); -> objects expired or
        transitioned + uploads aborted. A rule scopes objects by prefix, tags, size and its Not
        (lifecycle.matches). Expirations emit ObjectRemoved:DeleteObject (principal "lifecycle");
        transitions change the storage class in place (data, ETag and Last-Modified stay)."""
        now = self.clock.now()
        done = 0
        caller = Caller(principal_id="lifecycle", request_id="", source_ip="127.0.0.1")
        for b in list(self._buckets.values()):
            for rule in lifecycle.active_rules(b.configs.get("lifecycle")):
                expiration = rule.get("expiration")
                for info in b.index.snapshot(rule["prefix"]):
                    if not lifecycle.matches(rule, info.key, info.size, info.tags):
                        continue
                    if expiration and lifecycle.is_due(expiration, info.last_modified, now):
                        def due(cur: ObjectInfo, action: dict[str, Any] = expiration,
                                r: dict[str, Any] = rule) -> bool:
                            return lifecycle.is_due(action, cur.last_modified, now) and \
                                lifecycle.matches(r, cur.key, cur.size, cur.tags)
                        if self._delete(b, info.key, caller, events.LIFECYCLE_EXPIRE, due) is not None:
                            done += 1
                        continue
                    target = lifecycle.due_transition(rule, info.storage_class, info.last_modified, now)
                    if target is not None and info.object_type != "Symlink":
                        try:
                            self.update_object(b.info.name, info.key, storage_class=target)
                            done += 1
                        except OSSError:
                            pass  # deleted meanwhile
                abort = rule.get("abort_multipart_upload")
                if abort:
                    for up in b.uploads.all():
                        if up.key.startswith(rule["prefix"]) and lifecycle.is_due(abort, up.initiated, now):
                            try:
                                b.uploads.abort(up.key, up.upload_id)
                                done += 1
                            except OSSError:
                                pass  # completed or aborted meanwhile
        return done

    def start_sweeper(self, interval: float) -> None:
        """Run sweep_lifecycle every `interval` seconds on a daemon thread (until close())."""
        if self._sweeper is not None:
            return

        def loop() -> None:
            while not self._sweeper_stop.wait(interval):
                try:
                    n = self.sweep_lifecycle()
                    if n:
                        log.info("lifecycle sweep", extra={"applied": n})
                except Exception:  # noqa: BLE001 - the sweeper must survive and retry next time
                    log.exception("lifecycle sweep failed")

        self._sweeper = threading.Thread(target=loop, name="oss-lifecycle", daemon=True)
        self._sweeper.start()

    def close(self) -> None:
        """Stop the sweeper and the outbox subscribers; flush the outbox."""
        self._sweeper_stop.set()
        if self._sweeper is not None:
            self._sweeper.join(10)
            self._sweeper = None
        self.outbox.close()
