"""The reader's per-process day cache (`daycache.py`) through localcloud with the real oss2: a
cached read folds to exactly what an uncached read folds, whatever happened to the day in between
(appends, compactions, crashed or repeated ones, deletes, a rebuild, a log replaced), and a day read
again costs one request while its log did not change."""

from __future__ import annotations

import json
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import oss2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vigil_camera.crc import without_crc
from vigil_camera.keys import clip_key, index_key, index_segments_key, index_sums_key
from vigil_fn.indexer import reader
from vigil_fn.indexer.compact import compact_day, compact_segment, segment_due
from vigil_fn.indexer.daycache import DayCache
from vigil_fn.indexer.dayfold import day_rows, load_day
from vigil_fn.indexer.log import append_entry, encode_entry, fold, read_entries
from vigil_fn.indexer.rows import KEY
from vigil_fn.indexer.service import Options, after_append

sys.path.insert(0, str(Path(__file__).parent))
from test_compaction import DAY, _entry  # noqa: E402 - the same log entries as the compaction tests


def now_ms() -> int:
    """The time the index's writers are told it is (as the live indexer's clock: real time)."""
    return int(time.time() * 1000)


pytestmark = pytest.mark.integration

K = 1024


def _uncached(bucket: oss2.Bucket, device: str) -> list[list[Any]]:
    return load_day(bucket, device, DAY.date()).state.visible_rows()


op_st = st.tuples(
    st.integers(0, 7),                                        # which key
    st.sampled_from(["create", "create", "delete"]),
    st.sampled_from(["A", "B"]),
    st.integers(0, 30),                                       # event time
    st.sampled_from(["gone", "changed", None]),
    st.sampled_from(["compact", "compact", "crash", "twice", "rebuild"]),
    st.booleans(),                                            # read (and cache) the day after this op
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op_st, min_size=1, max_size=40))
def test_a_cached_read_folds_like_an_uncached_one_whatever_happened_since(cloud: Any, ops: list[Any]) -> None:
    bucket = cloud.bucket()
    device = f"dc-{uuid.uuid4().hex[:10]}"
    cache = DayCache()
    opts = Options(segment_bytes=K, merge_seconds=3600)
    log_key = index_key(device, DAY.date())
    for i, op, etag, t, confirmed, action, read in ops:
        appended = append_entry(bucket, log_key, _entry(device, i, op, etag, t, confirmed))
        if action != "crash":   # a crash between the append and the compaction leaves a hole
            after_append(bucket, device, DAY.date(), appended, opts)
        if action == "twice":
            j = segment_due(appended.position, appended.end, K)
            if j is not None:
                compact_segment(bucket, device, DAY.date(), j, appended.end, K, now_ms=now_ms())
        if action == "rebuild":   # `vigil index compact`: the segments are replaced whole
            compact_day(bucket, device, DAY.date(), K, now_ms=now_ms())
        if read:
            assert day_rows(bucket, device, DAY.date(), cache) == _uncached(bucket, device)
    raw, _ = read_entries(bucket, log_key)
    expected = [[getattr(c, f) for f in c.__dataclass_fields__] for c in fold(raw)]
    assert day_rows(bucket, device, DAY.date(), cache) == _uncached(bucket, device) == expected


class CountingSession(oss2.Session):  # type: ignore[misc]
    """The real oss2 session, counting the requests it sends."""

    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    def do_request(self, req: Any, timeout: Any) -> Any:
        self.requests += 1
        return super().do_request(req, timeout)


def _compacted_day(bucket: oss2.Bucket, device: str, n: int) -> None:
    for i in range(n):
        appended = append_entry(bucket, index_key(device, DAY.date()), _entry(device, i, "create", "A", 100 + i, None))
        after_append(bucket, device, DAY.date(), appended, Options(segment_bytes=K, merge_seconds=3600))


