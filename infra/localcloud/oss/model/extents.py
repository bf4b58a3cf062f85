"""Multipart objects keep their parts as the object's data: no copy at CompleteMultipartUpload.

Complete hard-links each chosen part file into `extents/<id>/00000, 00001, ...` (one folder per
object version, made visible by one rename) and the object file holds only the header, which
names the folder. A 256 MB upload thus completes in a few metadata operations instead of copying
(and fsyncing) 256 MB again; the parts were fsynced when they were uploaded.

A reader opens every extent when it opens the version, so an overwrite or delete that removes the
folder afterwards does not disturb it. Folders no live object names (a crash between the
object's removal and its folder's) are removed when the bucket loads.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from pathlib import Path

from . import fsutil

FOLDER = "extents"


def name(index: int) -> str:
    return f"{index:05d}"


def assemble(bucket_path: Path, tmp_dir: Path, part_paths: list[Path]) -> str:
    """Link the parts, in order, into a new extent folder; returns its id (durable on return)."""
    extent_id = uuid.uuid4().hex
    staging = fsutil.temp_path(tmp_dir, ".extents")
    staging.mkdir()
    try:
        for index, path in enumerate(part_paths):
            os.link(path, staging / name(index))
        fsutil.fsync_dir(staging)
        os.rename(staging, bucket_path / FOLDER / extent_id)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsutil.fsync_dir(bucket_path / FOLDER)
    return extent_id


def open_spans(bucket_path: Path, extent_id: str, count: int) -> list[tuple[int, int, int]]:
    """(fd, 0, size) of each extent; FileNotFoundError when the version went away meanwhile."""
    folder = bucket_path / FOLDER / extent_id
    spans: list[tuple[int, int, int]] = []
    try:
        for index in range(count):
            fd = os.open(folder / name(index), os.O_RDONLY)
            spans.append((fd, 0, os.fstat(fd).st_size))
    except BaseException:
        for fd, _, _ in spans:
            os.close(fd)
        raise
    return spans


def remove(bucket_path: Path, extent_id: str) -> None:
    """Drop a version's extents (after the version itself is gone from the index and disk)."""
    if extent_id:
        shutil.rmtree(bucket_path / FOLDER / extent_id, ignore_errors=True)


def collect(bucket_path: Path, live: Iterable[str]) -> int:
    """Remove extent folders no live object names; returns how many."""
    folder = bucket_path / FOLDER
    folder.mkdir(exist_ok=True)
    keep = set(live)
    dropped = 0
    for child in folder.iterdir():
        if child.name not in keep:
            shutil.rmtree(child, ignore_errors=True)
            dropped += 1
    return dropped
