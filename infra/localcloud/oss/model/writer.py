"""How a change becomes visible: temp file → fsync → rename under the key lock → index → event.

Shared by every write path (puts, copies, completes, appends, deletes, attribute updates and the
lifecycle sweep), so the durability and event rules live in one place:

* every write streams to a temp file, is fsynced, and becomes visible by one rename under a
  per-key lock (last writer wins); then the directory is fsynced, the in-memory key index is
  updated and the event is appended (fsynced) to the outbox, all before the call returns;
* the event's "intent" goes into the object header with the data, so a crash between the
  commit and the outbox append is finished at startup (see `Store._reconcile`);
* the write-once rules (x-oss-forbid-overwrite and OverwriteConfig) are checked here, for puts,
  copies, completes and appends alike.
"""

from __future__ import annotations

import hashlib
import os
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from localcloud.common import logs
from localcloud.common.clock import Clock

from ..errors import FileAlreadyExists, NoSuchBucket, NoSuchKey
from . import events, extents, fsutil, overwrite, records
from .keyindex import KeyIndex
from .multipart import Uploads
from .objects import encode_prefix, read_header, slot_size_for
from .outbox import Outbox
from .types import BucketInfo, Caller, ObjectHeaders, ObjectInfo, ObjectType

log = logs.get("localcloud.oss.store")

_LOCK_STRIPES = 1024
# fill(fd, data_offset) writes an object's data into the temp file -> (size, etag, crc64)
Fill = Callable[[int, int], "tuple[int, str, int]"]


