"""The fast paths of index reads give what the plain ones gave: the JSON-lines parser (orjson, one
parse of the whole run) and the reader's range selection (bisect instead of a filter)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vigil_fn.indexer import reader
from vigil_fn.indexer.log import FoldState, parse_json_lines, parse_lines
from vigil_fn.indexer.rows import KEY, START, row_end

NOW_MS = 1_796_119_200_000   # the time the index's writers are told it is (summaries' `at`)

pytestmark = pytest.mark.unit


def _slow_parse(data: bytes) -> list[Any]:
    """The parser as it was: json, a line at a time, bad lines skipped."""
    out = []
    for line in data.splitlines():
        if line.strip():
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


line_st = st.one_of(
    st.builds(lambda k, t: json.dumps({"key": f"k{k}", "event_time": t, "op": "create"}).encode(),
              st.integers(0, 9), st.integers(-2**63, 2**64 - 1)),      # every int the index writes (ms, bytes)
    st.just(b'{"key": "n", "x": NaN}'), st.just(b'{"key": "i", "x": 1e400}'),   # json takes these, orjson not
    st.just(b'{"key": "torn", "ev'),                                    # a torn line
    st.just(b'[1, 2]'), st.just(b"   "), st.just(b'"\xc3\xa9t\xc3\xa9"'), st.just(b"\xff\xfe"),
    st.binary(max_size=20).filter(lambda b: b"\n" not in b and b"\r" not in b),
)


@given(st.lists(line_st, max_size=30))
def test_the_parser_gives_what_json_gave_line_by_line(lines: list[bytes]) -> None:
    data = b"\n".join(lines) + b"\n"
    assert json.dumps(parse_json_lines(data)) == json.dumps(_slow_parse(data))
    assert parse_lines(data) == [d for d in _slow_parse(data) if isinstance(d, dict) and isinstance(d.get("key"), str)]


row_st = st.lists(st.tuples(st.integers(0, 50), st.one_of(st.none(), st.integers(0, 20))), max_size=40)


@given(row_st, st.integers(-5, 60), st.integers(1, 40))
def test_range_selection_equals_the_filter(spans: list[tuple[int, int | None]], lo: int, width: int) -> None:
    hi = lo + width
    state = FoldState()
    for i, (start, duration) in enumerate(spans):
        state.add_row([f"k{i:03d}", "", 1, start, duration, None, None, None, True,
                       "ok" if duration else "unreadable", None, 0, None])
    rows = state.visible_rows()
    assert rows == sorted(state.creates.values(), key=lambda r: (r[START], r[KEY]))   # ties in start: by key
    want = [r for r in rows if r[START] < hi and (row_end(r) > lo or r[START] >= lo)]
    assert reader.in_range(rows, lo, hi) == want


def test_a_row_item_is_the_clip_dict() -> None:
    from vigil_fn.indexer.log import Clip
    row = ["videos/cam-1/2026/11/28/120000000Z-1.ts", "E", 5, 10, 20, "h264", 1, 2, True, "ok", None, 7, 8, None, "9"]
    assert reader.clip_items(reader.Timeline.of([row, row], 0, 40)) == [{"type": "clip", **Clip(*row).to_dict()}] * 2
    assert reader.clip_items(reader.Timeline.of([], 0, 40)) == []


def _gapped_as_it_was(rows: list[list[Any]], lo: int, hi: int) -> list[dict[str, Any]]:
    """The timeline as it was built, a row at a time: a gap before a clip that starts more than the
    tolerance after every clip before it (and `lo`) ended, and before `hi`."""
    items: list[dict[str, Any]] = []
    cursor = lo
    for row in rows:
        if row[START] - cursor > reader.GAP_TOLERANCE_MS:
            items.append({"type": "gap", "start": cursor, "end": row[START]})
        items.append({"type": "clip", "key": row[KEY], "end": row_end(row), "size": row[2], "status": row[9]})
        cursor = max(cursor, row_end(row))
    if hi - cursor > reader.GAP_TOLERANCE_MS:
        items.append({"type": "gap", "start": cursor, "end": hi})
    return items


def _spans_as_they_were(items: list[dict[str, Any]], clips: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The api's spans as they were merged from the clip items, one item at a time."""
    out: list[dict[str, Any]] = []
    starts = iter(clips)
    for item in items:
        if item["type"] == "gap":
            out.append(item)
            continue
        start = next(starts)["start"]
        last = out[-1] if out else None
        if last is not None and last["type"] == "span" and start <= last["end"] + reader.GAP_TOLERANCE_MS:
            last["end"] = max(last["end"], item["end"])
            last["clips"] += 1
            last["bytes"] += item["size"] or 0
            last["unreadable"] += item["status"] != "ok"
        else:
            out.append({"type": "span", "start": start, "end": item["end"], "clips": 1,
                        "bytes": item["size"] or 0, "unreadable": int(item["status"] != "ok")})
    return out


