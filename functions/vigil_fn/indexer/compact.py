"""Compaction of a day's log into fixed-size folded segments, and reading a day back.

Segment j holds the log lines that *start* in bytes [j*K, (j+1)*K). The indexer whose append
ends at or past (j+1)*K wrote the last line of segment j — appends are serialised by OSS, so every
line of the segment is there — and compacts it: one ranged GET of about K bytes, fold, one append
of the folded state to `<day>.segs.jsonl` and of a small summary to `<day>.sums.jsonl`. The work
is the same for the 1st and the 8,640th clip of a day.

Nothing is rewritten and nothing is lost: the log is never touched, segments are appended, and a
reader folds segments for what they cover plus the raw log for the rest (a crashed compaction
leaves a hole that is read from the log; a repeated one a duplicate that is ignored; the tail after
the last segment is one ranged GET). Folding in pieces equals folding the whole log (`FoldState`).

A day is *closed* (its exact totals appended to the month's `.month.jsonl` for the calendar) when
the device's health moves on to a later day, and again whenever a late segment of it is compacted.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from operator import itemgetter
from typing import Any, NamedTuple

import oss2
from vigil_camera.crc import without_crc
from vigil_camera.keys import index_key, index_month_key, index_segments_key, index_sums_key

from .daycache import DayCache, Prefix
from .log import CREATE_COLS, FoldState, append_line, parse_json_lines, parse_lines

SEGMENT_VERSION = 1
DEFAULT_SEGMENT_BYTES = 8192
ROW_LEN = len(CREATE_COLS)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _line(doc: dict[str, Any]) -> bytes:
    return (json.dumps(doc, separators=(",", ":")) + "\n").encode()


def segment_due(position: int, end: int, segment_bytes: int) -> int | None:
    """The segment an append [position, end) completes, if any (its line is the segment's last)."""
    j = position // segment_bytes
    return j if end // segment_bytes > j else None


def read_body(result: Any) -> bytes:
    """A GET's whole body in one read. oss2's `read()` pulls it through requests 8 KiB at a time
    and runs crcmod's CRC-64 over it — which nothing checks (oss2 leaves comparing `client_crc`
    to the caller, and a ranged answer has no whole-object CRC to compare with): five times slower
    for a day's 1.5 MB of segments (measured: 7.8 vs 1.5 ms). urllib3 still decodes any
    Content-Encoding and checks the length. Streams that do more (progress, client-side
    decryption) are read through oss2."""
    stream, resp = result.stream, result.resp
    plain = stream is resp or (getattr(stream, "fileobj", None) is resp and
                               getattr(stream, "cipher_callback", None) is None and
                               getattr(stream, "progress_callback", None) is None)
    raw = getattr(getattr(resp, "response", None), "raw", None)
    if not plain or raw is None:
        return bytes(result.read())
    return bytes(raw.read(decode_content=True))


class Got(NamedTuple):
    data: bytes
    partial: bool        # a ranged answer (206), not the whole object
    etag: str | None     # the whole object's version


def _get(bucket: oss2.Bucket, key: str, start: int, end: int | None) -> Got | None:
    """Bytes start..end (inclusive, None = to the end); None if there is no object."""
    try:
        result = without_crc(bucket).get_object(key, byte_range=(start, end))
    except oss2.exceptions.NoSuchKey:
        return None
    return Got(read_body(result), bool(result.headers.get("Content-Range")), result.etag or None)


def read_log_tail(bucket: oss2.Bucket, log_key: str, start: int,
                  end: int | None = None) -> tuple[bytes, str | None] | None:
    """The lines in [start, end) of a log, `start` a line boundary, and the log's ETag; None if the
    log does not match (shorter than `start`, or `start` not at a line boundary: it was rewritten)."""
    if start == 0:
        got = _get(bucket, log_key, 0, None if end is None else end - 1)
        return (b"", None) if got is None else (got.data, got.etag)
    # one byte before `start` keeps the range satisfiable when nothing follows (OSS answers an
    # unsatisfiable range with the whole object), and proves `start` follows a newline
    got = _get(bucket, log_key, start - 1, None if end is None else end - 1)
    if got is None or not got.partial or not got.data.startswith(b"\n"):
        return None
    return got.data[1:], got.etag


def read_log_range(bucket: oss2.Bucket, log_key: str, start: int, end: int | None) -> bytes | None:
    """The lines in [start, end) of a log (see `read_log_tail`); None if the log does not match."""
    got = read_log_tail(bucket, log_key, start, end)
    return None if got is None else got[0]


# -- writing ---------------------------------------------------------------------------------------
def summarize(entries: list[dict[str, Any]], state: FoldState, start: int, end: int, day: date) -> dict[str, Any]:
    """A segment's small summary: its visible clips, last clip, upload lag, the camera's latest report."""
    rows = state.visible_rows()
    last = max(rows, key=lambda r: (r[3] + (r[4] or 0), r[0]), default=None)
    meta = None
    for e in entries:
        m = e.get("meta")
        if isinstance(m, dict) and (meta is None or
                                    int(m.get("reported_at") or 0) >= int(meta.get("reported_at") or 0)):
            meta = m
    deleted = sum(1 for k, s in state.deletes.items() if k not in state.creates and "*" in s)
    return {
        "v": SEGMENT_VERSION, "day": day.isoformat(), "from": start, "to": end,
        "clips": len(rows) - deleted, "bytes": sum(r[2] for r in rows),
        "recorded_ms": sum(r[4] or 0 for r in rows),
        "last_end": (last[3] + (last[4] or 0)) if last else None, "last_key": last[0] if last else None,
        "upload_lag_ms": (last[12] - (last[3] + (last[4] or 0))) if last and last[12] else None,
        "meta": meta, "at": _now_ms(),
    }


def fold_range(data: bytes, start: int, end: int, day: date) -> tuple[bytes, dict[str, Any]]:
    """The segment line and summary of the log lines [start, end) (`data`)."""
    entries = parse_lines(data)
    state = FoldState().add_entries(entries)
    dels = [[k, scope, t] for k, scopes in state.deletes.items() for scope, t in scopes.items()]
    segment = _line({"v": SEGMENT_VERSION, "from": start, "to": end, "rows": list(state.creates.values()),
                     "dels": dels})
    return segment, summarize(entries, state, start, end, day)


def compact_range(bucket: oss2.Bucket, device_id: str, day: date, data: bytes, start: int, end: int,
                  *, segment: bool = True) -> dict[str, Any]:
    """Fold the log lines [start, end) (`data`) and append the segment (when `segment`) and its
    summary. Returns the summary."""
    line, summary = fold_range(data, start, end, day)
    if segment:
        append_line(bucket, index_segments_key(device_id, day), line)
    append_line(bucket, index_sums_key(device_id, day), _line(summary))
    return summary


def segments_of(log: bytes, segment_bytes: int, day: date) -> tuple[bytes, bytes]:
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
            line, summary = fold_range(log[seg_start:end], seg_start, end, day)
            segs.append(line)
            sums.append(_line(summary))
            seg_start = end
        pos = end
    return b"".join(segs), b"".join(sums)


def compact_segment(bucket: oss2.Bucket, device_id: str, day: date, j: int, end: int,
                    segment_bytes: int) -> dict[str, Any] | None:
    """Compact segment j, whose last line ends at `end`: one ranged GET of about K bytes."""
    log_key = index_key(device_id, day)
    if j == 0:
        got = _get(bucket, log_key, 0, end - 1)
        if got is None:
            return None
        data, start = got[0], 0
    else:
        got = _get(bucket, log_key, j * segment_bytes - 1, end - 1)
        if got is None:
            return None
        raw = got[0]
        cut = raw.find(b"\n") + 1    # the byte before the segment ends a line, or a line runs into it
        data, start = raw[cut:], j * segment_bytes - 1 + cut
    return compact_range(bucket, device_id, day, data, start, end)


def open_day(bucket: oss2.Bucket, device_id: str, day: date, end: int) -> dict[str, Any] | None:
    """The first line of a day: a summary of it (no segment), so the day shows before segment 0."""
    got = _get(bucket, index_key(device_id, day), 0, end - 1)
    if got is None:
        return None
    return compact_range(bucket, device_id, day, got[0], 0, end, segment=False)


# -- reading ---------------------------------------------------------------------------------------
def parse_segments(data: bytes) -> list[dict[str, Any]]:
    """The usable segments of a `.segs.jsonl`, per start offset the longest, in log order."""
    docs = [d for d in parse_json_lines(data) if isinstance(d, dict)]   # a damaged line: read from the log
    best: dict[int, dict[str, Any]] = {}
    for seg in docs:
        try:
            start, end = int(seg["from"]), int(seg["to"])
        except (KeyError, TypeError, ValueError):
            continue
        if seg.get("v") == SEGMENT_VERSION and end > start and (start not in best or end > best[start]["to"]):
            best[start] = seg
    return [best[s] for s in sorted(best)]


_UNCHANGED = object()


def _get_segments(bucket: oss2.Bucket, key: str, etag: str | None) -> tuple[bytes, str | None] | object | None:
    """The segments object and its ETag; `_UNCHANGED` when its ETag is still `etag` (304, no
    body); None when there is none. The segments are checked line by line (a bad line is read
    from the log instead)."""
    headers = {"If-None-Match": f'"{etag}"'} if etag else None
    try:
        result = without_crc(bucket).get_object(key, byte_range=(0, None), headers=headers)
    except oss2.exceptions.NoSuchKey:
        return None
    except oss2.exceptions.NotModified:
        return _UNCHANGED
    return read_body(result), result.etag or None


@dataclass
class DayState:
    state: FoldState
    covered: int          # log bytes the state covers
    segments: int         # how many compacted segments were used
    raw_bytes: int        # log bytes read raw (holes + tail)


def _well_formed(rows: Any) -> bool:
    return (isinstance(rows, list) and bool(rows) and set(map(type, rows)) == {list}
            and set(map(len, rows)) == {ROW_LEN} and all(map(str.__instancecheck__, map(itemgetter(0), rows))))


def _fold_whole(segs: list[dict[str, Any]], etag: str | None) -> Prefix | None:
    """The usual day in one pass: segments that follow each other without a hole or an overlap,
    every row well formed, no key in two segments and no delete — then the fold is every row as it
    is (what folding segment by segment gives). None when the day is not like that."""
    cursor = 0
    rows: list[list[Any]] = []
    for seg in segs:
        seg_rows = seg.get("rows")
        if int(seg["from"]) != cursor or seg.get("dels") or not isinstance(seg_rows, list):
            return None
        rows.extend(seg_rows)
        cursor = int(seg["to"])
    if not rows or not _well_formed(rows):
        return None
    state = FoldState()
    state.creates = {r[0]: r for r in rows}
    if len(state.creates) != len(rows):
        return None
    return Prefix(etag, state, cursor, len(segs), 0)


def _fold_segments(bucket: oss2.Bucket, log_key: str, segs: list[dict[str, Any]], etag: str | None) -> Prefix | None:
    """Segments merged in log order, holes filled from the log; None if the log does not match."""
    whole = _fold_whole(segs, etag) if segs else None
    if whole is not None:
        return whole
    state = FoldState()
    cursor = used = raw = 0
    for seg in segs:
        start, end = int(seg["from"]), int(seg["to"])
        if start < cursor:
            continue   # overlaps what is folded already (segment size changed): the log covers it
        if start > cursor:
            hole = read_log_range(bucket, log_key, cursor, start)
            if hole is None:
                return None
            state.add_entries(parse_lines(hole))
            raw += len(hole)
        rows = seg.get("rows") or []
        if _well_formed(rows):
            state.add_rows(rows)
        else:
            for row in rows:
                if isinstance(row, list) and len(row) == ROW_LEN and isinstance(row[0], str):
                    state.add_row(row)
        for d in seg.get("dels") or ():
            state.add_delete(str(d[0]), str(d[1]), int(d[2]))
        cursor, used = end, used + 1
    return Prefix(etag, state, cursor, used, raw)


def _prefix(bucket: oss2.Bucket, device_id: str, day: date, log_key: str, cache: DayCache | None) -> Prefix | None:
    """The fold of the day's compacted part, from `cache` when the segments did not change."""
    seg_key = index_segments_key(device_id, day)
    cached = cache.get(bucket.bucket_name, seg_key) if cache is not None else None
    got = _get_segments(bucket, seg_key, cached.etag if cached is not None else None)
    if got is _UNCHANGED and cached is not None:
        return cached
    if got is None or got is _UNCHANGED:
        return _fold_segments(bucket, log_key, [], None)
    assert isinstance(got, tuple)
    data, etag = got
    return _fold_segments(bucket, log_key, parse_segments(data), etag)


def load_day(bucket: oss2.Bucket, device_id: str, day: date) -> DayState:
    """The folded state of a day: compacted segments, holes and tail from the log."""
    log_key = index_key(device_id, day)
    prefix = _prefix(bucket, device_id, day, log_key, None)
    tail = None if prefix is None else read_log_range(bucket, log_key, prefix.cursor, None)
    if prefix is None or tail is None:
        return _raw_day(bucket, log_key)
    state = prefix.state.add_entries(parse_lines(tail))
    return DayState(state, prefix.cursor + len(tail), prefix.segments, prefix.raw_bytes + len(tail))


def day_rows(bucket: oss2.Bucket, device_id: str, day: date, cache: DayCache | None = None, *,
             admit: bool = True) -> list[list[Any]]:
    """The visible rows of a day ordered by (start, key), as `load_day` folds them. `admit=False`
    uses what `cache` holds but adds nothing to it (a scan of many days keeps the cache's days).

    With a `cache` (the list and its rows are then shared with it: read only), a day read before
    costs one request when its log did not change since (the ranged GET of the log after the
    segments answers the log's ETag: the same version folds to the same rows), and otherwise a
    conditional GET of the segments (304 while nothing was compacted since) and that ranged GET."""
    log_key = index_key(device_id, day)
    seg_key = index_segments_key(device_id, day)
    cached = cache.get(bucket.bucket_name, seg_key) if cache is not None else None
    first = None
    if cached is not None and cached.log_etag is not None and cached.visible is not None:
        assert cache is not None
        first = read_log_tail(bucket, log_key, cached.cursor)
        if first is not None and first[1] == cached.log_etag:
            cache.hit()
            return cached.visible
    prefix = _prefix(bucket, device_id, day, log_key, cache)
    if prefix is not None and first is not None and cached is not None and prefix.cursor == cached.cursor:
        tail: tuple[bytes, str | None] | None = first   # the log after the segments, read just before them
    else:
        tail = None if prefix is None else read_log_tail(bucket, log_key, prefix.cursor)
    if prefix is None or tail is None:
        return _raw_day(bucket, log_key).state.visible_rows()
    entries = parse_lines(tail[0])
    if cache is None:
        return prefix.state.add_entries(entries).visible_rows()
    state = prefix.state.copy().add_entries(entries) if entries else prefix.state
    visible = state.visible_rows()
    if prefix.etag and admit:   # the segments' version and the log's, with the rows they fold to
        cache.put(bucket.bucket_name, seg_key, replace(prefix, log_etag=tail[1], visible=visible))
    return visible


def spill_rows(bucket: oss2.Bucket, device_id: str, day: date, cache: DayCache | None = None) -> list[list[Any]]:
    """The visible clips of `day` that run past its midnight, cheaply: the spill its calendar row
    recorded at close, plus the log after that row (a HEAD, and a small ranged GET if it grew).
    Without a closed row, the whole day is read (`day_rows`, through `cache` if given)."""
    rows, _ = read_jsonl(bucket, index_month_key(device_id, day.year, day.month))
    closed = [r for r in rows if r.get("day") == day.isoformat() and isinstance(r.get("spill"), list)]
    midnight = _midnight_after(day)
    if not closed:
        return [r for r in day_rows(bucket, device_id, day, cache) if r[3] + (r[4] or 0) > midnight]
    row = max(closed, key=lambda r: (int(r.get("to") or 0), int(r.get("at") or 0)))
    state = FoldState()
    for spilled in row["spill"]:
        if isinstance(spilled, list) and len(spilled) == ROW_LEN:
            state.add_row(spilled)
    log_key = index_key(device_id, day)
    covered = int(row.get("to") or 0)
    try:
        length = int(bucket.head_object(log_key).content_length)
    except oss2.exceptions.NoSuchKey:
        length = 0
    if length > covered:
        tail = read_log_range(bucket, log_key, covered, None)
        if tail is None:
            return [r for r in day_rows(bucket, device_id, day, cache) if r[3] + (r[4] or 0) > midnight]
        state.add_entries(parse_lines(tail))
    return [r for r in state.visible_rows() if r[3] + (r[4] or 0) > midnight]


def _raw_day(bucket: oss2.Bucket, log_key: str) -> DayState:
    """The whole log folded: when segments do not match the log (it was rebuilt)."""
    got = _get(bucket, log_key, 0, None)
    data = b"" if got is None else got[0]
    return DayState(FoldState().add_entries(parse_lines(data)), len(data), 0, len(data))


def _midnight_after(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000) + 86_400_000


def close_day(bucket: oss2.Bucket, device_id: str, day: date) -> dict[str, Any]:
    """Append a day's exact totals to its month's calendar, with the clips that run past midnight
    (`spill`), so a timeline of the next day need not read this whole day for them."""
    ds = load_day(bucket, device_id, day)
    rows = ds.state.visible_rows()
    midnight = _midnight_after(day)
    total = {"v": SEGMENT_VERSION, "day": day.isoformat(), "to": ds.covered, "exact": True,
             "clips": len(rows), "bytes": sum(r[2] for r in rows), "recorded_ms": sum(r[4] or 0 for r in rows),
             "spill": [r for r in rows if r[3] + (r[4] or 0) > midnight], "at": _now_ms()}
    if ds.covered:
        append_line(bucket, index_month_key(device_id, day.year, day.month), _line(total))
    return total


def compact_day(bucket: oss2.Bucket, device_id: str, day: date, segment_bytes: int = DEFAULT_SEGMENT_BYTES) -> int:
    """Write a day's segments and summaries from its whole log (days indexed before compaction
    existed, or after a change of segment size), then close it; returns the segments written.

    Safe beside live indexers: readers take, per start offset, the longest segment and read from
    the log whatever overlaps or is missing, so a segment a live indexer appends meanwhile is
    harmless."""
    got = _get(bucket, index_key(device_id, day), 0, None)
    if got is None:
        return 0
    segs, sums = segments_of(got[0], segment_bytes, day)
    for key, data in ((index_segments_key(device_id, day), segs), (index_sums_key(device_id, day), sums)):
        bucket.delete_object(key)
        if data:
            append_line(bucket, key, data)
    close_day(bucket, device_id, day)
    return segs.count(b"\n")


def chain(rows: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """Non-overlapping summary rows in log order (per start, the longest) and the bytes they cover."""
    best: dict[int, dict[str, Any]] = {}
    for r in rows:
        try:
            start, end = int(r["from"]), int(r["to"])
        except (KeyError, TypeError, ValueError):
            continue
        if start not in best or end > int(best[start]["to"]):
            best[start] = r
    picked, cursor = [], 0
    for start in sorted(best):
        if start < cursor:
            continue
        picked.append(best[start])
        cursor = int(best[start]["to"])
    return picked, cursor


def read_jsonl(bucket: oss2.Bucket, key: str) -> tuple[list[dict[str, Any]], int]:
    """The dict lines of a small JSON-lines object and its length ([], 0 when absent)."""
    got = _get(bucket, key, 0, None)   # one read (see read_body)
    if got is None:
        return [], 0
    data = got[0]
    return [d for d in parse_json_lines(data) if isinstance(d, dict)], len(data)
