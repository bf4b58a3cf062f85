"""The ordered key index of one bucket: what makes ListObjects fast without touching the disk.

Keys are kept in a sorted list (Python orders str by code point, which for valid Unicode is the
same order as UTF-8 bytes, the order OSS lists in) next to a dict key -> ObjectInfo. The store
loads it at startup from the object headers and updates it under its lock after each commit.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator

from .types import Listing, ObjectInfo

_MAX_CHAR = "\U0010ffff"


class KeyIndex:
    """Sorted keys + their current ObjectInfo, safe to use from many threads."""

    def __init__(self) -> None:
        self._keys: list[str] = []
        self._info: dict[str, ObjectInfo] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._info)

    def get(self, key: str) -> ObjectInfo | None:
        return self._info.get(key)

    def set(self, info: ObjectInfo) -> ObjectInfo | None:
        """Insert or replace; returns the previous info."""
        with self._lock:
            old = self._info.get(info.key)
            if old is None:
                bisect.insort(self._keys, info.key)
            self._info[info.key] = info
            return old

    def load(self, infos: list[ObjectInfo]) -> None:
        with self._lock:
            self._info = {i.key: i for i in infos}
            self._keys = sorted(self._info)

    def remove(self, key: str) -> ObjectInfo | None:
        with self._lock:
            old = self._info.pop(key, None)
            if old is not None:
                i = bisect.bisect_left(self._keys, key)
                del self._keys[i]
            return old

    def snapshot(self, prefix: str = "") -> list[ObjectInfo]:
        """Every object under `prefix`, in key order (for lifecycle sweeps)."""
        with self._lock:
            start = bisect.bisect_left(self._keys, prefix)
            out = []
            for key in self._keys[start:]:
                if not key.startswith(prefix):
                    break
                out.append(self._info[key])
            return out

    def list(self, prefix: str, delimiter: str, marker: str, max_keys: int) -> Listing:
        """One ListObjects page: entries (keys or common prefixes) > `marker`, in order.

        With a delimiter, keys whose remainder after `prefix` contains it fold into one common
        prefix. An entry ≤ marker is skipped, so paging by `next_marker` never repeats a
        common prefix.
        """
        contents: list[ObjectInfo] = []
        prefixes: list[str] = []
        last: str | None = None
        with self._lock:
            for kind, value in self._walk(prefix, delimiter, marker):
                if len(contents) + len(prefixes) >= max_keys:
                    return Listing(contents, prefixes, True, last)
                if kind == "key":
                    contents.append(self._info[value])
                else:
                    prefixes.append(value)
                last = value
        return Listing(contents, prefixes, False, None)

    def _walk(self, prefix: str, delimiter: str, marker: str) -> Iterator[tuple[str, str]]:
        keys = self._keys
        start = max(prefix, marker)
        i = bisect.bisect_left(keys, start)
        n = len(keys)
        while i < n:
            key = keys[i]
            if not key.startswith(prefix):
                return
            if delimiter:
                cut = key.find(delimiter, len(prefix))
                if cut >= 0:
                    common = key[: cut + len(delimiter)]
                    if common > marker:
                        yield "prefix", common
                    i = bisect.bisect_left(keys, common + _MAX_CHAR, i)
                    while i < n and keys[i].startswith(common):
                        i += 1
                    continue
            if key > marker:
                yield "key", key
            i += 1
