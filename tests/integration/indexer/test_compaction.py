"""Compaction through localcloud with the real oss2: segments + log tail fold to the raw log's
timeline, whatever happens (lost races, crashed or repeated compactions, 16 indexers at once)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vigil_camera.keys import clip_key, index_key, index_segments_key
from vigil_fn.core.events import OssEventRecord
from vigil_fn.indexer import reader
from vigil_fn.indexer.compact import close_day, compact_segment, segment_due
from vigil_fn.indexer.dayfold import load_day
from vigil_fn.indexer.log import append_entry, fold, read_entries
from vigil_fn.indexer.rows import KEY
from vigil_fn.indexer.service import Options, after_append, index_record


def now_ms() -> int:
    """The time the index's writers are told it is (as the live indexer's clock: real time)."""
    return int(time.time() * 1000)


pytestmark = pytest.mark.integration

DAY = datetime(2026, 11, 20, 6, 0, tzinfo=timezone.utc)
K = 1024

op_st = st.tuples(
    st.integers(0, 5),                                   # which key
    st.sampled_from(["create", "create", "delete"]),
    st.sampled_from(["A", "B"]),                          # etag
    st.integers(0, 30),                                  # event time
    st.sampled_from(["gone", "changed", None]),          # how a delete was confirmed
    st.sampled_from(["compact", "compact", "compact", "crash", "twice"]),
)


def _entry(device: str, i: int, op: str, etag: str, t: int, confirmed: str | None) -> dict[str, Any]:
    start = DAY + timedelta(seconds=10 * i)
    e: dict[str, Any] = {"op": op, "key": clip_key(device, start, i, "ts"), "etag": etag,
                         "start": int(start.timestamp() * 1000), "event_time": t, "indexed_at": t + 1,
                         "padding": "x" * 150}
    if op == "create":
        e.update(size=100 + i, duration=10_000, codec="h264", width=320, height=240, has_keyframe=True,
                 status="ok", reason=None)
    elif confirmed:
        e["confirmed"] = confirmed
    return e


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(op_st, min_size=1, max_size=40))
def test_segments_plus_tail_fold_like_the_raw_log(cloud: Any, ops: list[tuple[Any, ...]]) -> None:
    bucket = cloud.bucket()
    device = f"cp-{uuid.uuid4().hex[:10]}"
    opts = Options(segment_bytes=K, merge_seconds=3600)
    for i, op, etag, t, confirmed, action in ops:
        appended = append_entry(bucket, index_key(device, DAY.date()), _entry(device, i, op, etag, t, confirmed))
        if action != "crash":   # a crash between the append and the compaction leaves a hole
            after_append(bucket, device, DAY.date(), appended, opts)
        if action == "twice":   # a retried invocation compacts the same segment again
            j = segment_due(appended.position, appended.end, K)
            if j is not None:
                compact_segment(bucket, device, DAY.date(), j, appended.end, K, now_ms=now_ms())
    raw, length = read_entries(bucket, index_key(device, DAY.date()))
    ds = load_day(bucket, device, DAY.date())
    assert ds.state.clips() == fold(raw)
    assert ds.covered == length
    if length >= 3 * K and all(o[5] == "compact" for o in ops):
        assert ds.segments >= 1 and ds.raw_bytes < 2 * K   # the compact form did the work


@pytest.fixture(scope="module")
def quiet(cloud: Any) -> Any:
    """A bucket with no OSS trigger: these tests drive the indexer themselves, and the stack's own
    indexer (triggered on the main bucket) would append the same clips at its own segment size,
    racing the boundaries the assertions are about."""
    bucket = cloud.bucket(f"vigil-compact-{uuid.uuid4().hex[:8]}")
    bucket.create_bucket()
    return bucket


def _real_clip_record(bucket_name: str, key: str, etag: str, size: int) -> OssEventRecord:
    return OssEventRecord("ObjectCreated:PutObject", bucket_name, key, size, etag, int(time.time() * 1000), "t")


def test_compaction_racing_sixteen_indexers_loses_nothing(cloud: Any, quiet: Any, ts_clip: bytes) -> None:
    bucket = quiet
    device = f"cr-{uuid.uuid4().hex[:10]}"
    keys = [clip_key(device, DAY + timedelta(seconds=2 * i), i, "ts") for i in range(96)]
    etags = {k: bucket.put_object(k, ts_clip).etag.upper() for k in keys}
    opts = Options(segment_bytes=K, merge_seconds=3600)
    errors: list[BaseException] = []
    done = threading.Event()

    def work(chunk: list[str]) -> None:
        try:
            for key in chunk:
                index_record(bucket, _real_clip_record(bucket.bucket_name, key, etags[key], len(ts_clip)), opts)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    def compactor() -> None:   # an operator's close racing the live indexers, over and over
        try:
            while not done.is_set():
                close_day(bucket, device, DAY.date(), now_ms=now_ms())
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(keys[i::16],)) for i in range(16)]
    extra = threading.Thread(target=compactor)
    extra.start()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    done.set()
    extra.join()
    assert errors == []
    ds = load_day(bucket, device, DAY.date())
    assert [c.key for c in ds.state.clips()] == keys
    assert ds.segments >= 5, "the racing indexers compacted segments"
    raw, _ = read_entries(bucket, index_key(device, DAY.date()))
    assert ds.state.clips() == fold(raw)
    assert [i["key"] for i in reader.timeline(bucket, device, DAY, DAY + timedelta(minutes=5)).items()
            if i["type"] == "clip"] == keys


CHILD = r"""
import sys, oss2
from datetime import datetime, timezone
from vigil_fn.indexer.log import append_entry
from vigil_fn.indexer.service import Options, after_append
sys.path.insert(0, sys.argv[5])
from test_compaction import DAY, _entry
from vigil_camera.keys import index_key
bucket = oss2.Bucket(oss2.Auth(sys.argv[2], sys.argv[3]), sys.argv[1], sys.argv[4])
device = sys.argv[6]
opts = Options(segment_bytes=1024, merge_seconds=3600)
for n in range(100000):
    appended = append_entry(bucket, index_key(device, DAY.date()), _entry(device, n % 50, "create", "A", n, None))
    print(n, flush=True)
    after_append(bucket, device, DAY.date(), appended, opts)
