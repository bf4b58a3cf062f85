"""The per-device, per-day index log: one JSON line per clip event, appended with AppendObject.

Appends are compare-and-append (`position` must equal the length), so concurrent indexers retry at
the position OSS returns and none overwrites another. Duplicates from retried deliveries and events
that arrive out of order are resolved when the log is read (`FoldState`), never by the writer.

The fold is a merge of per-key states (newest create; newest delete per scope), so folding a log
in pieces — compacted segments, then the tail — gives exactly the fold of the whole log
(`compact.py` and `dayfold.py` rely on it; the property tests check it).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

import orjson
import oss2

from .rows import ETAG, EVENT_TIME, KEY, START, Row

# orjson parses the segment files readers fetch ~2.5x faster than json, to the same values — except
# integers outside [-2**63, 2**64), which it turns into floats (the index writes none: ms and bytes)
_loads = orjson.loads

MAX_APPEND_ATTEMPTS = 1000   # each lost race means another writer's line went in: the log always advances
APPEND_DEADLINE_S = 30.0     # well inside the function's timeout

_T = EVENT_TIME
_ORDER = itemgetter(START, KEY)   # (start, key)
_START = itemgetter(START)


@dataclass(frozen=True)
class Clip:
    """A visible clip after folding the log."""

    key: str
    etag: str
    size: int
    start: int                 # UTC ms, from the key
    duration: int | None       # ms
    codec: str | None
    width: int | None
    height: int | None
    has_keyframe: bool
    status: str                # "ok" | "unreadable"
    reason: str | None
    event_time: int
    indexed_at: int | None = None   # when the indexer wrote the entry (UTC ms)
    activity: str | None = None     # the camera's checked activity header when it held activity (indexer/activity.py)
    crc64: str | None = None        # OSS's CRC-64 of the indexed ETag (None: indexed before it was recorded)

    @property
    def end(self) -> int:
        return self.start + (self.duration or 0)

    def to_dict(self) -> dict[str, Any]:
        """The timeline item's fields; activity is read through `indexer.activity` (events), and the
        CRC-64 by the export (`export.service.plan`), not here."""
        doc = dict(self.__dict__)
        del doc["activity"], doc["crc64"]
        return doc


def encode_entry(entry: dict[str, Any]) -> bytes:
    return (json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode()


def row_of(entry: dict[str, Any]) -> Row:
    """A create entry as a row (`rows.CREATE_COLS` order), with the defaults the fold applies."""
    return [
        entry["key"], str(entry.get("etag", "")), int(entry.get("size") or 0), int(entry.get("start") or 0),
        entry.get("duration"), entry.get("codec"), entry.get("width"), entry.get("height"),
        bool(entry.get("has_keyframe")), str(entry.get("status", "ok")), entry.get("reason"),
        int(entry.get("event_time") or 0), entry.get("indexed_at"), entry.get("activity"), entry.get("crc64"),
    ]


def clip_of(row: Row) -> Clip:
    return Clip(*row)


class FoldState:
    """Per key: the newest create (by OSS event time; later in the log wins a tie) and the newest
    delete per scope. A delete confirmed "changed" (the object exists with another ETag) hides only
    creates of its own ETag; any other delete hides every create at or before its time."""

    __slots__ = ("creates", "deletes")

    def __init__(self) -> None:
        self.creates: dict[str, Row] = {}
        self.deletes: dict[str, dict[str, int]] = {}   # key -> {"*" | etag: newest time}

    def add_row(self, row: Row) -> None:
        current = self.creates.get(row[KEY])
        if current is None or row[_T] >= current[_T]:
            self.creates[row[KEY]] = row

    def add_delete(self, key: str, scope: str, t: int) -> None:
        scopes = self.deletes.setdefault(key, {})
        if t > scopes.get(scope, -1):
            scopes[scope] = t

    def add_entry(self, entry: dict[str, Any]) -> None:
        if entry.get("op") == "delete":
            scope = str(entry.get("etag", "")) if entry.get("confirmed") == "changed" else "*"
            self.add_delete(entry["key"], scope, int(entry.get("event_time") or 0))
        else:
            self.add_row(row_of(entry))

    def add_entries(self, entries: Iterable[dict[str, Any]]) -> FoldState:
        for e in entries:
            self.add_entry(e)
        return self

    def add_rows(self, rows: list[Row]) -> None:
        """Many rows at once (a compacted segment: one row per key): keys not seen yet go in with
        one dict update; only keys already present are compared."""
        incoming = {r[KEY]: r for r in rows}
        clash = incoming.keys() & self.creates.keys()
        for key in clash:
            if incoming[key][_T] < self.creates[key][_T]:
                del incoming[key]
        self.creates.update(incoming)

    def copy(self) -> FoldState:
        """An independent state (rows are shared: they are never changed in place)."""
        out = FoldState()
        out.creates = dict(self.creates)
        out.deletes = {k: dict(v) for k, v in self.deletes.items()}
        return out

    def merge(self, other: FoldState) -> FoldState:
        """Fold `other` (a later part of the same log) into this state."""
        for row in other.creates.values():
            self.add_row(row)
        for key, scopes in other.deletes.items():
            for scope, t in scopes.items():
                self.add_delete(key, scope, t)
        return self

    def visible_rows(self) -> list[Row]:
        """Rows of the visible clips, ordered by (start, key)."""
        deletes = self.deletes
        if not deletes:
            rows = list(self.creates.values())
        else:
            rows = []
            for key, row in self.creates.items():
                scopes = deletes.get(key)
                if scopes and (scopes.get("*", -1) >= row[_T] or scopes.get(row[ETAG], -1) >= row[_T]):
                    continue
                rows.append(row)
        # by start alone (ints: less than half the time of (start, key) tuples on a day), then by
        # (start, key) only if two clips start in the same millisecond
        rows.sort(key=_START)
        if len(set(map(_START, rows))) != len(rows):
            rows.sort(key=_ORDER)
        return rows

    def clips(self) -> list[Clip]:
        return [Clip(*r) for r in self.visible_rows()]


def fold(entries: Iterable[dict[str, Any]]) -> list[Clip]:
    """The visible clips of a log's entries.

    Ordering is by the OSS event time, not by arrival, so a delete delivered before its create
    still hides it, a retried delivery is a harmless duplicate, and a re-upload after a delete
    (newer event time) shows again.
    """
    return FoldState().add_entries(entries).clips()


def _loads_line(line: bytes) -> Any:
    try:
        return _loads(line)
    except ValueError:   # what orjson refuses and json takes (NaN, integers over 64 bits)
        return json.loads(line)


def parse_json_lines(data: bytes) -> list[Any]:
    """Every well-formed JSON value in a run of lines; torn or foreign lines are skipped."""
    lines = [line for line in data.splitlines() if line.strip()]
    try:  # one parse of the whole run is several times faster than a parse per line
        docs = _loads(b"[" + b",".join(lines) + b"]")
        if len(docs) != len(lines):  # torn lines that joined into other values: parse one by one
            raise ValueError("line count mismatch")
    except ValueError:
        docs = []
        for line in lines:
            try:
                docs.append(_loads_line(line))
            except ValueError:
                continue  # a torn line can only come from a bug elsewhere: skip it, never fail the day
    return list(docs)


def parse_lines(data: bytes) -> list[dict[str, Any]]:
    """Every well-formed entry in a run of log lines."""
    return [d for d in parse_json_lines(data) if isinstance(d, dict) and isinstance(d.get("key"), str)]


def read_entries(bucket: oss2.Bucket, log_key: str) -> tuple[list[dict[str, Any]], int]:
    """Every well-formed line of a day's log and the log's length (0, [] when there is none)."""
    try:
        data = bucket.get_object(log_key).read()
    except oss2.exceptions.NoSuchKey:
        return [], 0
    return parse_lines(data), len(data)


class _Positions:
    """Where this instance last saw each appendable object end: a good first guess for the next
    append, so the usual append is one request (a stale guess costs one retry, never an entry)."""

    def __init__(self, size: int = 4096) -> None:
        self._lock = threading.Lock()
        self._ends: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._size = size

    def get(self, bucket: str, key: str) -> int:
        with self._lock:
            return self._ends.get((bucket, key), 0)

    def put(self, bucket: str, key: str, end: int) -> None:
        with self._lock:
            self._ends[(bucket, key)] = end
            self._ends.move_to_end((bucket, key))
            while len(self._ends) > self._size:
                self._ends.popitem(last=False)


POSITIONS = _Positions()


@dataclass(frozen=True)
class Appended:
    position: int   # where the line starts
    end: int        # the object's length after it


def append_line(bucket: oss2.Bucket, key: str, data: bytes, content_type: str = "application/x-ndjson") -> Appended:
    """Append one whole line at the current end; retries at the position OSS reports on a lost race."""
    position = POSITIONS.get(bucket.bucket_name, key)
    deadline = time.monotonic() + APPEND_DEADLINE_S
    for attempt in range(MAX_APPEND_ATTEMPTS):
        if attempt and time.monotonic() > deadline:
            break
        try:
            result = bucket.append_object(key, position, data, headers={"Content-Type": content_type})
        except oss2.exceptions.PositionNotEqualToLength as exc:
            position = int(exc.next_position)
            if attempt >= 3:   # many writers in lockstep: a short random pause breaks the tie
                time.sleep(random.uniform(0, 0.002))
            continue
        end = int(result.next_position)
        POSITIONS.put(bucket.bucket_name, key, end)
        return Appended(position, end)
    raise RuntimeError(f"could not append to {key}: lost {attempt + 1} races in a row")


def append_entry(bucket: oss2.Bucket, log_key: str, entry: dict[str, Any]) -> Appended:
    """Append one entry to a day's log."""
    return append_line(bucket, log_key, encode_entry(entry))
