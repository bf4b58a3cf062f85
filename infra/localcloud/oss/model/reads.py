"""Reading one consistent version of an object while writers carry on.

Without the key lock: open what the path holds, and keep it if its header is the version the
index names (a rename swaps versions atomically; a mismatch means a commit is in flight, so look
again). Writers never wait for readers, nor readers for an fsync.
"""

from __future__ import annotations

import os

from ..errors import InternalError, NoSuchKey
from . import extents
from .objects import CorruptObject, ObjectReader, read_header
from .types import ObjectInfo
from .writer import BucketState, Writer

_TRIES = 8


def open_object(w: Writer, b: BucketState, key: str) -> tuple[ObjectInfo, ObjectReader]:
    """-> (info, reader) of one consistent version; the caller closes the reader.

    The reader holds that version's file open, so a concurrent overwrite, append or delete
    does not change the bytes it returns (reads are bounded by info.size).
    """
    for _ in range(_TRIES):
        info = b.index.get(key)
        if info is None:
            raise NoSuchKey(key)
        reader = _open_version(b, info)
        if reader is not None:
            return info, reader
    with w.key_lock(b.info.name, key):  # a key rewritten without pause: take turns
        info = b.index.get(key)
        if info is None:
            raise NoSuchKey(key)
        reader = _open_version(b, info)
    if reader is None:
        raise InternalError("The object file does not match its index entry.")
    return info, reader


def _open_version(b: BucketState, info: ObjectInfo) -> ObjectReader | None:
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
        raise InternalError("The object's extents do not add up to its size.")
    return reader
