"""Activity through the index (localcloud + real oss2): the camera's header lands in the day rows,
events merge across clip boundaries, small gaps and midnight, and exist exactly once whatever is
replayed, compacted twice or crashed; bad metadata leaves the clip indexed without activity."""

from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from vigil_camera.activity.meta import HEADER, ClipActivity, pack
from vigil_camera.keys import clip_key, index_key
from vigil_fn.core.events import OssEventRecord
from vigil_fn.indexer import activity, reader
from vigil_fn.indexer.compact import close_day, compact_segment, segment_due
from vigil_fn.indexer.log import append_entry
from vigil_fn.indexer.service import Options, index_record

pytestmark = pytest.mark.integration

MIDNIGHT = datetime(2026, 11, 23, 0, 0, tzinfo=timezone.utc)


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


@pytest.fixture(scope="module")
def quiet(cloud: Any) -> Any:
    """A bucket without the stack's trigger: the test drives the indexer (and its replays) itself."""
    bucket = cloud.bucket(f"vigil-activity-{uuid.uuid4().hex[:8]}")
    bucket.create_bucket()
    return bucket


@pytest.fixture(scope="module")
def ten_s_clip(media: Any) -> bytes:
    return bytes(media.encode_clip("mpegts", seconds=10.0, fps=10))


def _act(active: Any, zones: tuple[str, ...] = ("gate",), n: int = 10) -> ClipActivity:
    scores = tuple(0.8 if i in active else 0.0 for i in range(n))
    boxes = tuple((0.1, 0.5, 0.3, 0.9) if s else None for s in scores)
    return ClipActivity(scores, boxes, tuple(1 if s else 0 for s in scores), zones)


def _put(bucket: Any, key: str, body: bytes, value: str | None) -> OssEventRecord:
    headers = {HEADER: value} if value is not None else {}
    etag = bucket.put_object(key, body, headers=headers).etag.upper()
    return OssEventRecord("ObjectCreated:PutObject", bucket.bucket_name, key, len(body), etag,
                          int(time.time() * 1000), "t")


def test_event_across_midnight_is_one_and_only_once(quiet: Any, ten_s_clip: bytes,
                                                    caplog: pytest.LogCaptureFixture) -> None:
    bucket = quiet
    device = f"ac-{uuid.uuid4().hex[:10]}"
    opts = Options(segment_bytes=1024, merge_seconds=3600)
    plan = {   # clip start (s from midnight) → active seconds inside it
        -30: (), -20: range(7, 10), -10: range(0, 10), 0: (0, 1, 6, 7), 10: (),  # one event (gaps ≤ 5 s)
        60: range(3, 5),                                                                     # another
        120: (),
    }
    records = []
    for i, (offset, active) in enumerate(sorted(plan.items())):
        key = clip_key(device, MIDNIGHT + timedelta(seconds=offset), i, "ts")
        records.append(_put(bucket, key, ten_s_clip, pack(_act(active))))
    # a clip whose header claims 40 seconds: indexed, without activity, the reason logged
    bad_key = clip_key(device, MIDNIGHT + timedelta(seconds=90), 99, "ts")
    records.append(_put(bucket, bad_key, ten_s_clip, pack(_act(range(0, 40), n=40))))
    with caplog.at_level(logging.WARNING, logger="vigil_fn.indexer.activity"):
        for r in records:
            index_record(bucket, r, opts)
        for r in records[:4]:
            index_record(bucket, r, opts)             # replays of the same deliveries
    assert any("claims 40 seconds" in getattr(rec, "reason", "") for rec in caplog.records)
    # a compaction repeated, and one whose append was lost (a crash): readers still fold once
    day2 = MIDNIGHT.date()
    close_day(bucket, device, day2, now_ms=int(time.time() * 1000))
    close_day(bucket, device, day2, now_ms=int(time.time() * 1000))
    appended = append_entry(bucket, index_key(device, day2), {"op": "noop-padding", "key": "x", "pad": "y" * 900})
    j = segment_due(appended.position, appended.end, 1024)
    if j is not None:
        compact_segment(bucket, device, day2, j, appended.end, 1024, now_ms=int(time.time() * 1000))

    keys = [c.key for c in reader.day_clips(bucket, device, day2)]
    assert bad_key in keys                                        # the clip itself is there
    assert next(c for c in reader.day_clips(bucket, device, day2) if c.key == bad_key).activity is None

    whole = activity.events(bucket, device, _ms(MIDNIGHT - timedelta(hours=1)),
                            _ms(MIDNIGHT + timedelta(hours=1)))
    assert [(e.start, e.end) for e in whole] == [
        (_ms(MIDNIGHT - timedelta(seconds=14)), _ms(MIDNIGHT + timedelta(seconds=8))),
        (_ms(MIDNIGHT + timedelta(seconds=62)), _ms(MIDNIGHT + timedelta(seconds=65))),
    ]
    first = whole[0]
    assert first.zones == ["gate"] and first.active_seconds == 3 + 10 + 2 + 2
    assert first.peak == pytest.approx(0.8, abs=0.02)
    assert first.first_clip == records[1].key
    # asked from either side of midnight, the same one event, whole
    for lo, hi in ((MIDNIGHT - timedelta(minutes=5), MIDNIGHT), (MIDNIGHT, MIDNIGHT + timedelta(seconds=30))):
        got = activity.events(bucket, device, _ms(lo), _ms(hi))
        assert [(e.id, e.start, e.end) for e in got] == [(first.id, first.start, first.end)]
    bins = activity.histogram(bucket, device, _ms(MIDNIGHT - timedelta(minutes=1)),
                              _ms(MIDNIGHT + timedelta(minutes=1)), 12)
    assert bins[5] == pytest.approx(0.8, abs=0.02) and bins[6] > 0 and bins[0] == 0.0