"""


def test_a_compaction_killed_midway_leaves_the_day_readable_and_complete(cloud: Any, tmp_path: Path) -> None:
    bucket = cloud.bucket()
    device = f"ck-{uuid.uuid4().hex[:10]}"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    here = str(Path(__file__).parent)
    for round_ in range(3):
        child = subprocess.Popen(
            [sys.executable, str(script), cloud.oss_endpoint, cloud.access_key_id, cloud.access_key_secret,
             cloud.bucket_name, here, device], stdout=subprocess.PIPE, text=True, env=dict(os.environ))
        assert child.stdout is not None
        for _ in range(20 + 7 * round_):   # let it append and compact, then kill it wherever it is
            assert child.stdout.readline(), "the child stopped early"
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        raw, length = read_entries(bucket, index_key(device, DAY.date()))
        ds = load_day(bucket, device, DAY.date())
        assert ds.state.clips() == fold(raw) and ds.covered == length
    segs = bucket.get_object(index_segments_key(device, DAY.date())).read()
    assert all(json.loads(line)["to"] > json.loads(line)["from"] for line in segs.splitlines())


def test_month_calendar_and_day_close(cloud: Any, quiet: Any, ts_clip: bytes) -> None:
    bucket = quiet
    device = f"cm-{uuid.uuid4().hex[:10]}"
    opts = Options(segment_bytes=K, merge_seconds=3600)
    days = [DAY, DAY + timedelta(days=1), DAY + timedelta(days=3)]
    per_day = [7, 4, 3]
    for day, n in zip(days, per_day, strict=True):
        for i in range(n):
            key = clip_key(device, day + timedelta(seconds=2 * i), i, "ts")
            etag = bucket.put_object(key, ts_clip).etag.upper()
            index_record(bucket, _real_clip_record(bucket.bucket_name, key, etag, len(ts_clip)), opts)
    cal = reader.month_calendar(bucket, device, DAY.year, DAY.month)
    assert [c["day"] for c in cal] == [d.date().isoformat() for d in days]
    # closed days (the device moved on) are exact; the current day counts what its health covers
    assert [c["clips"] for c in cal[:2]] == per_day[:2]
    assert 1 <= cal[2]["clips"] <= per_day[2]
    assert cal[0]["recorded_ms"] == sum(c.duration or 0 for c in reader.day_clips(bucket, device, DAY.date()))
    close_day(bucket, device, days[2].date(), now_ms=now_ms())
    assert reader.month_calendar(bucket, device, DAY.year, DAY.month)[2]["clips"] == per_day[2]
    assert reader.month_calendar(bucket, device, DAY.year, 1) == []
    with pytest.raises(ValueError):
        reader.month_calendar(bucket, device, DAY.year, 13)
    assert date.fromisoformat(cal[0]["day"]) == DAY.date()


def test_a_late_clip_of_a_closed_day_updates_its_calendar_row(cloud: Any, quiet: Any, ts_clip: bytes) -> None:
    bucket = quiet
    device = f"cl-{uuid.uuid4().hex[:10]}"
    opts = Options(segment_bytes=K, merge_seconds=3600)
    today, yesterday = DAY + timedelta(days=1), DAY
    for i, start in enumerate([yesterday, today, yesterday + timedelta(seconds=30)] +
                              [yesterday + timedelta(seconds=40 + 2 * j) for j in range(4)]):
        key = clip_key(device, start, i, "ts")
        etag = bucket.put_object(key, ts_clip).etag.upper()
        index_record(bucket, _real_clip_record(bucket.bucket_name, key, etag, len(ts_clip)), opts)
    row = reader.month_calendar(bucket, device, DAY.year, DAY.month)[0]
    assert row["day"] == yesterday.date().isoformat()
    # closed with 1 clip when the device moved on; the late segment rewrote the row with what it saw
    assert 1 < row["clips"] <= 6 == len(reader.day_clips(bucket, device, yesterday.date()))
    close_day(bucket, device, yesterday.date(), now_ms=now_ms())
    assert reader.month_calendar(bucket, device, DAY.year, DAY.month)[0]["clips"] == 6


def test_a_clip_running_past_midnight_shows_in_the_next_days_timeline(cloud: Any, quiet: Any, ts_clip: bytes) -> None:
    """Found without reading the whole day before: its spill (closed day), or the day (open)."""
    bucket = quiet
    device = f"cs-{uuid.uuid4().hex[:10]}"
    midnight = DAY.replace(hour=0) + timedelta(days=1)
    before, after = midnight - timedelta(milliseconds=800), midnight + timedelta(seconds=5)
    opts = Options(segment_bytes=K, merge_fleet=False)
    keys = []
    for i, start in enumerate([before - timedelta(seconds=30), before]):
        key = clip_key(device, start, i, "ts")
        etag = bucket.put_object(key, ts_clip).etag.upper()   # a 2 s clip: `before` runs 1.2 s into the day
        index_record(bucket, _real_clip_record(bucket.bucket_name, key, etag, len(ts_clip)), opts)
        keys.append(key)

    def first_items() -> list[str]:
        items = reader.timeline(bucket, device, midnight, midnight + timedelta(minutes=1)).items()
        return [i["key"] for i in items if i["type"] == "clip"]

    assert first_items() == [keys[1]]                          # the day before is open: read whole
    key = clip_key(device, after, 2, "ts")                     # the next day opens: the day before closes
    etag = bucket.put_object(key, ts_clip).etag.upper()
    index_record(bucket, _real_clip_record(bucket.bucket_name, key, etag, len(ts_clip)), opts)
    rows = [json.loads(x) for x in bucket.get_object(
        f"index/{device}/{before:%Y-%m}.month.jsonl").read().splitlines()]
    assert [r["spill"][0][KEY] for r in rows if r["day"] == before.date().isoformat()] == [keys[1]]
    assert first_items() == [keys[1], key]
    # a late clip of the closed day, not compacted yet, also running past midnight: the tail is read
    late = clip_key(device, before + timedelta(milliseconds=300), 3, "ts")
    etag = bucket.put_object(late, ts_clip).etag.upper()
    index_record(bucket, _real_clip_record(bucket.bucket_name, late, etag, len(ts_clip)),
                 Options(compact=False, merge_fleet=False))
    assert first_items() == [keys[1], late, key]
