"""AppendObject: the one write that extends an object in place instead of replacing it.

The first append (position 0 on a missing key) creates an Appendable object; later ones write
the bytes after the committed size, fsync, then flip the header to the other slot with seq+1,
fsync. A crash before the slot write keeps the previous version (its size bounds every read).

Write-once (localcloud's reading of OverwriteConfig): an appendable object can be extended later,
so a key an overwrite rule protects from this writer cannot be appended to at all, not even
created by an append (Vigil's recordings under `videos/` are write-once, issue #13 hole 8).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, BinaryIO

from ..errors import AccessDenied, EntityTooLarge, FileAlreadyExists, ObjectNotAppendable, PositionNotEqualToLength
from . import events, fsutil, overwrite, records
from .crc import crc64_combine
from .objects import bad_digest, encode_prefix, read_header, slot_size_for, stream_into
from .types import MAX_OBJECT_SIZE, Caller, ObjectHeaders, ObjectInfo
from .writer import BucketState, Writer

_PROTECTED = "This key is protected by an overwrite rule: appends are not allowed."


def append(w: Writer, b: BucketState, key: str, *, position: int, body: BinaryIO, length: int | None,
           headers: ObjectHeaders, expected_md5: bytes | None, caller: Caller,
           attrs: dict[str, Any] | None = None) -> ObjectInfo:
    """Append at `position` (must equal the current size) -> ObjectInfo of the whole object."""
    check_write_once(b, key, caller)
    _check_position(b.index.get(key), key, position)  # fail fast, before reading the body
    tmp, fd = w.new_file()
    try:
        res = stream_into(fd, body, length, MAX_OBJECT_SIZE, 0)
        if expected_md5 is not None and res.md5 != expected_md5:
            raise bad_digest()
        os.close(fd)
        fd = -1
        staged = _Staged(tmp, res.size, res.md5, res.crc64)
        with w.key_lock(b.info.name, key):
            old = b.index.get(key)
            _check_position(old, key, position)
            if old is None:
                return _create(w, b, key, staged, headers, caller, attrs or {})
            if old.size + res.size > MAX_OBJECT_SIZE:
                raise EntityTooLarge()
            return _extend(w, b, old, staged, caller)
    finally:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)


def check_write_once(b: BucketState, key: str, caller: Caller) -> None:
    """403 AccessDenied (no object yet) or 409 FileAlreadyExists (an Appendable one) when an
    overwrite rule protects `key` from this caller; a Normal or Multipart object is left to the
    position check, which answers 409 ObjectNotAppendable as OSS does."""
    if overwrite.forbidding_rule(b.configs.get("overwrite"), key, caller.principal_arn) is None:
        return
    existing = b.index.get(key)
    if existing is None:
        raise AccessDenied(_PROTECTED)
    if existing.object_type == "Appendable":
        raise FileAlreadyExists(_PROTECTED)


def _check_position(old: ObjectInfo | None, key: str, position: int) -> None:
    if old is not None and old.object_type != "Appendable":
        raise ObjectNotAppendable(key)
    current = old.size if old is not None else 0
    if position != current:
        raise PositionNotEqualToLength(current)


class _Staged:
    """The appended bytes, already on disk in a temp file, with their digests."""

    def __init__(self, path: Path, size: int, md5: bytes, crc: int) -> None:
        self.path, self.size, self.md5, self.crc = path, size, md5, crc


def _create(w: Writer, b: BucketState, key: str, data: _Staged, headers: ObjectHeaders,
            caller: Caller, attrs: dict[str, Any]) -> ObjectInfo:
    """First append (key lock held): a new Appendable file from the staged data."""
    info = replace(ObjectInfo(b.info.name, key, data.size, data.md5.hex().upper(), data.crc, w.clock.now(),
                              "Appendable", headers, data.size), **attrs)
    slot = slot_size_for(records.meta_of(info))
    intent = w.intent(events.APPEND, data.size, caller)
    tmp, fd = w.new_file()
    try:
        os.pwrite(fd, encode_prefix(dict(records.meta_of(info), pending=intent), slot), 0)
        _copy_in(data, fd, 16 + 2 * slot)
        os.fdatasync(fd)
        final = b.object_path(key)
        os.rename(tmp, final)
        fsutil.fsync_dir(final.parent)
    finally:
        os.close(fd)
        tmp.unlink(missing_ok=True)
    b.index.set(info)
    w.publish(b, final, key, data.size, info.etag, intent)
    return info


def _extend(w: Writer, b: BucketState, old: ObjectInfo, data: _Staged, caller: Caller) -> ObjectInfo:
    """Later appends (key lock held): bytes after the committed size, fsync, then the other
    header slot with seq+1, fsync."""
    fd = os.open(b.object_path(old.key), os.O_RDWR)
    try:
        header = read_header(fd)
        end = header.data_offset + old.size
        os.ftruncate(fd, end)  # cut bytes of an append that crashed before its header write
        _copy_in(data, fd, end)
        os.fdatasync(fd)
        etag = hashlib.md5(old.etag.encode() + data.md5, usedforsecurity=False).hexdigest().upper()
        new_size = old.size + data.size
        # replace, not a new ObjectInfo: tags, ACL and storage class stay with the object
        info = replace(old, size=new_size, etag=etag, crc64=crc64_combine(old.crc64, data.crc, data.size),
                       last_modified=w.clock.now(), next_append_position=new_size)
        intent = w.intent(events.APPEND, data.size, caller)
        records.write_with_intent(fd, header, records.meta_of(info), intent)
        os.fdatasync(fd)
    finally:
        os.close(fd)
    b.index.set(info)
    w.publish(b, b.object_path(old.key), old.key, new_size, info.etag, intent)
    return info


def _copy_in(data: _Staged, fd: int, offset: int) -> None:
    src = os.open(data.path, os.O_RDONLY)
    try:
        fsutil.copy_range(src, 0, fd, offset, data.size)
    finally:
        os.close(src)
