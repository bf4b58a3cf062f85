"""The OSS storage engine's front: buckets, objects, multipart, configs, the lifecycle timer.

Free of HTTP: the protocol layer parses requests into these calls and renders what they return
(types in `types.py`) or raise (the classes in `oss/errors.py`, real OSS codes). Every method
takes the bucket and key positionally and the rest by keyword; a write names its `Caller`.

On disk (`root`)::

    tmp/                          temp files; emptied at startup
    outbox/                       the event log (see outbox.py)
    buckets/<name>/               one bucket (see bucketdir.py)

How a write becomes visible (temp file, fsync, rename, index, event) is `writer.py`; appends are
`appends.py`, consistent reads `reads.py`, the lifecycle sweep `lifecycle.py`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import threading
from pathlib import Path
from typing import Any, BinaryIO

from localcloud.common import logs
from localcloud.common.clock import Clock

from ..errors import (
    BucketAlreadyExists,
    BucketNotEmpty,
    EntityTooLarge,
    InvalidArgument,
    InvalidDigest,
    NoSuchBucket,
    NoSuchKey,
)
from . import account, appends, bucketdir, configs, events, extents, fsutil, lifecycle, reads, records
from .multipart import combined_crc, multipart_etag
from .names import validate_bucket_name, validate_key
from .objects import ObjectReader, bad_digest, stream_into
from .outbox import Outbox
from .types import (
    MAX_KEYS,
    MAX_OBJECT_SIZE,
    BucketInfo,
    Caller,
    Listing,
    ObjectHeaders,
    ObjectInfo,
    PartInfo,
    PartListing,
    UploadInfo,
    UploadListing,
)
from .writer import BucketState, Writer

log = logs.get("localcloud.oss.store")

ANONYMOUS = Caller()


def _decode_md5(content_md5: str | None) -> bytes | None:
    if content_md5 is None:
        return None
    try:
        raw = base64.b64decode(content_md5, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidDigest() from exc
    if len(raw) != 16:
        raise InvalidDigest()
    return raw


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
        self._buckets: dict[str, BucketState] = {}
        unfinished: list[bucketdir.Unfinished] = []
        for path in sorted(self.buckets_dir.iterdir()):
            b, pending = bucketdir.load(path, self.tmp_dir)
            self._buckets[path.name] = b
            unfinished += pending
        self.outbox = Outbox(self.root / "outbox")
        self.account = account.AccountSettings(self.root / "account", self.tmp_dir)
        self._writer = Writer(tmp_dir=self.tmp_dir, clock=clock, region=region, account_id=account_id,
                              outbox=self.outbox, is_live=lambda b: self._buckets.get(b.info.name) is b)
        self._reconcile(unfinished)
        self._sweeper: threading.Thread | None = None
        self._sweeper_stop = threading.Event()
        self._swept = threading.Condition()
        self._swept_applied = 0  # objects/uploads the sweeper thread has applied so far

    def _reconcile(self, unfinished: list[bucketdir.Unfinished]) -> None:
        """Give every change that a crash left without its outbox record that record now."""
        if not unfinished:
            return
        recent = self.outbox.recent_eids()
        sent = 0
        for u in unfinished:
            intent = u.meta["pending"]
            if intent["eid"] not in recent:
                size = 0 if u.deleted else int(u.meta["size"])
                event = self._writer.event(u.bucket.info.name, u.meta["key"], size, u.meta["etag"], intent)
                self.outbox.append(event, intent["eid"])
                sent += 1
            if u.deleted:
                u.path.unlink(missing_ok=True)
            else:
                records.clear_intent(u.path, intent["eid"], sync=True)
        log.info("recovered unfinished changes", extra={"changes": len(unfinished), "events_sent": sent})

    # -- buckets ----------------------------------------------------------------------------
    def _bucket(self, name: str) -> BucketState:
        b = self._buckets.get(name)
        if b is None:
            raise NoSuchBucket(name)
        return b

    def create_bucket(self, name: str, *, storage_class: str = "Standard", redundancy: str = "LRS",
                      acl: str | None = None, sse: dict[str, Any] | None = None) -> BucketInfo:
        """Create bucket `name` -> BucketInfo. 400 InvalidBucketName, 409 BucketAlreadyExists.
        `acl` (private / public-read / public-read-write) is stored as the "acl" config, `sse` (the
        default encryption, configs.validate_sse) as "sse"."""
        validate_bucket_name(name)
        initial = {"acl": configs.validate("acl", {"acl": acl})} if acl is not None else {}
        if sse is not None:
            initial["sse"] = configs.validate("sse", sse)
        with self._lock:
            if name in self._buckets:
                raise BucketAlreadyExists(name)
            info = BucketInfo(name, self.clock.now(), self.region, f"oss-{self.region}", storage_class,
                              redundancy)
            self._buckets[name] = bucketdir.create(self.buckets_dir, self.tmp_dir, info, initial)
            return info

    def delete_bucket(self, name: str) -> None:
        """Delete an empty bucket. 404 NoSuchBucket, 409 BucketNotEmpty (objects or uploads)."""
        with self._lock:
            b = self._bucket(name)
            if len(b.index) or len(b.uploads):
                raise BucketNotEmpty(name)
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
        """kind in configs.KINDS -> the stored dict; 404 NoSuchLifecycle / NoSuchCORSConfiguration /
        NoSuchOverwriteConfiguration (and so on) when none is set."""
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

    def public_access_blocked(self, bucket: str | None) -> bool:
        """Block Public Access is on for the account or for `bucket` (a missing bucket: the account's)."""
        if configs.blocks_public_access(self.account.get("public_access_block")):
            return True
        b = self._buckets.get(bucket) if bucket else None
        return b is not None and configs.blocks_public_access(b.configs.get("public_access_block"))

    # -- objects ----------------------------------------------------------------------------
    def put_object(self, bucket: str, key: str, *, body: BinaryIO, length: int | None, headers: ObjectHeaders,
                   forbid_overwrite: bool = False, content_md5: str | None = None, caller: Caller = ANONYMOUS,
                   event_name: str = events.PUT, attrs: dict[str, Any] | None = None) -> ObjectInfo:
        """Store a Normal object from `body` (read in ≤1 MiB chunks; `length` None = to EOF).

        400 InvalidObjectName / InvalidDigest / EntityTooLarge / IncompleteBody, 404 NoSuchBucket,
        409 FileAlreadyExists (forbid_overwrite or an overwrite rule). `event_name` PostObject for forms.
        """
        b = self._bucket(bucket)
        validate_key(key)
        expected = _decode_md5(content_md5)
        if length is not None and length > MAX_OBJECT_SIZE:
            raise EntityTooLarge()
        # fail fast, before reading the body (checked again at the commit)
        self._writer.check_overwrite(b, key, b.index.get(key), forbid_overwrite=forbid_overwrite, caller=caller)

        def fill(fd: int, offset: int) -> tuple[int, str, int]:
            res = stream_into(fd, body, length, MAX_OBJECT_SIZE, offset)
            if expected is not None and res.md5 != expected:
                raise bad_digest()
            return res.size, res.md5.hex().upper(), res.crc64

        return self._writer.write_object(b, key, kind="Normal", headers=headers, fill=fill,
                                         forbid_overwrite=forbid_overwrite, caller=caller, event_name=event_name,
                                         attrs=attrs)

    def put_symlink(self, bucket: str, key: str, *, target: str, headers: ObjectHeaders,
                    forbid_overwrite: bool = False, caller: Caller = ANONYMOUS,
                    attrs: dict[str, Any] | None = None) -> ObjectInfo:
        """A Symlink object pointing at `target` (which need not exist). ETag: MD5 of the target."""
        b = self._bucket(bucket)
        validate_key(key)
        validate_key(target)
        etag = hashlib.md5(target.encode("utf-8"), usedforsecurity=False).hexdigest().upper()
        return self._writer.write_object(b, key, kind="Symlink", headers=headers, fill=lambda fd, offset: (0, etag, 0),
                                         forbid_overwrite=forbid_overwrite, caller=caller,
                                         event_name=events.PUT_SYMLINK,
                                         attrs=dict(attrs or {}, symlink_target=target))

    def append_object(self, bucket: str, key: str, *, position: int, body: BinaryIO, length: int | None,
                      headers: ObjectHeaders | None = None, content_md5: str | None = None,
                      caller: Caller = ANONYMOUS, attrs: dict[str, Any] | None = None) -> ObjectInfo:
        """Append at `position` (must equal the current size) -> ObjectInfo of the whole object.

        409 PositionNotEqualToLength (+ header x-oss-next-append-position), 409 ObjectNotAppendable
        for Normal/Multipart objects, 403/409 for a key an overwrite rule protects (appends.py).
        Position 0 on a missing key creates an Appendable object with `headers` and `attrs` (tags,
        ACL, storage class: a later append keeps the object's). CRC64 covers the
        whole object (combined); the ETag changes on every append.
        """
        b = self._bucket(bucket)
        validate_key(key)
        expected = _decode_md5(content_md5)
        if position < 0:
            raise InvalidArgument("position must be a non-negative integer.", "position", position)
        return appends.append(self._writer, b, key, position=position, body=body, length=length,
                              headers=headers or ObjectHeaders(), expected_md5=expected, caller=caller,
                              attrs=attrs)

    def copy_object(self, bucket: str, key: str, *, src_bucket: str, src_key: str, headers: ObjectHeaders | None,
                    forbid_overwrite: bool = False, caller: Caller = ANONYMOUS,
                    attrs: dict[str, Any] | None = None) -> ObjectInfo:
        """Copy one version into a Normal object (`headers` None = keep the source's) -> ObjectInfo.

        404 NoSuchBucket / NoSuchKey (source), 409 FileAlreadyExists.
        """
        b = self._bucket(bucket)
        validate_key(key)
        src_info, reader = self.open_object(src_bucket, src_key)
        with reader:
            self._writer.check_overwrite(b, key, b.index.get(key), forbid_overwrite=forbid_overwrite, caller=caller)

            def fill(fd: int, offset: int) -> tuple[int, str, int]:
                res = stream_into(fd, reader, src_info.size, MAX_OBJECT_SIZE, offset)
                return res.size, res.md5.hex().upper(), res.crc64

            return self._writer.write_object(
                b, key, kind="Normal", headers=headers if headers is not None else src_info.headers, fill=fill,
                forbid_overwrite=forbid_overwrite, caller=caller, event_name=events.COPY,
                attrs={"tags": src_info.tags, **(attrs or {})})

    def update_object(self, bucket: str, key: str, **changes: Any) -> ObjectInfo:
        """Change attributes of the current version (tags, acl, storage_class, restored_until) in
        its header, fsynced; the data, ETag and Last-Modified stay. 404 NoSuchKey."""
        return self._writer.update(self._bucket(bucket), key, changes)

    def delete_object(self, bucket: str, key: str, *, caller: Caller = ANONYMOUS,
                      event_name: str = events.DELETE) -> ObjectInfo | None:
        """Delete (idempotent) -> the removed version or None; no event when nothing was there.

        `event_name` ObjectRemoved:DeleteObjects for multi-delete. The event has size 0,
        deltaSize −old size and the removed version's eTag.
        """
        return self._writer.delete(self._bucket(bucket), key, caller=caller, event_name=event_name)

    def head_object(self, bucket: str, key: str) -> ObjectInfo:
        """-> ObjectInfo of the current version; 404 NoSuchBucket / NoSuchKey."""
        info = self._bucket(bucket).index.get(key)
        if info is None:
            raise NoSuchKey(key)
        return info

    def open_object(self, bucket: str, key: str) -> tuple[ObjectInfo, ObjectReader]:
        """-> (info, reader) of one consistent version; the caller closes the reader (reads.py)."""
        return reads.open_object(self._writer, self._bucket(bucket), key)

    def list_objects(self, bucket: str, prefix: str = "", delimiter: str = "", start_after: str = "",
                     max_keys: int = MAX_KEYS) -> Listing:
        """One page of keys > start_after (v1 marker = v2 start-after = v2 continuation token).

        Order: UTF-8 byte order. `Listing.next_marker` (when truncated) is the last key or common
        prefix returned: pass it back as start_after. 400 InvalidArgument when max_keys not in 0..1000.
        """
        b = self._bucket(bucket)
        if not 0 <= max_keys <= MAX_KEYS:
            raise InvalidArgument("max-keys must be between 0 and 1000.", "max-keys", max_keys)
        if max_keys == 0:
            return Listing([], [], False, None)
        return b.index.list(prefix or "", delimiter or "", start_after or "", max_keys)

    # -- multipart --------------------------------------------------------------------------
    def initiate_multipart(self, bucket: str, key: str, *, headers: ObjectHeaders, forbid_overwrite: bool = False,
                           caller: Caller = ANONYMOUS, attrs: dict[str, Any] | None = None) -> UploadInfo:
        """-> UploadInfo (upload_id: 32 upper hex chars). 409 FileAlreadyExists when forbidden now."""
        b = self._bucket(bucket)
        validate_key(key)
        self._writer.check_overwrite(b, key, b.index.get(key), forbid_overwrite=forbid_overwrite, caller=caller)
        return b.uploads.initiate(key, headers, self.clock.now(), attrs)

    def upload_part(self, bucket: str, key: str, *, upload_id: str, part_number: int, body: BinaryIO,
                    length: int | None, content_md5: str | None = None) -> PartInfo:
        """Store (or replace) one part -> PartInfo. 400 InvalidArgument (number not 1..10000),
        InvalidDigest, EntityTooLarge; 404 NoSuchUpload."""
        b = self._bucket(bucket)
        expected = _decode_md5(content_md5)
        if not 1 <= part_number <= 10000:
            raise InvalidArgument("Part number must be an integer between 1 and 10000, inclusive.", "partNumber",
                                  part_number)
        return b.uploads.upload_part(key, upload_id, part_number, body, length, expected, self.clock.now())

    def complete_multipart(self, bucket: str, key: str, *, upload_id: str, parts: list[tuple[int, str]] | None,
                           complete_all: bool = False, forbid_overwrite: bool = False,
                           caller: Caller = ANONYMOUS) -> ObjectInfo:
        """Assemble the named parts (or all, with complete_all) into a Multipart object.

        400 InvalidPart / InvalidPartOrder / EntityTooSmall / MalformedXML, 404 NoSuchUpload,
        409 FileAlreadyExists. ETag "<HEX md5 of part md5s>-<N>"; CRC64 combined from the parts.
        The parts become the object's extents (hard links, see extents.py): no byte is copied.
        """
        b = self._bucket(bucket)
        up = b.uploads.get(upload_id, key)
        with up.lock:
            up = b.uploads.get(upload_id, key)
            chosen = b.uploads.select(up, parts, complete_all)
            etag = multipart_etag([p.md5 for p in chosen])
            crc = combined_crc(chosen)
            total = sum(p.info.size for p in chosen)
            if total > MAX_OBJECT_SIZE * 10000:
                raise EntityTooLarge()
            self._writer.check_overwrite(b, key, b.index.get(key), forbid_overwrite=forbid_overwrite,
                                         caller=caller)  # fail fast
            extent_id = extents.assemble(b.path, self.tmp_dir, [p.path for p in chosen])
            try:
                info = self._writer.write_object(
                    b, key, kind="Multipart", headers=up.info.headers, fill=lambda fd, offset: (total, etag, crc),
                    forbid_overwrite=forbid_overwrite, caller=caller, event_name=events.COMPLETE,
                    extent_dir=extent_id, extent_count=len(chosen),
                    attrs={"storage_class": up.info.storage_class, "tags": up.info.tags, "acl": up.info.acl})
            except BaseException:
                extents.remove(b.path, extent_id)
                raise
            b.uploads.finish(up)
            return info

    def abort_multipart(self, bucket: str, key: str, *, upload_id: str) -> None:
        """Drop an upload and its parts. 404 NoSuchUpload."""
        self._bucket(bucket).uploads.abort(key, upload_id)

    def list_parts(self, bucket: str, key: str, *, upload_id: str, part_number_marker: int = 0,
                   max_parts: int = 1000) -> PartListing:
        """Parts with number > marker, ascending, at most max_parts (1..1000). 404 NoSuchUpload."""
        b = self._bucket(bucket)
        if not 1 <= max_parts <= 1000:
            raise InvalidArgument("max-parts must be between 1 and 1000.", "max-parts", max_parts)
        info, page, truncated = b.uploads.list_parts(key, upload_id, part_number_marker, max_parts)
        nxt = page[-1].part_number if page else part_number_marker
        return PartListing(info, page, truncated, nxt, part_number_marker, max_parts)

    def list_uploads(self, bucket: str, prefix: str = "", delimiter: str = "", key_marker: str = "",
                     upload_id_marker: str = "", max_uploads: int = 1000) -> UploadListing:
        """In-progress uploads ordered by (key, initiation). Markers as S3/OSS: with only key_marker,
        uploads of keys > key_marker; with upload_id_marker too, also that key's later uploads."""
        b = self._bucket(bucket)
        if not 1 <= max_uploads <= 1000:
            raise InvalidArgument("max-uploads must be between 1 and 1000.", "max-uploads", max_uploads)
        return b.uploads.listing(prefix, delimiter, key_marker, upload_id_marker, max_uploads)

    # -- lifecycle --------------------------------------------------------------------------
    def sweep_lifecycle(self) -> int:
        """Apply every bucket's enabled lifecycle rules at clock.now() (lifecycle.sweep) -> objects
        expired or transitioned + uploads aborted."""
        return lifecycle.sweep(self._writer, list(self._buckets.values()), self.clock.now())

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
                        with self._swept:
                            self._swept_applied += n
                            self._swept.notify_all()
                except Exception:  # noqa: BLE001 - the sweeper must survive and retry next time
                    log.exception("lifecycle sweep failed")

        self._sweeper = threading.Thread(target=loop, name="oss-lifecycle", daemon=True)
        self._sweeper.start()

    def wait_swept(self, applied: int, timeout: float) -> bool:
        """Block until the sweeper thread has applied `applied` changes in all -> whether it did.

        Expirations send no event (as on OSS), so this is what a caller waits on instead."""
        with self._swept:
            return self._swept.wait_for(lambda: self._swept_applied >= applied, timeout)

    def close(self) -> None:
        """Stop the sweeper and the outbox subscribers; flush the outbox."""
        self._sweeper_stop.set()
        if self._sweeper is not None:
            self._sweeper.join(10)
            self._sweeper = None
        self.outbox.close()
