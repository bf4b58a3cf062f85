"""The per-device, per-day index log: one JSON line per clip event, appended with AppendObject.

Appends are compare-and-append (`position` must equal the length), so concurrent indexers retry at
the position OSS returns and none overwrites another. Duplicates from retried deliveries and events
that arrive out of order are resolved when the log is read (`fold`), never by the writer.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import oss2

MAX_APPEND_ATTEMPTS = 64


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

    @property
    def end(self) -> int:
        return self.start + (self.duration or 0)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def encode_entry(entry: dict[str, Any]) -> bytes:
    return (json.dumps(entry, sort_keys=True, separators=(",", ":")) + "\n").encode()


def append_entry(bucket: oss2.Bucket, log_key: str, entry: dict[str, Any]) -> int:
    """Append one line; returns the position it landed at. Retries on a lost race."""
    data = encode_entry(entry)
    try:
        position = int(bucket.head_object(log_key).content_length)
    except oss2.exceptions.NoSuchKey:
        position = 0
    for _ in range(MAX_APPEND_ATTEMPTS):
        try:
            bucket.append_object(log_key, position, data, headers={"Content-Type": "application/x-ndjson"})
            return position
        except oss2.exceptions.PositionNotEqualToLength as exc:
            position = int(exc.next_position)
    raise RuntimeError(f"could not append to {log_key} after {MAX_APPEND_ATTEMPTS} attempts")


def read_entries(bucket: oss2.Bucket, log_key: str) -> tuple[list[dict[str, Any]], int]:
    """Every well-formed line of a day's log and the log's length (0, [] when there is none)."""
    try:
        data = bucket.get_object(log_key).read()
    except oss2.exceptions.NoSuchKey:
        return [], 0
    lines = [line for line in data.splitlines() if line.strip()]
    try:  # one parse of the whole day is several times faster than a parse per line
        docs = json.loads(b"[" + b",".join(lines) + b"]")
        if len(docs) != len(lines):  # torn lines that joined into other values: parse one by one
            raise ValueError("line count mismatch")
    except ValueError:
        docs = []
        for line in lines:
            try:
                docs.append(json.loads(line))
            except ValueError:
                continue  # a torn line can only come from a bug elsewhere: skip it, never fail the day
    entries = [d for d in docs if isinstance(d, dict) and isinstance(d.get("key"), str)]
    return entries, len(data)


def fold(entries: Iterable[dict[str, Any]]) -> list[Clip]:
    """The visible clips: per key, the newest create that no later-or-equal delete hides.

    Ordering is by the OSS event time, not by arrival, so a delete delivered before its create
    still hides it, a retried delivery is a harmless duplicate, and a re-upload after a delete
    (newer event time) shows again.
    """
    creates: dict[str, dict[str, Any]] = {}
    deletes: dict[str, int] = {}
    for e in entries:
        t = int(e.get("event_time") or 0)
        if e.get("op") == "delete":
            deletes[e["key"]] = max(deletes.get(e["key"], -1), t)
        else:
            current = creates.get(e["key"])
            if current is None or t >= int(current.get("event_time") or 0):
                creates[e["key"]] = e
    clips = []
    for key, e in creates.items():
        if deletes.get(key, -1) >= int(e.get("event_time") or 0):
            continue
        clips.append(Clip(
            key=key, etag=str(e.get("etag", "")), size=int(e.get("size") or 0), start=int(e.get("start") or 0),
            duration=e.get("duration"), codec=e.get("codec"), width=e.get("width"), height=e.get("height"),
            has_keyframe=bool(e.get("has_keyframe")), status=str(e.get("status", "ok")), reason=e.get("reason"),
            event_time=int(e.get("event_time") or 0),
        ))
    clips.sort(key=lambda c: (c.start, c.key))
    return clips
