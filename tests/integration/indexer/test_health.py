"""Camera health from the simulator's real uploads: the spool fills while the token service is
down, then drains, and the index shows it — from the `x-oss-meta-vigil-*` headers the indexer's
probe GET returns anyway."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oss2
import pytest
from vigil_camera import media
from vigil_camera.backoff import Backoff
from vigil_camera.credentials import TokenProvider
from vigil_camera.keys import clip_key, device_health_key, index_key, parse_clip_key
from vigil_camera.ossclient import DeviceOss
from vigil_camera.protocol import device_secret
from vigil_camera.spool import Spool
from vigil_camera.upload import ClipUploader
from vigil_fn.core.devices import DeviceRecord, Registry
from vigil_fn.indexer import reader
from vigil_fn.indexer.log import read_entries

from tests.waiting import wait_for

pytestmark = pytest.mark.integration


@dataclass
class HealthStack:
    info: Any
    master_key: bytes

    def bucket(self) -> oss2.Bucket:
        return oss2.Bucket(oss2.Auth(self.info.access_key_id, self.info.access_key_secret),
                           self.info.oss_endpoint, self.info.bucket)


@pytest.fixture(scope="module")
def health_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HealthStack]:
    """A stack whose indexer compacts every ~2 clips and may merge the fleet's health every second."""
    from localcloud.stack import LocalCloud

    stack = LocalCloud(tmp_path_factory.mktemp("health"), port=0,
                       extra_env={"VIGIL_INDEX_SEGMENT_BYTES": "1024", "VIGIL_HEALTH_MERGE_SECONDS": "1"})
    info = stack.start()
    try:
        yield HealthStack(info, Path(info.master_key_file).read_text().strip().encode())
    finally:
        stack.stop()


def test_spool_depth_rises_while_tokens_are_down_then_drains(health_cloud: HealthStack, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cloud = health_cloud
    bucket = cloud.bucket()
    device = f"hc-{uuid.uuid4().hex[:10]}"
    Registry(bucket).create(DeviceRecord(device, name="health test"))
    token_url = cloud.info.functions["vigil-token"]
    tokens = TokenProvider(token_url, device, device_secret(cloud.master_key, device, 1), max_wait=0.3,
                           backoff=Backoff(base=0.05, cap=0.2))
    spool = Spool(tmp_path / "spool")
    oss = DeviceOss(tokens, status=spool.status, backoff_base=0.05, backoff_cap=0.2, attempts=2)
    uploader = ClipUploader(oss)
    made: list[str] = []

    def record(n: int, first_seq: int) -> None:
        def sink(clip: media.Clip) -> None:
            key = clip_key(device, clip.start, clip.seq, "ts")
            spool.enqueue(clip.path, key, move=True)
            made.append(key)
        media.simulate(tmp_path / "cam", sink, fps=10, width=160, height=120, clip_seconds=1.0, count=n,
                       realtime=False, first_seq=first_seq)

    # 1. tokens work: two clips go up at once
    record(2, 0)
    assert spool.drain(uploader, concurrency=1, deadline=time.monotonic() + 60) == 2
    # 2. the token service is unreachable: clips pile up in the spool, uploads fail on the token
    tokens.token_url = "http://127.0.0.1:1"
    tokens.invalidate(tokens.current())   # and the token it holds has run out
    record(8, 2)
    spool.drain(uploader, concurrency=1, deadline=time.monotonic() + 1.0)
    assert spool.depth()[0] == 8 and spool.status.snapshot()["token_errors"] > 0
    # 3. it is back: the spool drains oldest first, each upload reporting the depth it left behind
    tokens.token_url = token_url.rstrip("/")
    resumed = int(time.time() * 1000)
    assert spool.drain(uploader, concurrency=1, deadline=time.monotonic() + 120) == 8

    days = {parsed.day for parsed in map(parse_clip_key, made) if parsed}
    assert len(days) == 1, "the test clips fall on one UTC day"
    utc_day = days.pop()
    assert wait_for(lambda: len(reader.day_clips(bucket, device, utc_day)) == 10)
    entries, _ = read_entries(bucket, index_key(device, utc_day))
    reports = sorted((e["meta"] for e in entries if e.get("op") == "create" and e.get("meta")),
                     key=lambda m: m["reported_at"])
    depths = [m["spool_depth"] for m in reports]
    assert max(depths) >= 7 and depths[0] <= 2, depths          # low, rose while tokens were down ...
    assert depths[-1] <= 1 and depths == depths[:2] + sorted(depths[2:], reverse=True), depths  # ... drained
    assert reports[-1]["token_errors"] > 0 and reports[0]["token_errors"] == 0

    seen: list[Any] = []

    def device_doc() -> dict[str, Any] | None:
        doc = json.loads(bucket.get_object(device_health_key(device)).read())
        seen.append(doc)
        # health follows compactions (every ~2 clips here): the drain's last compacted report
        return doc if doc.get("reported_at", 0) > resumed and doc.get("spool_depth", 99) <= 3 else None

    doc = wait_for(device_doc, timeout=30,
                   what=lambda: f"the device's health to follow the drain: {seen[-1] if seen else None} {depths}")
    assert doc["token_errors"] > 0 and doc["clips_today"] >= 6 and doc["last_clip_end"] > 0
    assert doc["upload_lag_ms"] is not None
    # the fleet object (the viewer's one GET): merged by the indexer, and on demand by the operator
    assert wait_for(lambda: device in reader.health(bucket))
    monkeypatch.setenv("VIGIL_LOCAL_DATA", str(cloud.info.data_dir))
    for name in ("VIGIL_OSS_ENDPOINT", "VIGIL_BUCKET", "ALIBABA_CLOUD_ACCESS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    from vigil_ops.cli import main

    def merged_while_still() -> dict[str, Any] | None:
        """The operator's merge, once the device's health did not move on during it (compactions of the
        drain's last clips may still update it: the fleet then holds an older one, rightly)."""
        before = bucket.get_object(device_health_key(device)).read()
        assert main(["index", "health", "--json"]) == 0
        capsys.readouterr()
        if bucket.get_object(device_health_key(device)).read() != before:
            return None
        return dict(json.loads(before), fleet=reader.health(bucket)[device])

    still = wait_for(merged_while_still, timeout=30, what="the device's health to hold still across a merge")
    fleet = still["fleet"]
    assert fleet["spool_depth"] == still["spool_depth"] and fleet["token_errors"] == still["token_errors"]
    assert still["spool_depth"] <= doc["spool_depth"] and still["token_errors"] >= doc["token_errors"]
    assert {"last_clip_end", "upload_lag_ms", "clips_today", "bytes_today", "dropped_clips",
            "reported_at"} <= set(fleet)
