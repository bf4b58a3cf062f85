"""A bucket's folder: made whole in a temp folder and renamed in, or read back at startup.

    buckets/<name>/bucket.json    BucketInfo
    buckets/<name>/config/<kind>.json
    buckets/<name>/objects/<hh>/<sha256(key)>   one file per object version (see objects.py)
    buckets/<name>/uploads/<UPLOAD_ID>/          multipart uploads (see multipart.py)
    buckets/<name>/trash/                        deletes in flight (see writer.py)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from localcloud.common import logs

from . import extents, fsutil, records
from .keyindex import KeyIndex
from .multipart import Uploads
from .types import BucketInfo, ObjectInfo
from .writer import BucketState

log = logs.get("localcloud.oss.store")


@dataclass(frozen=True)
class Unfinished:
    """A change a crash left without its outbox record (its intent is still in the header)."""

    bucket: BucketState
    path: Path
    meta: dict[str, Any]
    deleted: bool


def load(path: Path, tmp_dir: Path) -> tuple[BucketState, list[Unfinished]]:
    """Read a bucket folder back: info, configs, the key index; drop orphaned extents and the
    trash of finished deletes; -> the bucket and the changes still to be announced."""
    doc = fsutil.read_json(path / "bucket.json")
    info = BucketInfo(doc["name"], float(doc["created"]), doc["region"], doc["location"],
                      doc.get("storage_class", "Standard"), doc.get("redundancy", "LRS"))
    b = BucketState(info, path, KeyIndex(), Uploads(info.name, path / "uploads", tmp_dir))
    for cfg in (path / "config").glob("*.json"):
        b.configs[cfg.stem] = fsutil.read_json(cfg)
    unfinished: list[Unfinished] = []
    infos: list[ObjectInfo] = []
    for sub in (path / "objects").iterdir():
        for obj in sub.iterdir():
            meta = records.read_meta(obj)
            if meta is None:
                continue
            infos.append(records.info_from_meta(info.name, meta))
            if "pending" in meta:
                unfinished.append(Unfinished(b, obj, meta, deleted=False))
    b.index.load(infos)
    dropped = extents.collect(path, (i.extent_dir for i in infos if i.extent_dir))
    if dropped:
        log.info("removed orphaned extents", extra={"bucket": info.name, "count": dropped})
    (path / "trash").mkdir(exist_ok=True)
    for grave in (path / "trash").iterdir():
        meta = records.read_meta(grave)
        if meta is not None and "pending" in meta:
            unfinished.append(Unfinished(b, grave, meta, deleted=True))
        else:
            grave.unlink(missing_ok=True)
    return b, unfinished


def create(buckets_dir: Path, tmp_dir: Path, info: BucketInfo, configs: dict[str, dict[str, Any]]) -> BucketState:
    """Build the folder of a new bucket in tmp/ and rename it in (fsynced) -> its state."""
    staging = fsutil.temp_path(tmp_dir, ".bucket")
    staging.mkdir()
    for sub in ("config", "uploads", "trash", extents.FOLDER):
        (staging / sub).mkdir()
    objects = staging / "objects"
    objects.mkdir()
    for i in range(256):
        (objects / f"{i:02x}").mkdir()
    fsutil.write_json_atomic(staging / "bucket.json", {
        "name": info.name, "created": info.created, "region": info.region, "location": info.location,
        "storage_class": info.storage_class, "redundancy": info.redundancy}, tmp_dir)
    for kind, doc in configs.items():
        fsutil.write_json_atomic(staging / "config" / f"{kind}.json", doc, tmp_dir)
    for d in (objects, staging):
        fsutil.fsync_dir(d)
    path = buckets_dir / info.name
    os.rename(staging, path)
    fsutil.fsync_dir(buckets_dir)
    return BucketState(info, path, KeyIndex(), Uploads(info.name, path / "uploads", tmp_dir), dict(configs))
