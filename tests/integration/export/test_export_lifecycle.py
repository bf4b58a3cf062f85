"""Lifecycle on a stack of its own (its clock is moved): exports expire after `export_days` unless
pinned; live segments and the watch counter expire with `live/`."""

from __future__ import annotations

from pathlib import Path

import oss2
import pytest
from vigil_fn.core.config import ExportSettings
from vigil_fn.export.jobs import JobStore, video_key
from vigil_ops.bucket_setup import BucketSettings, apply_bucket_setup

pytestmark = pytest.mark.integration


def test_exports_expire_unless_pinned_and_live_segments_expire(tmp_path: Path) -> None:
    from localcloud.stack import LocalCloud

    stack = LocalCloud(tmp_path / "data", port=0, spec_path=None)
    info = stack.start()
    try:
        bucket = oss2.Bucket(oss2.Auth(info.access_key_id, info.access_key_secret), info.oss_endpoint, info.bucket)
        apply_bucket_setup(bucket, BucketSettings(account_id=info.account_id, retention_days=30, export_days=3))
        store = JobStore(bucket, ExportSettings.from_env({}))
        jobs = []
        for _ in range(2):
            job = store.create("erin", "cam-life", 0, 60_000)
            bucket.put_object(video_key("erin", job.id), b"mp4")
            job.state, job.key = "done", video_key("erin", job.id)
            store.save(job)
            jobs.append(job)
        pinned = store.pin("erin", jobs[1].id, True)
        assert pinned.key == video_key("erin", jobs[1].id, pinned=True)
        bucket.put_object("live/cam-life/hls/1796000000.ts", b"ts")

        def keys_after(days: float) -> set[str]:
            stack.clock.advance(days * 86400)
            stack.store.sweep_lifecycle()
            return {o.key for o in oss2.ObjectIteratorV2(bucket, prefix="")}

        keys = keys_after(4)
        assert video_key("erin", jobs[0].id) not in keys and pinned.key in keys
        assert f"exports/erin/{jobs[0].id}.json" not in keys                  # the job goes with its MP4
        assert "live/cam-life/hls/1796000000.ts" in keys                       # live/ follows the retention
        keys = keys_after(27)
        assert "live/cam-life/hls/1796000000.ts" not in keys and pinned.key in keys
        assert [j.id for j in store.list("erin")] == [jobs[1].id]              # the pinned job is still listed
    finally:
        stack.stop()
