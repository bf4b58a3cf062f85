"""A visible clip as the index stores it: a row (a list, parsed and folded faster than a dict or a
dataclass), read through the named columns below and `row_end`, never by bare position.

Compacted segments store rows as columns (`to_columns`/`from_columns`: a column whose values are all
the same is stored once, so a day's codec, size, status... cost one parsed object, not 8,640). The
day cache, the readers and the api all hold rows in this order; a new
column goes at the end of `CREATE_COLS`. Rows stored before the last column was added (segments and
calendar spills written by an older indexer) are read through `current`: padded with None, so an old
day reads as it did, without the new fact.
"""

from __future__ import annotations

from itertools import repeat
from typing import Any

CREATE_COLS = ("key", "etag", "size", "start", "duration", "codec", "width", "height", "has_keyframe",
               "status", "reason", "event_time", "indexed_at", "activity", "crc64")
ROW_LEN = len(CREATE_COLS)
OLD_ROW_LEN = ROW_LEN - 1    # a row stored before `crc64` (the column every older stored row lacks)

KEY = CREATE_COLS.index("key")
ETAG = CREATE_COLS.index("etag")
SIZE = CREATE_COLS.index("size")
START = CREATE_COLS.index("start")               # UTC ms, from the key
DURATION = CREATE_COLS.index("duration")         # ms, None when unreadable
CODEC = CREATE_COLS.index("codec")
WIDTH = CREATE_COLS.index("width")
HEIGHT = CREATE_COLS.index("height")
HAS_KEYFRAME = CREATE_COLS.index("has_keyframe")
STATUS = CREATE_COLS.index("status")             # "ok" | "unreadable"
REASON = CREATE_COLS.index("reason")
EVENT_TIME = CREATE_COLS.index("event_time")     # the OSS event's time: orders creates and deletes
INDEXED_AT = CREATE_COLS.index("indexed_at")     # when the indexer wrote the entry (UTC ms) or None
ACTIVITY = CREATE_COLS.index("activity")         # the camera's checked activity header, or None (activity.py)
CRC64 = CREATE_COLS.index("crc64")               # OSS's whole-object CRC-64 (decimal string) of the indexed
                                                 # ETag, from the probe's GET; None in entries of older indexers

Row = list[Any]   # a visible clip in CREATE_COLS order; rows are shared (day cache): read only


def row_end(row: Row) -> int:
    """Where a clip ends (UTC ms): its start plus its duration (an unreadable clip has none)."""
    return int(row[START] + (row[DURATION] or 0))


def current(rows: list[Row]) -> list[Row]:
    """Stored rows (all of `ROW_LEN` or `OLD_ROW_LEN`) as this version reads them: old rows padded with
    None (new lists: stored rows are shared); the same list when none is old (the usual day, no copy)."""
    if all(len(r) == ROW_LEN for r in rows):
        return rows
    return [r if len(r) == ROW_LEN else [*r, None] for r in rows]


def to_columns(rows: list[Row]) -> dict[str, list[Any]]:
    """Rows (of `ROW_LEN`) as named columns, a column whose values are all equal (of one type: `True`
    is not `1`) stored as that one value `[v]`: what `from_columns` reads back."""
    out: dict[str, list[Any]] = {}
    if not rows:
        return out
    for name, values in zip(CREATE_COLS, zip(*rows, strict=True), strict=True):
        first = values[0]
        same = all(v == first and type(v) is type(first) for v in values)
        out[name] = [first] if same else list(values)
    return out


_ABSENT = [None]   # a column a writer did not have yet: None in every row (read only)


def from_columns(n: Any, cols: Any) -> list[Row] | None:
    """The `n` rows of `to_columns`'s columns (a column of one value is that value in every row; a
    column a writer did not have yet is None, as `current` pads), or None when they are not that:
    a column of another length, a key that is not a string (the caller reads the log instead)."""
    if type(n) is not int or n < 0 or not isinstance(cols, dict):
        return None
    if n == 0:
        return []
    parts: list[Any] = []
    for name in CREATE_COLS:
        col = cols.get(name, _ABSENT)
        if not isinstance(col, list) or len(col) not in (1, n):
            return None
        parts.append(col if len(col) == n else repeat(col[0], n))
    if not all(map(str.__instancecheck__, cols.get("key") or [None])):
        return None
    return list(map(list, zip(*parts, strict=True)))
