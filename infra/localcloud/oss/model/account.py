"""Account-wide OSS settings: today the account-level Block Public Access (PutPublicAccessBlock).

One JSON file per setting under `<root>/account/`, written atomically; read once at startup and
kept in memory (a request consults them on every anonymous read, so no file I/O there).
localcloud has one account per data folder, so "the account" is the store's.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from . import fsutil


class AccountSettings:
    """Named JSON documents for the whole account (thread-safe)."""

    def __init__(self, folder: Path, tmp_dir: Path) -> None:
        self._folder = folder
        self._tmp_dir = tmp_dir
        folder.mkdir(parents=True, exist_ok=True)
        self._docs: dict[str, dict[str, Any]] = {p.stem: fsutil.read_json(p) for p in folder.glob("*.json")}
        self._lock = threading.Lock()

    def get(self, name: str) -> dict[str, Any] | None:
        return self._docs.get(name)

    def put(self, name: str, doc: dict[str, Any]) -> None:
        with self._lock:
            fsutil.write_json_atomic(self._folder / f"{name}.json", doc, self._tmp_dir)
            self._docs[name] = doc

    def delete(self, name: str) -> None:
        with self._lock:
            path = self._folder / f"{name}.json"
            if path.exists():
                path.unlink()
                fsutil.fsync_dir(self._folder)
            self._docs.pop(name, None)
