"""Object file records: metadata dict <-> ObjectInfo, and the commit intent ("pending") that
lets startup finish a change a crash cut off (see Store._reconcile)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from localcloud.common import logs

from .objects import CorruptObject, Header, read_header, write_slot
from .types import ObjectHeaders, ObjectInfo, ObjectType

log = logs.get("localcloud.oss.store")


def clip(value: str) -> str:
    """Bound caller strings kept in an object header (see objects.PENDING_RESERVE)."""
    return value[:128]


def read_meta(path: Path) -> dict[str, Any] | None:
    """The metadata of an object file; None (and the file removed) when it is unreadable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        meta = read_header(fd).meta
        for field_name in ("key", "size", "etag", "crc64", "lm", "type"):
            meta[field_name]  # noqa: B018 - presence check
        return meta
    except (CorruptObject, KeyError, ValueError):
        log.warning("dropping an unreadable object file", extra={"file": str(path)})
        path.unlink(missing_ok=True)
        return None
    finally:
        os.close(fd)


def write_with_intent(fd: int, header: Header, meta: dict[str, Any], intent: dict[str, Any]) -> Header:
    """write_slot of `meta` + intent; files from before intents existed may lack the room:
    then without it (such a change is only evented if the process lives to append it)."""
    try:
        return write_slot(fd, header, dict(meta, pending=intent))
    except ValueError:
        return write_slot(fd, header, meta)


def clear_intent(path: Path, eid: str, sync: bool) -> None:
    """Rewrite the header without its "pending" intent (if it is still that change's)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except FileNotFoundError:
        return
    try:
        header = read_header(fd)
        pending = header.meta.get("pending")
        if pending and pending.get("eid") == eid:
            meta = dict(header.meta)
            del meta["pending"]
            write_slot(fd, header, meta)
            if sync:
                os.fdatasync(fd)
    finally:
        os.close(fd)


def info_from_meta(bucket: str, meta: dict[str, Any]) -> ObjectInfo:
    kind: ObjectType = meta["type"]
    return ObjectInfo(
        bucket=bucket,
        key=meta["key"],
        size=int(meta["size"]),
        etag=meta["etag"],
        crc64=int(meta["crc64"]),
        last_modified=float(meta["lm"]),
        object_type=kind,
        headers=ObjectHeaders.from_dict(meta.get("headers") or {}),
        next_append_position=int(meta["size"]) if kind == "Appendable" else None,
        extent_dir=str(meta.get("extent_dir", "")),
        extents=int(meta.get("extents", 0)),
        storage_class=str(meta.get("sc", "Standard")),
        tags=tuple((str(k), str(v)) for k, v in meta.get("tags") or ()),
        acl=str(meta.get("acl", "default")),
        symlink_target=str(meta.get("target", "")),
        restored_until=float(meta.get("restored", 0.0)),
    )


def meta_of(info: ObjectInfo) -> dict[str, Any]:
    meta = {"key": info.key, "size": info.size, "etag": info.etag, "crc64": info.crc64,
            "lm": info.last_modified, "type": info.object_type, "headers": info.headers.to_dict()}
    if info.extent_dir:
        meta["extent_dir"] = info.extent_dir
        meta["extents"] = info.extents
    for name, value, default in (("sc", info.storage_class, "Standard"), ("acl", info.acl, "default"),
                                 ("target", info.symlink_target, ""), ("restored", info.restored_until, 0.0)):
        if value != default:
            meta[name] = value
    if info.tags:
        meta["tags"] = [list(t) for t in info.tags]
    return meta
