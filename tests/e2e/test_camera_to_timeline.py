"""End to end: a provisioned camera simulates, uploads through the token function with its STS token,
the OSS trigger runs the indexer in the FC runtime, and the timeline shows every clip."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import oss2
import pytest
from vigil_camera.keys import parse_clip_key
from vigil_camera.protocol import device_secret
from vigil_fn.core.devices import DeviceRecord, Registry
from vigil_fn.indexer import reader

pytestmark = pytest.mark.e2e


def test_simulated_camera_clips_all_reach_the_timeline(cloud: Any, tmp_path: Path, media: Any) -> None:
    device = f"e2e-{uuid.uuid4().hex[:8]}"
    Registry(cloud.bucket()).create(DeviceRecord(device, name="e2e camera"))
    config = tmp_path / "camera.json"
    config.write_text(json.dumps({"token_url": cloud.functions["vigil-token"], "device_id": device,
                                  "device_secret": device_secret(cloud.master_key, device, 1),
                                  "spool_dir": str(tmp_path / "spool")}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "--config", str(config), "simulate",
                          "--fps", "10", "--resolution", "320x180", "--clip-seconds", "2", "--count", "3", "--fast"],
                         env=env, capture_output=True, text=True, timeout=180)
    assert res.returncode == 0, (res.stdout[-1000:], res.stderr[-2000:])
    bucket = cloud.bucket()
    uploaded = sorted(o.key for o in oss2.ObjectIterator(bucket, prefix=f"videos/{device}/"))
    assert len(uploaded) == 3
    days = {parse_clip_key(k).day for k in uploaded}  # type: ignore[union-attr]
    deadline = time.monotonic() + 60
    clips: list[Any] = []
    while time.monotonic() < deadline:
        clips = [c for d in days for c in reader.day_clips(bucket, device, d)]
        if len(clips) == 3:
            break
        time.sleep(0.2)
    assert sorted(c.key for c in clips) == uploaded
    for clip in clips:
        width, height, duration = media.decoded_facts(bucket.get_object(clip.key).read())
        assert clip.status == "ok" and (clip.width, clip.height) == (width, height) == (320, 180)
        assert abs((clip.duration or 0) - duration) <= 100  # one frame at 10 fps
    first = min(parse_clip_key(k).start for k in uploaded)  # type: ignore[union-attr]
    items = reader.timeline(bucket, device, first, first + timedelta(hours=1)).items()  # --fast runs ahead of the clock
    assert [i["key"] for i in items if i["type"] == "clip"] == uploaded
