"""Days already read, kept per process (an api instance) so reading one again costs a conditional GET.

A day's compacted segments object only ever grows by appends (or is replaced whole by a rebuild),
and each version has its own ETag; the log bytes the segments cover never change. So the fold of a
day's segments (and of the log holes between them) is a pure function of the segments' ETag: it is
cached under that ETag, and a reader asks OSS for the segments with `If-None-Match` — 304, no body,
when nothing was compacted since. The log after the segments is read every time (a ranged GET, whose
answer carries the log's ETag: when that is the version cached, the day's rows are the ones cached
and nothing else is asked), so a cached day is never staler than an uncached read.

Bounded: entries are evicted least recently used first once they hold more than `max_rows` clip
rows in all (each row is ≈ 690 B in memory, measured with tracemalloc).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from .log import FoldState

MAX_ROWS = 80_000   # ≈ 9 days of 10 s clips of one camera; 690 B a row (measured): ≈ 55 MB of the api's 512


@dataclass
class Prefix:
    """The fold of a day's log bytes [0, cursor) from its segments (and holes): shared, read only."""

    etag: str | None                 # the segments object's version
    state: FoldState
    cursor: int
    segments: int
    raw_bytes: int
    log_etag: str | None = None      # the log's version when `visible` was folded
    visible: list[list[Any]] | None = field(default=None)   # the day's visible rows at `log_etag`


class DayCache:
    """LRU of `Prefix` by (bucket, segments key), bounded by the clip rows it holds."""

    def __init__(self, max_rows: int = MAX_ROWS) -> None:
        self.max_rows = max_rows
        self._lock = threading.Lock()
        self._entries: OrderedDict[tuple[str, str], Prefix] = OrderedDict()
        self._rows = 0
        self.hits = self.misses = 0

    @staticmethod
    def _size(prefix: Prefix) -> int:
        return len(prefix.state.creates) + 1

    def get(self, bucket: str, key: str) -> Prefix | None:
        with self._lock:
            prefix = self._entries.get((bucket, key))
            if prefix is not None:
                self._entries.move_to_end((bucket, key))
            return prefix

    def hit(self) -> None:
        with self._lock:
            self.hits += 1

    def put(self, bucket: str, key: str, prefix: Prefix) -> None:
        size = self._size(prefix)
        with self._lock:
            self.misses += 1
            if size > self.max_rows:
                return
            old = self._entries.pop((bucket, key), None)
            if old is not None:
                self._rows -= self._size(old)
            self._entries[(bucket, key)] = prefix
            self._rows += size
            while self._rows > self.max_rows:
                _, evicted = self._entries.popitem(last=False)
                self._rows -= self._size(evicted)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._rows = 0

    @property
    def rows(self) -> int:
        return self._rows
