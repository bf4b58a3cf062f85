"""Export end to end on the local stack: the real vigil-export function (async, its own role)
turns an indexed range with a gap into one faststart MP4, checked with PyAV."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import av
import oss2
import pytest
from vigil_fn.core.bodies import read_body
from vigil_fn.core.clients import FunctionCredentials
from vigil_fn.core.config import ExportSettings
from vigil_fn.export.invoke import start_export
from vigil_fn.export.jobs import JobStore, video_key
from vigil_fn.export.moov import iter_boxes
from vigil_fn.export.service import run_job

from .conftest import FPS, Recorded, record, wait_for

pytestmark = pytest.mark.integration

SETTINGS = ExportSettings.from_env({})


def _top_level_boxes(data: bytes) -> list[bytes]:
    return [kind for kind, *_ in iter_boxes(data)]


def _check_mp4(data: bytes, rec: Recorded) -> dict[str, Any]:
    assert _top_level_boxes(data)[:2] == [b"ftyp", b"moov"], "moov must precede mdat (+faststart)"
    with av.open(io.BytesIO(data)) as c:
        video = c.streams.video[0]
        assert video.codec_context.name == "h264"
        packets = [p for p in c.demux(video) if p.size]
        assert len(packets) == sum(rec.frames)
        expected = sum(rec.durations)
        assert abs(float(c.duration or 0) / 1e6 - expected) <= len(rec.keys) / FPS
        chapters = c.chapters()
        meta = dict(c.metadata)
    with av.open(io.BytesIO(data)) as c:
        assert sum(1 for _ in c.decode(video=0)) == sum(rec.frames)   # every copied frame decodes
    assert len(chapters) == len(rec.keys)
    boundary = 0.0
    for chapter, duration in zip(chapters, rec.durations, strict=True):
        start = float(chapter["start"] * chapter["time_base"])
        assert abs(start - boundary) <= 1 / FPS
        boundary += duration
    comment = json.loads(meta["comment"])
    assert comment["camera"] == rec.camera
    gap_ms = [int(rec.gap[0].timestamp() * 1000), int(rec.gap[1].timestamp() * 1000)]
    assert [[g["start"], g["end"]] for g in comment["gaps"]] == [gap_ms]
    assert "GAP of 7.0 s" in chapters[3]["metadata"]["title"]
    assert meta["creation_time"].startswith("2026-11-30T10:00:00")
    return meta


def test_export_function_makes_one_faststart_mp4_with_chapters_and_the_gap(cloud: Any, recorded: Recorded) -> None:
    bucket = cloud.bucket()
    store = JobStore(bucket, SETTINGS)
    job = store.create("alice", recorded.camera, recorded.start_ms, recorded.end_ms)
    creds = FunctionCredentials(cloud.access_key_id, cloud.access_key_secret, None)
    start_export(ExportSettings.from_env({"VIGIL_FC_ENDPOINT": cloud.fc_endpoint}), creds, "alice", job.id)
    done = wait_for(lambda: (j := store.require("alice", job.id)).state in ("done", "failed") and j,
                    timeout=120, what="the export job")
    assert done.state == "done", done.error
    assert done.key == video_key("alice", job.id)
    data = read_body(bucket.get_object(done.key))
    assert done.size == len(data)
    _check_mp4(data, recorded)
    assert [c["key"] for c in done.chapters] == recorded.keys
    assert len(done.gaps) == 1 and done.frames == sum(recorded.frames)
    head = bucket.head_object(done.key)
    assert head.content_type == "video/mp4" and head.headers["x-oss-meta-camera"] == recorded.camera


def test_export_role_cannot_touch_other_prefixes(cloud: Any) -> None:
    """The function's own role, used by its async invocation, is all it has (least privilege)."""
    sts_creds = cloud.stack.ram.issue_session(cloud.stack.ram.role_arn("vigil-export-fn"), "export-test", 900, None,
                                              None, "fc.aliyuncs.com")
    auth = oss2.StsAuth(sts_creds.access_key_id, sts_creds.access_key_secret, sts_creds.security_token)
    b = cloud.bucket(auth=auth)
    b.put_object("exports/alice/x.json", b"{}")
    for call in (lambda: b.put_object("videos/cam-x/2026/11/30/000000000Z-1.ts", b"x"),
                 lambda: b.delete_object("exports/alice/x.json"),
                 lambda: b.get_object("_system/users/alice.json"),
                 lambda: b.put_object("index/cam-x/2026-11-30.jsonl", b"x")):
        with pytest.raises(oss2.exceptions.AccessDenied):
            call()


