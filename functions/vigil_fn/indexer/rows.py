"""A visible clip as the index stores it: a row (a list, parsed and folded faster than a dict or a
dataclass), read through the named columns below and `row_end`, never by bare position.

Compacted segments, the day cache, the readers and the api all hold rows in this order; a new
column goes at the end of `CREATE_COLS`. Rows stored before the last column was added (segments and
calendar spills written by an older indexer) are read through `current`: padded with None, so an old
day reads as it did, without the new fact.
"""

from __future__ import annotations

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
    if all(map(ROW_LEN.__eq__, map(len, rows))):
        return rows
    return [r if len(r) == ROW_LEN else [*r, None] for r in rows]