def test_a_day_read_again_costs_one_request_while_its_log_is_unchanged(cloud: Any) -> None:
    session = CountingSession()
    bucket = cloud.bucket(session=session)
    device = f"dq-{uuid.uuid4().hex[:10]}"
    _compacted_day(bucket, device, 40)
    cache = DayCache()
    cold = day_rows(bucket, device, DAY.date(), cache)
    assert len(cold) == 40 and cache.rows > 0

    before = session.requests
    assert day_rows(bucket, device, DAY.date(), cache) is cold        # the cached rows themselves
    assert session.requests - before == 1                              # the log's tail: same ETag
    assert cache.hits == 1

    # a new clip in the log (no segment completed): tail + a 304 of the segments
    append_entry(bucket, index_key(device, DAY.date()), _entry(device, 40, "create", "A", 500, None))
    before = session.requests
    rows = day_rows(bucket, device, DAY.date(), cache)
    assert session.requests - before == 2
    assert [r[KEY] for r in rows] == [clip_key(device, DAY + timedelta(seconds=10 * i), i, "ts") for i in range(41)]
    assert rows == _uncached(bucket, device)

    # a delete shows at once, though the segments did not change
    append_entry(bucket, index_key(device, DAY.date()), _entry(device, 3, "delete", "A", 900, "gone"))
    assert len(day_rows(bucket, device, DAY.date(), cache)) == 40
    assert day_rows(bucket, device, DAY.date(), cache) == _uncached(bucket, device)


def test_a_day_with_no_segments_yet_is_cached_too(cloud: Any) -> None:
    """A quiet camera's day (fewer clips than a segment) read again costs one GET of its log, and
    a clip appended, or segments made since, fold to what an uncached read folds."""
    session = CountingSession()
    bucket = cloud.bucket(session=session)
    device = f"dn-{uuid.uuid4().hex[:10]}"
    log_key = index_key(device, DAY.date())
    for i in range(2):
        append_entry(bucket, log_key, _entry(device, i, "create", "A", 100 + i, None))
    cache = DayCache()
    cold = day_rows(bucket, device, DAY.date(), cache)
    assert len(cold) == 2 and not bucket.object_exists(index_segments_key(device, DAY.date()))
    before = session.requests
    assert day_rows(bucket, device, DAY.date(), cache) is cold
    assert session.requests - before == 1 and cache.hits == 1
    append_entry(bucket, log_key, _entry(device, 2, "create", "A", 300, None))
    assert len(day_rows(bucket, device, DAY.date(), cache)) == 3
    assert day_rows(bucket, device, DAY.date(), cache) == _uncached(bucket, device)
    compact_day(bucket, device, DAY.date(), K, now_ms=now_ms())
    assert day_rows(bucket, device, DAY.date(), cache) == _uncached(bucket, device)
    append_entry(bucket, log_key, _entry(device, 3, "create", "A", 400, None))
    assert [r[KEY] for r in day_rows(bucket, device, DAY.date(), cache)] == [r[KEY] for r in _uncached(bucket, device)]
    assert len(_uncached(bucket, device)) == 4


def test_a_replaced_log_and_segments_are_read_afresh(cloud: Any) -> None:
    bucket = cloud.bucket()
    device = f"dr-{uuid.uuid4().hex[:10]}"
    _compacted_day(bucket, device, 30)
    cache = DayCache()
    assert len(day_rows(bucket, device, DAY.date(), cache)) == 30
    # `vigil index rebuild`: a new log of other clips, the segments dropped
    for key in (index_key(device, DAY.date()), index_segments_key(device, DAY.date()),
                index_sums_key(device, DAY.date())):
        bucket.delete_object(key)
    log = b"".join(encode_entry(_entry(device, 100 + i, "create", "B", 50, None)) for i in range(30))
    bucket.append_object(index_key(device, DAY.date()), 0, log)
    rows = day_rows(bucket, device, DAY.date(), cache)
    assert [r[KEY] for r in rows] == [clip_key(device, DAY + timedelta(seconds=10 * (100 + i)), 100 + i, "ts")
                                    for i in range(30)]
    compact_day(bucket, device, DAY.date(), K, now_ms=now_ms())   # and compacted again
    assert day_rows(bucket, device, DAY.date(), cache) == rows == _uncached(bucket, device)


def test_index_gets_skip_the_unchecked_crc_but_keep_the_session(cloud: Any) -> None:
    session = CountingSession()
    bucket = cloud.bucket(session=session)
    twin = without_crc(bucket)
    assert twin is without_crc(bucket) and twin is not bucket
    assert twin.enable_crc is False and bucket.enable_crc is True      # the caller's bucket is untouched
    device = f"dp-{uuid.uuid4().hex[:10]}"
    _compacted_day(bucket, device, 20)
    before = session.requests
    assert len(day_rows(bucket, device, DAY.date())) == 20
    assert session.requests - before == 2                              # segments + tail, on the same session


