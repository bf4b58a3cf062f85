"""A batch of events (an EventBridge trigger's BatchWindow) indexed in one invocation: each record
checked against OSS as alone, one AppendObject per day log for the batch, compaction as if each
line had been appended alone, the index the same as one event at a time gives."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from vigil_camera.keys import clip_key, index_key
from vigil_fn.core.events import OssEventRecord
from vigil_fn.indexer import reader
from vigil_fn.indexer.dayfold import load_day
from vigil_fn.indexer.log import read_entries
from vigil_fn.indexer.service import Options, index_records

from tests.waiting import wait_for

pytestmark = pytest.mark.integration

DAY = datetime(2026, 11, 29, 6, 0, tzinfo=timezone.utc)


def test_a_batch_is_one_append_per_day_log_and_indexes_like_single_events(cloud: Any, ts_clip: bytes) -> None:
    bucket = cloud.bucket()
    device = f"bx-{uuid.uuid4().hex[:8]}"
    keys = [clip_key(device, DAY + timedelta(seconds=2 * i), i, "ts") for i in range(12)]
    other_day = clip_key(device, DAY + timedelta(days=1), 99, "ts")
    for key in [*keys, other_day]:
        bucket.put_object(key, ts_clip)
    t = 1_950_000_000.0   # marks this batch's lines (the trigger indexes the same PUTs with the real clock)
    records = [OssEventRecord("ObjectCreated:PutObject", cloud.bucket_name, k, len(ts_clip), "", int(t * 1000), "b")
               for k in [*keys, other_day]]
    records.append(OssEventRecord("ObjectCreated:PutObject", cloud.bucket_name, "videos/x/notes.ts", 1, "", 1, "b"))
    outcomes = index_records(bucket, records, Options(segment_bytes=1024, merge_fleet=False, clock=lambda: t))
    assert [o.result for o in outcomes] == ["indexed"] * 13 + ["rejected"]      # in the records' order
    assert all(o.status == "ok" for o in outcomes[:13])
    entries, _ = read_entries(bucket, index_key(device, DAY.date()))
    mine = [i for i, e in enumerate(entries) if e.get("indexed_at") == t * 1000]
    assert [entries[i]["key"] for i in mine] == keys
    assert mine == list(range(mine[0], mine[0] + len(keys)))   # one append: the lines are contiguous
    assert sum(o.compacted for o in outcomes[:12]) >= 3      # 12 lines of ~400 B over 1 KiB segments
    assert [e["key"] for e in read_entries(bucket, index_key(device, (DAY + timedelta(days=1)).date()))[0]
            if e.get("indexed_at") == t * 1000] == [other_day]
    wait_for(lambda: [c.key for c in reader.day_clips(bucket, device, DAY.date())] == keys)
    ds = load_day(bucket, device, DAY.date())
    assert ds.segments >= 1 and [c.key for c in ds.state.clips()] == keys
