"""A day's segments in either stored format, through localcloud with the real oss2: a bucket whose
days were compacted by an older indexer (row-list segments), or across the upgrade (both kinds in
one `.segs.jsonl`), reads as the day of the raw log; a columns segment that does not make rows is
read from the log instead."""

from __future__ import annotations

import json
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from vigil_camera.keys import index_key, index_segments_key
from vigil_fn.indexer import reader
from vigil_fn.indexer.compact import segments_of
from vigil_fn.indexer.dayfold import SEGMENT_COLUMNS, SEGMENT_VERSION, load_day
from vigil_fn.indexer.log import encode_entry, fold, parse_lines
from vigil_fn.indexer.rows import KEY, from_columns

sys.path.insert(0, str(Path(__file__).parent))
from test_compaction import DAY, K, _entry, now_ms  # noqa: E402 - the same log entries as the compaction tests

pytestmark = pytest.mark.integration


def _as_row_lists(segs: bytes) -> bytes:
    """Segments as an indexer before columns wrote them: `{"v": 1, "from", "to", "rows", "dels"}`."""
    out = []
    for line in segs.splitlines():
        doc = json.loads(line)
        assert doc["v"] == SEGMENT_COLUMNS
        rows = from_columns(doc.pop("n"), doc.pop("cols"))
        out.append(orjson.dumps({**doc, "v": SEGMENT_VERSION, "rows": rows}) + b"\n")
    return b"".join(out)


def _day(bucket: Any, device: str, segs: bytes, log: bytes) -> None:
    bucket.append_object(index_key(device, DAY.date()), 0, log)
    bucket.append_object(index_segments_key(device, DAY.date()), 0, segs)


@pytest.mark.parametrize("stored", ["columns", "row lists", "row lists, then columns", "a damaged columns line"])
def test_a_day_reads_the_same_whatever_format_its_segments_are_in(cloud: Any, stored: str) -> None:
    bucket = cloud.bucket()
    device = f"sf-{uuid.uuid4().hex[:6]}"
    ops = [(i, "create", "A", 10 + i, None) for i in range(40)] + [(3, "delete", "A", 99, "gone"),
                                                                   (5, "create", "B", 2, None)]
    entries = [_entry(device, *op) for op in ops]
    log = b"".join(map(encode_entry, entries))
    segs = segments_of(log[:log.rfind(b"\n", 0, len(log) - 1) + 1], K, DAY.date(), now_ms=now_ms())[0]
    lines = segs.splitlines(keepends=True)
    assert len(lines) >= 4 and all(json.loads(line)["v"] == SEGMENT_COLUMNS for line in lines)
    if stored == "row lists":
        segs = _as_row_lists(segs)
    elif stored == "row lists, then columns":
        segs = _as_row_lists(b"".join(lines[:2])) + b"".join(lines[2:])
    elif stored == "a damaged columns line":
        doc = json.loads(lines[1])
        doc["cols"]["key"] = [1] * doc["n"]
        segs = lines[0] + orjson.dumps(doc) + b"\n" + b"".join(lines[2:])
    _day(bucket, device, segs, log)
    expected = fold(parse_lines(log))
    folded = load_day(bucket, device, DAY.date())
    assert folded.state.clips() == expected
    assert folded.segments == len(lines) - (stored == "a damaged columns line")
    assert folded.raw_bytes < len(log) // 3       # the segments were used: only the hole and the tail were read raw
    reader.DAYS.clear()
    timeline = reader.timeline(bucket, device, DAY, DAY + timedelta(hours=1)).items()
    assert [i["key"] for i in timeline if i["type"] == "clip"] == [c.key for c in expected]
    assert [r[KEY] for r in reader.rows(bucket, device, DAY.date())] == [c.key for c in expected]
