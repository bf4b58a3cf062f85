"""Reading a day back: its compacted segments folded, the log's holes and tail added — one GET of
the segments and one ranged GET of the log after them, never the whole log.

Segments are appended by `compact.py`. A reader takes, per start offset, the longest segment, reads
from the log whatever a segment does not cover (a crashed compaction's hole, an overlap after a
change of segment size), and ignores a repeated segment. Folding in pieces equals folding the whole
log (`log.FoldState`), so the result is the fold of the whole log.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from operator import itemgetter
from typing import Any

import oss2
from vigil_camera.keys import index_key, index_month_key, index_segments_key

from .daycache import DayCache, Prefix
from .log import FoldState, parse_json_lines, parse_lines
from .ranges import Unchanged, get_if_changed, get_range, read_jsonl, read_log_range, read_log_tail
from .rows import KEY, OLD_ROW_LEN, ROW_LEN, Row, current, row_end

SEGMENT_VERSION = 1
# the log's tail after the segments, asked as soon as the segments' bytes are in, while they are parsed
# (a day's 8,640 rows: ~80 ms of CPU on the shared machine, which the tail's round trip then overlaps)
_TAILS = ThreadPoolExecutor(8, thread_name_prefix="vigil-log-tail")
Ahead = list[tuple[int, "Future[tuple[bytes, str | None] | None]"]]


def segments_end(data: bytes) -> int | None:
    """Where the last segment of a `.segs.jsonl` ends in the log, read from its last line alone: the
    usual day's fold covers the log up to there. None when that line says nothing usable."""
    last = data.rstrip(b"\n").rpartition(b"\n")[2]
    try:
        doc = json.loads(last)
        end = int(doc["to"]) if isinstance(doc, dict) and doc.get("v") == SEGMENT_VERSION else None
    except (ValueError, KeyError, TypeError):
        return None
    return end if end is not None and end > 0 else None


