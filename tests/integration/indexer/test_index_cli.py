"""`vigil index backfill|verify|rebuild` against the local stack (backfill goes through fc2)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from vigil_camera.keys import clip_key, index_key
from vigil_fn.indexer import reader
from vigil_ops.cli import main

pytestmark = pytest.mark.integration

DAY = datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def ops_env(cloud: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the operator CLI at the test stack the documented way: its data folder."""
    monkeypatch.setenv("VIGIL_LOCAL_DATA", str(cloud.data_dir))
    for name in ("VIGIL_OSS_ENDPOINT", "VIGIL_BUCKET", "ALIBABA_CLOUD_ACCESS_KEY_ID", "VIGIL_FC_ENDPOINT"):
        monkeypatch.delenv(name, raising=False)


def test_verify_finds_missing_entries_and_backfill_through_fc2_fixes_them(
        cloud: Any, ts_clip: bytes, ops_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    device = f"bf-{uuid.uuid4().hex[:8]}"
    bucket = cloud.bucket()
    keys = [clip_key(device, DAY + timedelta(seconds=2 * i), i, "ts") for i in range(3)]
    for key in keys:
        bucket.put_object(key, ts_clip)
    deadline = time.monotonic() + 30
    while len(reader.day_clips(bucket, device, DAY.date())) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    bucket.delete_object(index_key(device, DAY.date()))  # lose the index, as after an outage
    assert main(["index", "verify", "--device", device, "--json"]) == 1
    out = capsys.readouterr().out
    assert all(k in out for k in keys)

    assert main(["index", "backfill", "--device", device]) == 0
    assert "sent 3 clip(s)" in capsys.readouterr().out
    deadline = time.monotonic() + 30
    while len(reader.day_clips(bucket, device, DAY.date())) < 3 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert [c.key for c in reader.day_clips(bucket, device, DAY.date())] == keys
    assert main(["index", "verify", "--device", device]) == 0


def test_rebuild_rewrites_a_day_from_the_bucket(cloud: Any, ts_clip: bytes, ops_env: None) -> None:
    device = f"rb-{uuid.uuid4().hex[:8]}"
    bucket = cloud.bucket()
    key = clip_key(device, DAY, 0, "ts")
    bucket.put_object(key, ts_clip)
    bucket.put_object(index_key(device, DAY.date()), b"garbage that is not an index\n")
    assert main(["index", "rebuild", "--device", device, "--day", DAY.date().isoformat()]) == 0
    clips = reader.day_clips(bucket, device, DAY.date())
    assert [c.key for c in clips] == [key] and clips[0].status == "ok"


def test_bad_arguments_are_clear_errors(ops_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", "verify", "--device", "BAD*ID"]) == 2
    assert "device id" in capsys.readouterr().err


def test_malformed_event_is_rejected_once_not_retried(cloud: Any) -> None:
    import json

    import fc2

    client = fc2.Client(endpoint=cloud.fc_endpoint, accessKeyID=cloud.access_key_id,
                        accessKeySecret=cloud.access_key_secret)
    resp = client.invoke_function("vigil", "vigil-indexer", payload=b'{"not": "an oss event"}')
    body = json.loads(resp.data)
    assert body["indexed"] == [] and "events" in body["rejected"]


def test_compact_writes_segments_for_a_day_indexed_before_compaction(cloud: Any, ops_env: None,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    from vigil_fn.indexer.dayfold import load_day
    from vigil_fn.indexer.log import encode_entry, fold, read_entries

    bucket = cloud.bucket()
    device = f"cc-{uuid.uuid4().hex[:8]}"
    entries = [{"op": "create", "key": clip_key(device, DAY + timedelta(seconds=10 * i), i, "ts"), "etag": "A",
                "size": 5, "start": int((DAY + timedelta(seconds=10 * i)).timestamp() * 1000), "duration": 10_000,
                "event_time": i, "status": "ok"} for i in range(120)]
    bucket.append_object(index_key(device, DAY.date()), 0, b"".join(encode_entry(e) for e in entries))
    assert load_day(bucket, device, DAY.date()).segments == 0           # the old layout: the log alone
    assert main(["index", "compact", "--device", device, "--day", DAY.date().isoformat(),
                 "--segment-bytes", "2048"]) == 0
    assert "segment(s) written" in capsys.readouterr().out
    ds = load_day(bucket, device, DAY.date())
    assert ds.segments >= 5 and ds.state.clips() == fold(read_entries(bucket, index_key(device, DAY.date()))[0])
    assert reader.month_calendar(bucket, device, DAY.year, DAY.month)[0]["clips"] == 120
    assert main(["index", "compact", "--device", device, "--day", DAY.date().isoformat(),
                 "--segment-bytes", "10"]) == 2