def key_hash(key: str) -> str:
    """The file name of a key's object (sha256 hex): any key, of any length, is a safe name."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass
class BucketState:
    """One bucket in memory: its info, folder, key index, uploads and configs."""

    info: BucketInfo
    path: Path
    index: KeyIndex
    uploads: Uploads
    configs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def object_path(self, key: str) -> Path:
        h = key_hash(key)
        return self.path / "objects" / h[:2] / h


class Writer:
    """The commit machinery over one data folder (thread-safe)."""

    def __init__(self, *, tmp_dir: Path, clock: Clock, region: str, account_id: str, outbox: Outbox,
                 is_live: Callable[[BucketState], bool]) -> None:
        self.tmp_dir = tmp_dir
        self.clock = clock
        self.region = region
        self.account_id = account_id
        self.outbox = outbox
        self._is_live = is_live
        self._key_locks = [threading.Lock() for _ in range(_LOCK_STRIPES)]

    def key_lock(self, bucket: str, key: str) -> threading.Lock:
        h = zlib.crc32(f"{bucket}\0{key}".encode("utf-8", "surrogatepass"))
        return self._key_locks[h % _LOCK_STRIPES]

    def new_file(self) -> tuple[Path, int]:
        tmp = fsutil.temp_path(self.tmp_dir, ".obj")
        return tmp, os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    # -- write-once ---------------------------------------------------------------------------
    @staticmethod
    def check_overwrite(b: BucketState, key: str, old: ObjectInfo | None, *, forbid_overwrite: bool,
                        caller: Caller) -> None:
        """409 FileAlreadyExists when `old` exists and x-oss-forbid-overwrite or a rule forbids it."""
        if old is None:
            return
        if forbid_overwrite:
            raise FileAlreadyExists()
        rule = overwrite.forbidding_rule(b.configs.get("overwrite"), key, caller.principal_arn)
        if rule is not None:
            log.info("overwrite refused by rule", extra={"bucket": b.info.name, "key": key, "rule": rule})
            raise FileAlreadyExists()

    # -- events: an intent in the object header, then the outbox record ---------------------
    def intent(self, name: str, delta: int, caller: Caller) -> dict[str, Any]:
        """The "pending" record a commit writes into the object header with the data.

        If the process dies after the commit and before the outbox append, startup finds the
        intent and appends the event then: a visible change always gets its event, at least once.
        """
        return {"eid": uuid.uuid4().hex, "name": name, "delta": delta, "t": self.clock.now(),
                "rid": records.clip(caller.request_id or uuid.uuid4().hex.upper()),
                "pid": records.clip(caller.principal_id or self.account_id),
                "ip": records.clip(caller.source_ip)}

    def event(self, bucket: str, key: str, size: int, etag: str, intent: dict[str, Any]) -> dict[str, Any]:
        return events.build(
            name=intent["name"], now=float(intent["t"]), region=self.region, account_id=self.account_id,
            bucket=bucket, key=key, size=size, delta=int(intent["delta"]), etag=etag,
            request_id=intent["rid"], principal_id=intent["pid"], source_ip=intent["ip"])

    def publish(self, b: BucketState, path: Path, key: str, size: int, etag: str,
                intent: dict[str, Any]) -> None:
        """Append the event of a committed change, then drop the intent from the header.

        The drop is not fsynced: if it is lost, startup sees the eid among the recent outbox
        records and only clears it (or, past that window, sends the event once more).
        """
        self.outbox.append(self.event(b.info.name, key, size, etag, intent), intent["eid"])
        records.clear_intent(path, intent["eid"], sync=False)

    # -- whole-object writes ------------------------------------------------------------------
    def write_object(self, b: BucketState, key: str, *, kind: ObjectType, headers: ObjectHeaders, fill: Fill,
                     forbid_overwrite: bool, caller: Caller, event_name: str, extent_dir: str = "",
                     extent_count: int = 0, attrs: dict[str, Any] | None = None) -> ObjectInfo:
        """Create a temp object file, let `fill(fd, data_offset)` write the data and return
        (size, etag, crc64), then header + fsync + commit. Nothing is visible on failure.
        With `extent_dir` the data is that extent folder's files and `fill` writes nothing."""
        draft = replace(ObjectInfo(b.info.name, key, 0, "", 0, 0.0, kind, headers, extent_dir=extent_dir,
                                   extents=extent_count), **(attrs or {}))
        slot = slot_size_for(records.meta_of(draft))
        offset = 16 + 2 * slot
        tmp, fd = self.new_file()
        try:
            size, etag, crc = fill(fd, offset)
            info = replace(draft, size=size, etag=etag, crc64=crc, last_modified=self.clock.now(),
                           next_append_position=size if kind == "Appendable" else None)
            old = b.index.get(key)
            intent = self.intent(event_name, size - (old.size if old else 0), caller)
            os.pwrite(fd, encode_prefix(dict(records.meta_of(info), pending=intent), slot), 0)
            os.fdatasync(fd)
            os.close(fd)
            fd = -1
            return self._commit(b, tmp, info, forbid_overwrite=forbid_overwrite, caller=caller, intent=intent)
        finally:
            if fd >= 0:
                os.close(fd)
            tmp.unlink(missing_ok=True)

    def _commit(self, b: BucketState, tmp: Path, info: ObjectInfo, *, forbid_overwrite: bool, caller: Caller,
                intent: dict[str, Any]) -> ObjectInfo:
        """Rename a fully written, fsynced temp file over the key's path; index; event."""
        with self.key_lock(b.info.name, info.key):
            if not self._is_live(b):
                raise NoSuchBucket(b.info.name)
            old = b.index.get(info.key)
            self.check_overwrite(b, info.key, old, forbid_overwrite=forbid_overwrite, caller=caller)
            final = b.object_path(info.key)
            try:
                os.rename(tmp, final)
            except FileNotFoundError as exc:  # the bucket was deleted meanwhile
                raise NoSuchBucket(b.info.name) from exc
            fsutil.fsync_dir(final.parent)
            b.index.set(info)
            # the live event has the exact delta; the header's guess only serves crash recovery
            intent = dict(intent, delta=info.size - (old.size if old else 0))
            self.publish(b, final, info.key, info.size, info.etag, intent)
            if old is not None and old.extent_dir and old.extent_dir != info.extent_dir:
                extents.remove(b.path, old.extent_dir)
        return info

    # -- deletes and attribute updates --------------------------------------------------------
    def delete(self, b: BucketState, key: str, *, caller: Caller, event_name: str | None,
               only_if: Callable[[ObjectInfo], bool] | None = None) -> ObjectInfo | None:
        """Remove the current version (when `only_if` accepts it) -> it, or None; its event.

        `event_name=None` deletes silently: real OSS announces no lifecycle expiration (its
        event list has no such name), so the sweep passes None."""
        with self.key_lock(b.info.name, key):
            old = b.index.get(key)
            if old is None or (only_if is not None and not only_if(old)):
                return None
            # The intent goes into the doomed file, which moves to trash/ (the delete is that
            # rename); after the event it is unlinked. Startup finishes what a crash cut short.
            # A silent delete writes no intent: startup just unlinks what it finds in trash/.
            path = b.object_path(key)
            intent = None if event_name is None else self.intent(event_name, -old.size, caller)
            if intent is not None:
                fd = os.open(path, os.O_RDWR)
                try:
                    records.write_with_intent(fd, read_header(fd), records.meta_of(old), intent)
                    os.fdatasync(fd)
                finally:
                    os.close(fd)
            grave = b.path / "trash" / (intent["eid"] if intent is not None else uuid.uuid4().hex)
            os.rename(path, grave)
            fsutil.fsync_dir(path.parent)
            b.index.remove(key)
            if intent is not None:
                self.outbox.append(self.event(b.info.name, key, 0, old.etag, intent), intent["eid"])
            grave.unlink(missing_ok=True)
            extents.remove(b.path, old.extent_dir)
            return old

    def update(self, b: BucketState, key: str, changes: dict[str, Any]) -> ObjectInfo:
        """Change attributes of the current version in its header, fsynced (no event)."""
        with self.key_lock(b.info.name, key):
            info = b.index.get(key)
            if info is None:
                raise NoSuchKey(key)
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
                    self._rebuild(path, fd, header.data_offset, new, meta)
            finally:
                os.close(fd)
            b.index.set(new)
            return new

    def _rebuild(self, path: Path, src: int, data_offset: int, info: ObjectInfo, meta: dict[str, Any]) -> None:
        """Copy a version's data under a header with room for `meta`, then rename it in (key lock held)."""
        slot = slot_size_for(meta)
        tmp, fd = self.new_file()
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
