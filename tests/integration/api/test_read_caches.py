"""The read paths' per-instance caches follow what OSS holds: the registry's records (re-read when
the listing's ETag changes) and the open day's quarter-hour counts (counted again when its log grows);
and a timeline's reads overlap instead of following each other."""

from __future__ import annotations

import threading
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

from vigil_camera.keys import clip_key, index_key, index_segments_key, index_sums_key
from vigil_fn.api import index_view
from vigil_fn.core.devices import DeviceRecord, Registry
from vigil_fn.indexer import reader as index_reader
from vigil_fn.indexer.compact import segments_of
from vigil_fn.indexer.log import encode_entry

from tests.integration.indexer.test_day_cache import CountingSession


def test_registry_records_follow_changes(cloud: Any) -> None:
    bucket = cloud.bucket()
    tag = uuid.uuid4().hex[:6]
    ids = [f"rc-{tag}-{n}" for n in range(3)]
    writer, reader = Registry(bucket), Registry(bucket)
    for device_id in ids:
        writer.create(DeviceRecord(device_id, name=f"cam {device_id}"))
    first = reader.records()
    assert all(first[d].status == "enabled" for d in ids)
    writer.update(ids[1], status="disabled")
    writer.delete(ids[2])
    second = reader.records()
    assert second[ids[1]].status == "disabled"          # the changed record was read again
    assert ids[2] not in second                         # the removed one is gone
    assert second[ids[0]] is first[ids[0]]              # the unchanged one was not (no GET)
    assert list(second) == sorted(second)


def _clip_line(camera: str, day: datetime, i: int) -> bytes:
    day_ms = int(day.timestamp() * 1000)
    return encode_entry({
        "op": "create", "key": clip_key(camera, day + timedelta(seconds=10 * i), i, "ts"),
        "etag": "0123456789ABCDEF0123456789ABCDEF", "size": 1000, "status": "ok", "start": day_ms + 10_000 * i,
        "duration": 10_000, "codec": "h264", "width": 320, "height": 240, "has_keyframe": True,
        "event_time": day_ms + 10_000 * i + 1_000, "indexed_at": day_ms + 10_000 * i + 1_500,
    })


def test_open_day_calendar_counts_a_new_clip(cloud: Any) -> None:
    bucket = cloud.bucket()
    camera = f"rq-{uuid.uuid4().hex[:6]}"
    day = datetime(2026, 8, 12, 3, tzinfo=timezone.utc)
    key = index_key(camera, day.date())
    lines = b"".join(_clip_line(camera, day, i) for i in range(3))
    bucket.append_object(key, 0, lines)
    for _ in range(2):   # the second answer comes from the counts kept beside the unchanged rows
        assert index_view.month_calendar(bucket, camera, "2026-08", "Asia/Shanghai") == [
            {"day": "2026-08-12", "clips": 3, "recorded_ms": 30_000}]
    bucket.append_object(key, len(lines), _clip_line(camera, day, 3))
    assert index_view.month_calendar(bucket, camera, "2026-08", "Asia/Shanghai") == [
        {"day": "2026-08-12", "clips": 4, "recorded_ms": 40_000}]


def test_a_calendar_over_an_unchanged_open_day_reads_no_log(cloud: Any) -> None:
    """The listing that finds the days' logs also gives the open day's ETag: while it is the version
    the instance folded, the calendar costs the month rows (two months under a local month) and one
    listing, and reads nothing of the day; a new clip is counted at once."""
    session = CountingSession()
    bucket = cloud.bucket(session=session)
    camera = f"rq-{uuid.uuid4().hex[:6]}"
    day = datetime(2026, 9, 3, 3, tzinfo=timezone.utc)
    key = index_key(camera, day.date())
    lines = b"".join(_clip_line(camera, day, i) for i in range(40))
    bucket.append_object(key, 0, lines)
    segs, sums = segments_of(lines, 2048, day.date(), now_ms=int(day.timestamp() * 1000) + 3_600_000)
    assert segs   # the open day as the live indexer leaves it: compacted segments and the log after them
    bucket.append_object(index_segments_key(camera, day.date()), 0, segs)
    bucket.append_object(index_sums_key(camera, day.date()), 0, sums)
    expected = [{"day": "2026-09-03", "clips": 40, "recorded_ms": 400_000}]
    assert index_view.month_calendar(bucket, camera, "2026-09", "Asia/Shanghai") == expected   # reads the day
    before = session.requests
    assert index_view.month_calendar(bucket, camera, "2026-09", "Asia/Shanghai") == expected
    assert session.requests - before == 3   # August's and September's rows, one listing of the days
    bucket.append_object(key, len(lines), _clip_line(camera, day, 40))
    assert index_view.month_calendar(bucket, camera, "2026-09", "Asia/Shanghai") == [
        {"day": "2026-09-03", "clips": 41, "recorded_ms": 410_000}]


class MeetingSession(CountingSession):
    """Once armed, holds the next two requests until both are in flight (a barrier, not a sleep):
    requests sent one after the other never meet, and the barrier breaks after its timeout."""

    def __init__(self) -> None:
        super().__init__()
        self.barrier = threading.Barrier(2, timeout=20)
        self.lock = threading.Lock()
        self.armed_at: int | None = None
        self.met = False

    def arm(self) -> None:
        self.armed_at = self.requests

    def do_request(self, req: Any, timeout: Any) -> Any:
        with self.lock:
            first_two = self.armed_at is not None and self.requests - self.armed_at < 2
            self.requests += 1
        if first_two:
            try:
                self.barrier.wait()
                self.met = True
            except threading.BrokenBarrierError:
                pass
        return super(CountingSession, self).do_request(req, timeout)


def test_a_timeline_reads_the_day_before_beside_the_day(cloud: Any) -> None:
    """The day before's spill (clips running into the range: its month rows, then a HEAD of its log)
    is read beside the day's own GETs, so a day the instance holds costs one round trip of wall time."""
    session = MeetingSession()
    bucket = cloud.bucket(session=session)
    camera = f"ov-{uuid.uuid4().hex[:6]}"
    day = datetime(2026, 8, 20, tzinfo=timezone.utc)
    bucket.append_object(index_key(camera, day.date()), 0, b"".join(_clip_line(camera, day, i) for i in range(3)))
    session.arm()
    items = index_reader.timeline(bucket, camera, day, day + timedelta(days=1)).items()
    assert session.met   # the spill's first request and the day's were in flight together
    assert [i["key"] for i in items if i["type"] == "clip"] == [
        clip_key(camera, day + timedelta(seconds=10 * i), i, "ts") for i in range(3)]
