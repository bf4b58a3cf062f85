"""Run one export job: index → clips → one MP4 streamed into `exports/<user>/<id>.mp4`.

Idempotent and restartable: a `done` job is left alone; any other state runs from the start with a
fresh multipart upload, after aborting the uploads a killed earlier attempt left (they were never
visible as an object). Failures are written into the job, so the page can say why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import oss2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..core.config import ExportSettings
from ..indexer.reader import timeline
from . import manifest
from .jobs import ExportJob, JobError, JobStore, manifest_key, video_key
from .remux import NOTHING_RECORDED, Gap, RemuxError, SourceClip, Stream, remux
from .sink import MultipartSink
from .source import OssSource

log = logging.getLogger("vigil.export")
HEARTBEAT_S = 2.0


def _end(item: dict[str, Any]) -> int:
    return int(item.get("end") or item["start"] + (item.get("duration") or 0))


def plan(bucket: oss2.Bucket, camera: str, start: int, end: int) -> tuple[list[SourceClip], list[Gap]]:
    """The readable clips of the range in order, and every gap (missing time or unreadable clip)."""
    items = timeline(bucket, camera, datetime.fromtimestamp(start / 1000, tz=timezone.utc),
                     datetime.fromtimestamp(end / 1000, tz=timezone.utc))
    clips: list[SourceClip] = []
    gaps: list[Gap] = []
    for item in items:
        if item["type"] == "gap":
            gaps.append(Gap(item["start"], item["end"]))
        elif item.get("status") == "ok" and (item.get("codec") or "h264") == "h264":
            clips.append(SourceClip(item["key"], item["start"], _end(item), int(item["size"])))
        else:
            reason = item.get("reason") or f"codec {item.get('codec')}"
            gaps.append(Gap(item["start"], _end(item), f"clip skipped: {reason}"))
    gaps.sort(key=lambda g: g.start)
    return clips, gaps


def abort_stale_uploads(bucket: oss2.Bucket, key: str) -> int:
    """Abort multipart uploads of `key` left by a killed attempt; returns how many."""
    n = 0
    for upload in oss2.MultipartUploadIterator(bucket, prefix=key):
        if upload.key == key:
            bucket.abort_multipart_upload(key, upload.upload_id)
            n += 1
    return n


def run_job(bucket: oss2.Bucket, settings: ExportSettings, user: str, job_id: str, *,
            open_source: Callable[[SourceClip], Stream] | None = None,
            signing_key: Ed25519PrivateKey | None = None, now: Callable[[], float] = time.time) -> ExportJob:
    """Run one job to `done` or `failed`. With `signing_key` (the export function always passes the
    deployment's key) a signed evidence manifest is written beside the MP4 before the job says done."""
    store = JobStore(bucket, settings)
    job = store.require(user, job_id)
    if job.state == "done":
        return job
    job.state, job.progress, job.error = "running", 0.0, None
    job.attempts += 1
    store.save(job)
    key = video_key(user, job_id)
    abort_stale_uploads(bucket, key)
    last_beat = [time.monotonic()]

    def beat(fraction: float) -> None:
        if time.monotonic() - last_beat[0] >= HEARTBEAT_S:
            job.progress = round(fraction, 4)
            store.save(job)
            last_beat[0] = time.monotonic()

    sink: MultipartSink | None = None
    try:
        clips, gaps = plan(bucket, job.camera, job.start, job.end)
        if not clips:
            raise RemuxError(NOTHING_RECORDED)
        filename = job.filename
        sink = MultipartSink(bucket, key, part_size=settings.part_size, headers={
            "Content-Type": "video/mp4",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "x-oss-meta-camera": job.camera, "x-oss-meta-export-id": job.id,
            "x-oss-meta-start": str(job.start), "x-oss-meta-end": str(job.end),
        })
        sources: dict[str, OssSource] = {}   # what each clip's GET said of it, for the manifest

        def opener(clip: SourceClip) -> Stream:
            if open_source is not None:
                return open_source(clip)
            sources[clip.key] = OssSource(bucket, clip.key, clip.size)
            return sources[clip.key]

        result = remux(clips, opener, sink, camera=job.camera, start=job.start, end=job.end, gaps=gaps,
                       gap_mode=settings.gap_mode, progress=beat)
        job.size = sink.finish()
        job.key = key
        if signing_key is not None:
            facts = manifest.clip_facts(bucket, result, sources)
            mp4 = manifest.read_back(bucket, key)
            doc = manifest.signed(manifest.build(job, result, mp4, facts, filename=filename,
                                                 exported_at=int(now() * 1000)), signing_key)
            mkey = manifest_key(user, job_id)
            bucket.put_object(mkey, manifest.dumps(doc), headers={"Content-Type": "application/json"})
            job.manifest_key, job.sha256 = mkey, mp4.sha256
    except (RemuxError, JobError) as exc:
        _fail(store, job, sink, str(exc))
        return job
    except oss2.exceptions.OssError as exc:
        _fail(store, job, sink, f"storage error: {exc.code or exc.status} {exc.message}")
        raise   # transient: let FC's async retry run it again
    except Exception as exc:
        _fail(store, job, sink, f"export failed: {type(exc).__name__}: {exc}")
        raise
    job.state, job.progress, job.key = "done", 1.0, key
    job.duration, job.frames = round(result.duration, 3), result.frames
    job.covered_start, job.covered_end = result.covered_start, result.covered_end
    job.start_lead_ms = max(0, job.start - result.covered_start) if result.covered_start is not None else None
    job.chapters = [c.to_dict() for c in result.chapters]
    job.gaps = [g.to_dict() for g in result.gaps]
    job.skipped = result.skipped
    store.save(job)
    log.info("export done", extra={"export_id": job.id, "user": user, "camera": job.camera,
                                   "size": job.size, "frames": job.frames, "gaps": len(job.gaps),
                                   "covered_start": job.covered_start, "covered_end": job.covered_end})
    return job


def refuse(bucket: oss2.Bucket, settings: ExportSettings, user: str, job_id: str, message: str) -> None:
    """Mark a job failed without running it (the function cannot do the job as configured)."""
    store = JobStore(bucket, settings)
    job = store.require(user, job_id)
    if job.state != "done":
        _fail(store, job, None, message)


def _fail(store: JobStore, job: ExportJob, sink: MultipartSink | None, message: str) -> None:
    if sink is not None:
        try:
            sink.abort()
        except oss2.exceptions.OssError:
            pass  # lifecycle (AbortMultipartUpload after a day) or the next attempt cleans it up
    job.state, job.error = "failed", message
    try:
        store.save(job)
    except oss2.exceptions.OssError:
        log.warning("could not record the failure", extra={"export_id": job.id})
    log.warning("export failed", extra={"export_id": job.id, "user": job.user, "reason": message})