@given(st.lists(st.tuples(st.integers(0, 30_000), st.one_of(st.none(), st.integers(0, 9_000)),
                          st.one_of(st.none(), st.integers(0, 99))), max_size=40),
       st.integers(-5_000, 30_000), st.integers(0, 40_000))
def test_the_timeline_made_in_bulk_is_the_one_made_a_row_at_a_time(
        clips: list[tuple[int, int | None, int | None]], lo: int, width: int) -> None:
    """`Timeline.of`'s gaps (from the rows' columns), its items and its spans equal the loops they
    replaced, whatever the overlaps, unreadable clips (no length) and clips starting before `lo`."""
    hi = lo + width
    state = FoldState()
    for i, (start, duration, size) in enumerate(clips):
        state.add_row([f"k{i:03d}", "", size, start, duration, None, None, None, True,
                       "ok" if duration else "unreadable", None, 0, None, None, None])
    rows = reader.in_range(state.visible_rows(), lo, hi)
    made = reader.Timeline.of(rows, lo, hi)
    old = _gapped_as_it_was(rows, lo, hi)
    items = made.items(lambda tl: [{"type": "clip", "key": r[KEY], "end": row_end(r), "size": r[2], "status": r[9]}
                                   for r in tl.rows])
    assert items == old and len(made) == len(old)
    assert made.spans() == _spans_as_they_were(old, [{"start": r[START]} for r in rows])


day_st = st.lists(st.tuples(st.integers(0, 40), st.sampled_from(["create", "create", "create", "delete"]),
                            st.integers(0, 9)), min_size=1, max_size=60)


@given(day_st, st.sampled_from([256, 512, 2048]))
def test_the_one_pass_fold_of_a_day_equals_the_fold_segment_by_segment(ops: list[tuple[int, str, int]],
                                                                        k: int) -> None:
    from datetime import date

    from vigil_fn.indexer.compact import segments_of
    from vigil_fn.indexer.dayfold import fold_segments, fold_whole, parse_segments
    from vigil_fn.indexer.log import encode_entry
    log = b"".join(encode_entry({"op": op, "key": f"videos/cam-1/2026/11/28/1200{i:02d}000Z-{i}.ts", "etag": "E",
                                 "start": 1000 * i, "duration": 500, "event_time": t, "status": "ok"})
                   for i, op, t in ops)
    segs = parse_segments(segments_of(log, k, date(2026, 11, 28), now_ms=NOW_MS)[0])
    if not segs:
        return
    by_segment = FoldState()
    for seg in segs:
        by_segment.add_rows(seg["rows"])
        for key, scope, t in seg["dels"]:
            by_segment.add_delete(key, scope, t)
    whole = fold_whole(segs, "E")
    if whole is not None:   # taken only when it is exact
        assert whole.state.visible_rows() == by_segment.visible_rows()
        assert whole.state.deletes == by_segment.deletes == {}
    assert fold_segments(None, "unused", segs, "E").state.visible_rows() == by_segment.visible_rows()  # type: ignore[arg-type, union-attr]


