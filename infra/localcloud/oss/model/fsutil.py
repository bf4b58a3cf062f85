"""Small durable-filesystem helpers: fsync a directory, write a JSON file atomically, temp names."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any


def fsync_dir(path: Path) -> None:
    """Make renames/creates inside `path` durable."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_path(tmp_dir: Path, hint: str = "") -> Path:
    return tmp_dir / f"{uuid.uuid4().hex}{hint}"


def write_json_atomic(path: Path, doc: Any, tmp_dir: Path) -> None:
    """Write `doc` to `path` so that a crash leaves the old or the new file, never a mix."""
    tmp = temp_path(tmp_dir, ".json")
    data = json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.rename(tmp, path)
    fsync_dir(path.parent)


def read_json(path: Path) -> Any:
    with open(path, "rb") as fh:
        return json.loads(fh.read())


def remove_tree_atomic(path: Path, tmp_dir: Path) -> None:
    """Make `path` disappear in one rename (into tmp), then delete it at leisure."""
    grave = temp_path(tmp_dir, ".dead")
    os.rename(path, grave)
    fsync_dir(path.parent)
    shutil.rmtree(grave, ignore_errors=True)


def clean_dir(path: Path) -> int:
    """Delete everything inside `path` (startup cleanup of temp leftovers); returns the count."""
    count = 0
    for child in path.iterdir():
        count += 1
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    return count


def copy_range(src_fd: int, src_off: int, dst_fd: int, dst_off: int, count: int) -> None:
    """Copy bytes between files in the kernel (no Python buffers), falling back to pread/pwrite."""
    while count > 0:
        try:
            n = os.copy_file_range(src_fd, dst_fd, min(count, 1 << 30), src_off, dst_off)
        except OSError:
            n = 0
        if n <= 0:
            chunk = os.pread(src_fd, min(count, 1 << 20), src_off)
            if not chunk:
                raise OSError("source ended early")
            n = os.pwrite(dst_fd, chunk, dst_off)
        src_off += n
        dst_off += n
        count -= n