def test_the_cache_holds_at_most_its_rows(cloud: Any) -> None:
    bucket = cloud.bucket()
    device = f"db-{uuid.uuid4().hex[:10]}"
    _compacted_day(bucket, device, 60)
    cache = DayCache(max_rows=100)
    other = f"dx-{uuid.uuid4().hex[:10]}"
    _compacted_day(bucket, other, 60)
    assert len(day_rows(bucket, device, DAY.date(), cache)) == 60
    assert len(day_rows(bucket, other, DAY.date(), cache)) == 60     # evicts the first day
    assert 0 < cache.rows <= 100
    assert cache.get(bucket.bucket_name, index_segments_key(device, DAY.date())) is None
    assert cache.get(bucket.bucket_name, index_segments_key(other, DAY.date())) is not None
    before = cache.rows
    third = f"dy-{uuid.uuid4().hex[:10]}"
    _compacted_day(bucket, third, 30)
    assert len(day_rows(bucket, third, DAY.date(), cache, admit=False)) == 30   # read, not kept
    assert cache.rows == before and cache.get(bucket.bucket_name, index_segments_key(other, DAY.date())) is not None
    tiny = DayCache(max_rows=10)                                     # a day bigger than the cache: not kept
    assert len(day_rows(bucket, device, DAY.date(), tiny)) == 60 and tiny.rows == 0


def test_the_reader_timeline_is_the_same_cold_and_warm(cloud: Any) -> None:
    bucket = cloud.bucket()
    device = f"dt-{uuid.uuid4().hex[:10]}"
    _compacted_day(bucket, device, 50)
    start, end = DAY + timedelta(seconds=95), DAY + timedelta(seconds=305)
    reader.DAYS.clear()
    cold = reader.timeline(bucket, device, start, end)
    warm = reader.timeline(bucket, device, start, end)
    assert cold == warm and cold.items() == warm.items() and cold.spans() == warm.spans()
    assert [i["key"] for i in cold.items() if i["type"] == "clip"] == \
        [clip_key(device, DAY + timedelta(seconds=10 * i), i, "ts") for i in range(9, 31)]


def test_a_cold_day_asks_its_log_tail_where_the_segments_end(cloud: Any) -> None:
    """Issue 30: the log after the segments is asked as soon as the segments arrive (where their last
    line says they end), beside their parsing: still two requests for a cold day, the same rows; a
    last line that says something else (damaged, or not where the fold ends) costs the read after
    the fold, and the rows are still the fold of the whole log."""
    from vigil_fn.indexer.dayfold import segments_end

    session = CountingSession()
    bucket = cloud.bucket(session=session)
    device = f"dt-{uuid.uuid4().hex[:10]}"
    _compacted_day(bucket, device, 40)
    log_key, seg_key = index_key(device, DAY.date()), index_segments_key(device, DAY.date())
    segs = bucket.get_object(seg_key).read()
    end = segments_end(segs)
    assert end is not None and 0 < end <= bucket.head_object(log_key).content_length
    append_entry(bucket, log_key, _entry(device, 40, "create", "A", 500, None))   # a tail after the segments
    before = session.requests
    rows = day_rows(bucket, device, DAY.date(), DayCache())
    assert session.requests - before == 2                              # the segments, then the tail
    assert rows == _uncached(bucket, device) and len(rows) == 41
    # the segments' last line damaged: no guess, the fold still reads the tail where it ends
    bucket.append_object(seg_key, len(segs), b'{"v": 1, "from": 0, "to": 7, "rows": [\n')
    assert segments_end(bucket.get_object(seg_key).read()) is None
    assert day_rows(bucket, device, DAY.date(), DayCache()) == _uncached(bucket, device)
    # a last line that repeats the first segment, shorter (the fold keeps the longest per start, so it
    # ends elsewhere): the guess is dropped and the tail is read where the fold ends
    first = json.loads(segs.split(b"\n")[0])
    short = {**first, "to": int(first["from"]) + 1}
    line = b"\n" + json.dumps(short).encode() + b"\n"
    bucket.append_object(seg_key, bucket.head_object(seg_key).content_length, line)
    assert segments_end(bucket.get_object(seg_key).read()) == int(first["from"]) + 1 != end
    before = session.requests
    rows = day_rows(bucket, device, DAY.date(), DayCache())
    assert session.requests - before == 3                              # the segments, the guess, the tail
    assert rows == _uncached(bucket, device)
