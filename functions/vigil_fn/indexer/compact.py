"""Compaction (the writing side): a day's log folded into fixed-size segments, their summaries, and
a day's close into its month's calendar. Reading a day back is `dayfold.py`.

Segment j holds the log lines that *start* in bytes [j*K, (j+1)*K). The indexer whose append
ends at or past (j+1)*K wrote the last line of segment j — appends are serialised by OSS, so every
line of the segment is there — and compacts it: one ranged GET of about K bytes, fold, one append
of the folded state to `<day>.segs.jsonl` and of a small summary to `<day>.sums.jsonl`. The work
is the same for the 1st and the 8,640th clip of a day.

Nothing is rewritten and nothing is lost: the log is never touched, segments are appended, and a
reader folds segments for what they cover plus the raw log for the rest (a crashed compaction
leaves a hole that is read from the log; a repeated one a duplicate that is ignored).

A day is *closed* (its exact totals appended to the month's `.month.jsonl` for the calendar) when
the device's health moves on to a later day, and again whenever a late segment of it is compacted.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import oss2
from vigil_camera.keys import index_key, index_month_key, index_segments_key, index_sums_key

from .dayfold import SEGMENT_VERSION, load_day, longest_per_start, midnight_after
from .dayparts import quarters
from .log import FoldState, append_line, parse_lines
from .ranges import get_range
from .rows import DURATION, INDEXED_AT, KEY, SIZE, row_end

DEFAULT_SEGMENT_BYTES = 8192


def _line(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, separators=(",", ":")) + "\n").encode()


def segment_due(position: int, end: int, segment_bytes: int) -> int | None:
    """The segment an append [position, end) completes, if any (its line is the segment's last)."""
    j = position // segment_bytes
    return j if end // segment_bytes > j else None


def summarize(entries: list[dict[str, Any]], state: FoldState, start: int, end: int, day: date, *,
              now_ms: int) -> dict[str, Any]:
    """A segment's small summary: its visible clips, last clip, upload lag, the camera's latest report."""
    rows = state.visible_rows()
    last = max(rows, key=lambda r: (row_end(r), r[KEY]), default=None)
    meta = None
    for e in entries:
        m = e.get("meta")
        if isinstance(m, dict) and (meta is None or
                                    int(m.get("reported_at") or 0) >= int(meta.get("reported_at") or 0)):
            meta = m
    deleted = sum(1 for k, s in state.deletes.items() if k not in state.creates and "*" in s)
    last_end = row_end(last) if last else None
    return {
        "v": SEGMENT_VERSION, "day": day.isoformat(), "from": start, "to": end,
        "clips": len(rows) - deleted, "bytes": sum(r[SIZE] for r in rows),
        "recorded_ms": sum(r[DURATION] or 0 for r in rows),
        "last_end": last_end, "last_key": last[KEY] if last else None,
        "upload_lag_ms": (last[INDEXED_AT] - last_end) if last and last[INDEXED_AT] else None,
        "meta": meta, "at": now_ms,
    }


def fold_range(data: bytes, start: int, end: int, day: date, *, now_ms: int) -> tuple[bytes, dict[str, Any]]:
    """The segment line and summary of the log lines [start, end) (`data`)."""
    entries = parse_lines(data)
    state = FoldState().add_entries(entries)
    dels = [[k, scope, t] for k, scopes in state.deletes.items() for scope, t in scopes.items()]
    segment = _line({"v": SEGMENT_VERSION, "from": start, "to": end, "rows": list(state.creates.values()),
                     "dels": dels})
    return segment, summarize(entries, state, start, end, day, now_ms=now_ms)


def compact_range(bucket: oss2.Bucket, device_id: str, day: date, data: bytes, start: int, end: int,
                  *, now_ms: int, segment: bool = True) -> dict[str, Any]:
    """Fold the log lines [start, end) (`data`) and append the segment (when `segment`) and its
    summary. Returns the summary."""
    line, summary = fold_range(data, start, end, day, now_ms=now_ms)
    if segment:
        append_line(bucket, index_segments_key(device_id, day), line)
    append_line(bucket, index_sums_key(device_id, day), _line(summary))
    return summary


def segments_of(log: bytes, segment_bytes: int, day: date, *, now_ms: int) -> tuple[bytes, bytes]:
    """Every complete segment of a whole log and their summaries, as the live indexer appends them
    (for bulk writers: a rebuild, a benchmark's history)."""
    segs, sums = [], []
    pos = seg_start = 0
    while pos < len(log):
        nl = log.find(b"\n", pos)
        if nl < 0:
            break
        end = nl + 1
        if end // segment_bytes > pos // segment_bytes:   # this line completes segment pos // K
            line, summary = fold_range(log[seg_start:end], seg_start, end, day, now_ms=now_ms)
            segs.append(line)
            sums.append(_line(summary))
            seg_start = end
        pos = end
    return b"".join(segs), b"".join(sums)


def compact_segment(bucket: oss2.Bucket, device_id: str, day: date, j: int, end: int,
                    segment_bytes: int, *, now_ms: int) -> dict[str, Any] | None:
    """Compact segment j, whose last line ends at `end`: one ranged GET of about K bytes."""
    log_key = index_key(device_id, day)
    if j == 0:
        got = get_range(bucket, log_key, 0, end - 1)
        if got is None:
            return None
        data, start = got.data, 0
    else:
        got = get_range(bucket, log_key, j * segment_bytes - 1, end - 1)
        if got is None:
            return None
        raw = got.data
        cut = raw.find(b"\n") + 1    # the byte before the segment ends a line, or a line runs into it
        data, start = raw[cut:], j * segment_bytes - 1 + cut
    return compact_range(bucket, device_id, day, data, start, end, now_ms=now_ms)


def open_day(bucket: oss2.Bucket, device_id: str, day: date, end: int, *, now_ms: int) -> dict[str, Any] | None:
    """The first line of a day: a summary of it (no segment), so the day shows before segment 0."""
    got = get_range(bucket, index_key(device_id, day), 0, end - 1)
    if got is None:
        return None
    return compact_range(bucket, device_id, day, got.data, 0, end, now_ms=now_ms, segment=False)


def close_day(bucket: oss2.Bucket, device_id: str, day: date, *, now_ms: int) -> dict[str, Any]:
    """Append a day's exact totals to its month's calendar, with the clips that run past midnight
    (`spill`), so a timeline of the next day need not read this whole day for them, and its
    quarter-hour counts (`q`, `dayparts.py`), so a calendar in any time zone need not read the day."""
    ds = load_day(bucket, device_id, day)
    rows = ds.state.visible_rows()
    midnight = midnight_after(day)
    parts = quarters(rows, midnight - 86_400_000)
    total = {"v": SEGMENT_VERSION, "day": day.isoformat(), "to": ds.covered, "exact": True,
             "clips": len(rows), "bytes": sum(r[SIZE] for r in rows),
             "recorded_ms": sum(r[DURATION] or 0 for r in rows),
             "spill": [r for r in rows if row_end(r) > midnight], "at": now_ms}
    if parts is not None:
        total["q"] = parts.to_doc()
    if ds.covered:
        append_line(bucket, index_month_key(device_id, day.year, day.month), _line(total))
    return total


def compact_day(bucket: oss2.Bucket, device_id: str, day: date, segment_bytes: int = DEFAULT_SEGMENT_BYTES, *,
                now_ms: int) -> int:
    """Write a day's segments and summaries from its whole log (days indexed before compaction
    existed, or after a change of segment size), then close it; returns the segments written.

    Safe beside live indexers: readers take, per start offset, the longest segment and read from
    the log whatever overlaps or is missing, so a segment a live indexer appends meanwhile is
    harmless."""
    got = get_range(bucket, index_key(device_id, day), 0, None)
    if got is None:
        return 0
    segs, sums = segments_of(got.data, segment_bytes, day, now_ms=now_ms)
    for key, data in ((index_segments_key(device_id, day), segs), (index_sums_key(device_id, day), sums)):
        bucket.delete_object(key)
        if data:
            append_line(bucket, key, data)
    close_day(bucket, device_id, day, now_ms=now_ms)
    return segs.count(b"\n")


def chain(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Non-overlapping summary rows in log order (per start, the longest) and the bytes they cover."""
    picked, cursor = [], 0
    for r in longest_per_start(rows):
        if int(r["from"]) < cursor:
            continue
        picked.append(r)
        cursor = int(r["to"])
    return picked, cursor