def longest_per_start(docs: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Docs covering log bytes [`from`, `to`) (segments, summaries): per start offset the longest,
    in log order (a repeated compaction is a duplicate; a later, longer one wins). Docs without
    integer bounds are skipped."""
    best: dict[int, tuple[int, dict[str, Any]]] = {}
    for doc in docs:
        try:
            start, end = int(doc["from"]), int(doc["to"])
        except (KeyError, TypeError, ValueError):
            continue
        if start not in best or end > best[start][0]:
            best[start] = (end, doc)
    return [best[s][1] for s in sorted(best)]


def parse_segments(data: bytes) -> list[dict[str, Any]]:
    """The usable segments of a `.segs.jsonl`, per start offset the longest, in log order."""
    docs = [d for d in parse_json_lines(data) if isinstance(d, dict)]   # a damaged line: read from the log
    return longest_per_start(d for d in docs if d.get("v") == SEGMENT_VERSION and _nonempty(d))


def _nonempty(seg: dict[str, Any]) -> bool:
    try:
        return int(seg["to"]) > int(seg["from"])
    except (KeyError, TypeError, ValueError):
        return False


@dataclass
class DayState:
    state: FoldState
    covered: int          # log bytes the state covers
    segments: int         # how many compacted segments were used
    raw_bytes: int        # log bytes read raw (holes + tail)


_KEY = itemgetter(KEY)
_LENGTHS = {ROW_LEN, OLD_ROW_LEN}     # an older indexer's rows lack the last column (`rows.current` pads them)


def _well_formed(rows: Any) -> bool:
    return (isinstance(rows, list) and bool(rows) and set(map(type, rows)) == {list}
            and set(map(len, rows)) <= _LENGTHS and all(map(str.__instancecheck__, map(_KEY, rows))))


def _stored_row(row: Any) -> Row | None:
    """One stored row as this version reads it, or None when it is not a row."""
    if isinstance(row, list) and len(row) in _LENGTHS and isinstance(row[KEY], str):
        return current([row])[0]
    return None


def fold_whole(segs: list[dict[str, Any]], etag: str | None) -> Prefix | None:
    """The usual day in one pass: segments that follow each other without a hole or an overlap,
    every row well formed, no key in two segments and no delete — then the fold is every row as it
    is (what folding segment by segment gives). None when the day is not like that."""
    cursor = 0
    rows: list[Row] = []
    for seg in segs:
        seg_rows = seg.get("rows")
        if int(seg["from"]) != cursor or seg.get("dels") or not isinstance(seg_rows, list):
            return None
        rows.extend(seg_rows)
        cursor = int(seg["to"])
    if not rows or not _well_formed(rows):
        return None
    rows = current(rows)
    state = FoldState()
    state.creates = dict(zip(map(_KEY, rows), rows, strict=True))
    if len(state.creates) != len(rows):
        return None
    return Prefix(etag, state, cursor, len(segs), 0)


def fold_segments(bucket: oss2.Bucket, log_key: str, segs: list[dict[str, Any]], etag: str | None) -> Prefix | None:
    """Segments merged in log order, holes filled from the log; None if the log does not match."""
    whole = fold_whole(segs, etag) if segs else None
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
            state.add_rows(current(rows))
        else:
            for row in rows:
                if (stored := _stored_row(row)) is not None:
                    state.add_row(stored)
        for d in seg.get("dels") or ():
            state.add_delete(str(d[0]), str(d[1]), int(d[2]))
        cursor, used = end, used + 1
    return Prefix(etag, state, cursor, used, raw)


def _prefix(bucket: oss2.Bucket, device_id: str, day: date, log_key: str, cache: DayCache | None,
            ahead: Ahead | None = None) -> Prefix | None:
    """The fold of the day's compacted part, from `cache` when the segments did not change. With
    `ahead`, segments read from OSS start the read of the log after them (where `segments_end`
    says) before they are parsed: `ahead` gets (that offset, the read)."""
    seg_key = index_segments_key(device_id, day)
    cached = cache.get(bucket.bucket_name, seg_key) if cache is not None else None
    got = get_if_changed(bucket, seg_key, cached.etag if cached is not None else None)
    if isinstance(got, Unchanged) and cached is not None:
        return cached
    if got is None or isinstance(got, Unchanged):
        return fold_segments(bucket, log_key, [], None)
    data, etag = got
    if ahead is not None and (end := segments_end(data)) is not None:
        ahead.append((end, _TAILS.submit(read_log_tail, bucket, log_key, end)))
    return fold_segments(bucket, log_key, parse_segments(data), etag)


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
             admit: bool = True, log_etag: str | None = None) -> list[Row]:
    """The visible rows of a day ordered by (start, key), as `load_day` folds them. `admit=False`
    uses what `cache` holds but adds nothing to it (a scan of many days keeps the cache's days).

    With a `cache` (the list and its rows are then shared with it: read only), a day read before
    costs one request when its log did not change since (the ranged GET of the log after the
    segments answers the log's ETag: the same version folds to the same rows) — also a day with no
    segments yet — and otherwise a conditional GET of the segments (304 while nothing was compacted
    since) and that ranged GET. `log_etag`, the log's ETag as a listing just gave it, spares even
    that request when it is the version the cache folded."""
    log_key = index_key(device_id, day)
    seg_key = index_segments_key(device_id, day)
    cached = cache.get(bucket.bucket_name, seg_key) if cache is not None else None
    first = None
    if cached is not None and cached.log_etag is not None and cached.visible is not None:
        assert cache is not None
        if log_etag is not None and log_etag.strip('"').upper() == cached.log_etag.strip('"').upper():
            cache.hit()
            return cached.visible
        first = read_log_tail(bucket, log_key, cached.cursor)
        if first is not None and first[1] == cached.log_etag:
            cache.hit()
            return cached.visible
    ahead: Ahead = []
    prefix = _prefix(bucket, device_id, day, log_key, cache, ahead if first is None else None)
    if prefix is not None and first is not None and cached is not None and prefix.cursor == cached.cursor:
        tail: tuple[bytes, str | None] | None = first   # the log after the segments, read just before them
    elif prefix is not None and ahead and ahead[0][0] == prefix.cursor:
        tail = ahead[0][1].result()   # read while the segments were parsed
    else:
        tail = None if prefix is None else read_log_tail(bucket, log_key, prefix.cursor)
    if prefix is None or tail is None:
        return _raw_day(bucket, log_key).state.visible_rows()
    entries = parse_lines(tail[0])
    if cache is None:
        return prefix.state.add_entries(entries).visible_rows()
    state = prefix.state.copy().add_entries(entries) if entries else prefix.state
    visible = state.visible_rows()
    if admit:   # the segments' version (None: none yet) and the log's, with the rows they fold to. A day
        # with no segments yet (its first clips; a quiet camera's whole day) is kept too: read again
        # while its log is unchanged it costs one GET, not a 404 of the segments and the whole log
        # (issue 24: the grid reads every camera's day). Segments made since fold to the same rows.
        cache.put(bucket.bucket_name, seg_key, replace(prefix, log_etag=tail[1], visible=visible))
    return visible


def spill_rows(bucket: oss2.Bucket, device_id: str, day: date, cache: DayCache | None = None) -> list[Row]:
    """The visible clips of `day` that run past its midnight, cheaply: the spill its calendar row
    recorded at close, plus the log after that row (a HEAD, and a small ranged GET if it grew).
    Without a closed row, the whole day is read (`day_rows`, through `cache` if given)."""
    rows, _ = read_jsonl(bucket, index_month_key(device_id, day.year, day.month))
    closed = [r for r in rows if r.get("day") == day.isoformat() and isinstance(r.get("spill"), list)]
    midnight = midnight_after(day)
    if not closed:
        return [r for r in day_rows(bucket, device_id, day, cache) if row_end(r) > midnight]
    row = max(closed, key=lambda r: (int(r.get("to") or 0), int(r.get("at") or 0)))
    state = FoldState()
    for spilled in row["spill"]:
        if (stored := _stored_row(spilled)) is not None:
            state.add_row(stored)
    log_key = index_key(device_id, day)
    covered = int(row.get("to") or 0)
    try:
        length = int(bucket.head_object(log_key).content_length)
    except oss2.exceptions.NoSuchKey:
        length = 0
    if length > covered:
        tail = read_log_range(bucket, log_key, covered, None)
        if tail is None:
            return [r for r in day_rows(bucket, device_id, day, cache) if row_end(r) > midnight]
        state.add_entries(parse_lines(tail))
    return [r for r in state.visible_rows() if row_end(r) > midnight]


def _raw_day(bucket: oss2.Bucket, log_key: str) -> DayState:
    """The whole log folded: when segments do not match the log (it was rebuilt)."""
    got = get_range(bucket, log_key, 0, None)
    data = b"" if got is None else got.data
    return DayState(FoldState().add_entries(parse_lines(data)), len(data), 0, len(data))


def midnight_after(day: date) -> int:
    """The UTC ms of the midnight that ends `day` (a clip ending after it spills into the next day)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000) + 86_400_000