def test_a_plain_day_takes_the_one_pass_fold_and_a_delete_does_not() -> None:
    from datetime import date

    from vigil_fn.indexer.compact import segments_of
    from vigil_fn.indexer.dayfold import fold_whole, parse_segments
    from vigil_fn.indexer.log import encode_entry
    entries = [{"op": "create", "key": f"videos/cam-1/2026/11/28/12{i:04d}000Z-{i}.ts", "etag": "E",
                "start": 1000 * i, "duration": 500, "event_time": i, "status": "ok"} for i in range(200)]
    log = b"".join(map(encode_entry, entries))
    segs = parse_segments(segments_of(log, 1024, date(2026, 11, 28), now_ms=NOW_MS)[0])
    whole = fold_whole(segs, "E")
    assert whole is not None and len(segs) > 5 and whole.segments == len(segs)
    assert [r[KEY] for r in whole.state.visible_rows()] == [e["key"] for e in entries][:len(whole.state.creates)]
    deleted = log + encode_entry({"op": "delete", "key": entries[0]["key"], "event_time": 999}) * 40
    assert fold_whole(parse_segments(segments_of(deleted, 1024, date(2026, 11, 28), now_ms=NOW_MS)[0]), "E") is None


def test_segments_an_older_indexer_wrote_still_read_without_a_crc64() -> None:
    """Row-list segments stored before the `crc64` column (one column short) read as before, with
    crc64 None, beside columns segments — in the one-pass fold and segment by segment; a row that is
    not a row (a damaged segment) is dropped and the rest of its segment read."""
    from datetime import date

    import orjson
    from vigil_fn.indexer.compact import segments_of
    from vigil_fn.indexer.dayfold import SEGMENT_VERSION, fold_segments, fold_whole, parse_segments
    from vigil_fn.indexer.log import encode_entry
    from vigil_fn.indexer.rows import CRC64, OLD_ROW_LEN, ROW_LEN
    entries = [{"op": "create", "key": f"videos/cam-1/2026/11/28/12{i:04d}000Z-{i}.ts", "etag": "E",
                "start": 1000 * i, "duration": 500, "event_time": i, "status": "ok", "crc64": str(10 + i)}
               for i in range(60)]
    lines = segments_of(b"".join(map(encode_entry, entries)), 1024, date(2026, 11, 28),
                        now_ms=NOW_MS)[0].splitlines(keepends=True)
    segs = parse_segments(b"".join(lines))
    assert len(segs) >= 3 and all(len(r) == ROW_LEN for r in segs[0]["rows"])

    def old_line(seg: dict[str, Any], rows: list[Any]) -> bytes:
        return orjson.dumps({"v": SEGMENT_VERSION, "from": seg["from"], "to": seg["to"], "rows": rows,
                             "dels": []}) + b"\n"

    old_keys = {r[KEY] for r in segs[0]["rows"]}
    first_old = old_line(segs[0], [r[:OLD_ROW_LEN] for r in segs[0]["rows"]])   # an older indexer's
    whole = fold_whole(parse_segments(first_old + b"".join(lines[1:])), "E")
    assert whole is not None
    rows = whole.state.visible_rows()
    assert {r[KEY]: r[CRC64] for r in rows} == {e["key"]: None if e["key"] in old_keys else e["crc64"] for e in entries
                                               if e["key"] in {r[KEY] for r in rows}}
    assert len(rows) == len(whole.state.creates) and all(len(r) == ROW_LEN for r in rows)
    assert fold_segments(None, "unused", parse_segments(first_old), "E").state.visible_rows() == \
        [r for r in rows if r[KEY] in old_keys]  # type: ignore[arg-type, union-attr]
    damaged = [*segs[1]["rows"][:-1], [1, 2, 3], segs[1]["rows"][-1][:OLD_ROW_LEN]]
    one_by_one = fold_segments(None, "unused", parse_segments(  # type: ignore[arg-type]
        first_old + old_line(segs[1], damaged) + b"".join(lines[2:])), "E")
    assert one_by_one is not None
    got = {r[KEY]: r[CRC64] for r in one_by_one.state.visible_rows()}
    assert got[segs[1]["rows"][-1][KEY]] is None and got[segs[1]["rows"][0][KEY]] == next(
        e["crc64"] for e in entries if e["key"] == segs[1]["rows"][0][KEY])
    assert all(len(r) == ROW_LEN for r in one_by_one.state.visible_rows())
    assert len(got) == len(rows)