CHILD = textwrap.dedent("""
    import sys, time
    import oss2
    from vigil_fn.core.config import ExportSettings
    from vigil_fn.export.service import run_job
    from vigil_fn.export.source import OssSource
    endpoint, ak, secret, bucket_name, user, job_id, stop_after = sys.argv[1:]
    bucket = oss2.Bucket(oss2.Auth(ak, secret), endpoint, bucket_name)
    settings = ExportSettings.from_env({"VIGIL_EXPORT_PART_MB": "0.1"})
    opened = []
    def opener(clip):
        opened.append(clip.key)
        if len(opened) > int(stop_after):   # a long export: the parent kills us here
            print("waiting", flush=True)
            time.sleep(3600)
        return OssSource(bucket, clip.key, clip.size)
    run_job(bucket, settings, user, job_id, open_source=opener)
""")


def test_a_killed_export_leaves_no_object_and_can_be_retried(cloud: Any, sim_clips: Any) -> None:
    rec = record(cloud, sim_clips)
    bucket = cloud.bucket()
    stale = ExportSettings.from_env({"VIGIL_EXPORT_STALE_SECONDS": "0"})
    store = JobStore(bucket, stale)
    job = store.create("bob", rec.camera, rec.start_ms, rec.end_ms)
    key = video_key("bob", job.id)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path("functions").resolve()),
                                                        str(Path("device_client").resolve())])}
    child = subprocess.Popen([sys.executable, "-c", CHILD, cloud.oss_endpoint, cloud.access_key_id,
                              cloud.access_key_secret, cloud.bucket_name, "bob", job.id, "3"],
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "waiting", child.stderr.read() if child.stderr else ""

        def parts_uploaded() -> bool:
            uploads = [u for u in oss2.MultipartUploadIterator(bucket, prefix=key) if u.key == key]
            return bool(uploads) and any(True for _ in oss2.PartIterator(bucket, key, uploads[0].upload_id))

        wait_for(parts_uploaded, what="parts of the killed export")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(30)
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.head_object(key)            # nothing visible: the upload never completed
    killed = store.require("bob", job.id)
    assert killed.state == "running" and killed.public(stale.stale_s)["state"] == "failed"
    retried = store.retry("bob", job.id)
    assert retried.state == "queued"
    done = run_job(bucket, SETTINGS, "bob", job.id)
    assert done.state == "done" and done.attempts == 2
    assert not [u for u in oss2.MultipartUploadIterator(bucket, prefix=key)]  # the stale upload was aborted
    _check_mp4(read_body(bucket.get_object(key)), rec)


def test_refusals_are_clear(cloud: Any, recorded: Recorded) -> None:
    from vigil_fn.export.jobs import JobError
    store = JobStore(cloud.bucket(), ExportSettings.from_env({"VIGIL_EXPORT_MAX_CONCURRENT": "1",
                                                               "VIGIL_EXPORT_MAX_SECONDS": "60"}))
    with pytest.raises(JobError) as too_long:
        store.create("carol", recorded.camera, recorded.start_ms, recorded.start_ms + 61_000)
    assert (too_long.value.status, too_long.value.code) == (400, "range_too_long")
    with pytest.raises(JobError) as backwards:
        store.create("carol", recorded.camera, recorded.end_ms, recorded.start_ms)
    assert backwards.value.code == "invalid_range"
    with pytest.raises(JobError) as bad_camera:
        store.create("carol", "../x", recorded.start_ms, recorded.end_ms)
    assert bad_camera.value.code == "invalid_camera"
    store.create("carol", recorded.camera, recorded.start_ms, recorded.end_ms)
    with pytest.raises(JobError) as busy:
        store.create("carol", recorded.camera, recorded.start_ms, recorded.end_ms)
    assert (busy.value.status, busy.value.code) == (429, "too_many_exports")


def test_an_empty_range_fails_with_a_reason_and_no_object(cloud: Any) -> None:
    bucket = cloud.bucket()
    store = JobStore(bucket, SETTINGS)
    job = store.create("dave", "cam-nothing", 1_700_000_000_000, 1_700_000_060_000)
    out = run_job(bucket, SETTINGS, "dave", job.id)
    assert out.state == "failed" and out.error == "nothing was recorded in this range"
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.head_object(video_key("dave", job.id))
