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
from ..indexer.rows import CODEC, CRC64, ETAG, KEY, REASON, SIZE, START, STATUS
from . import manifest
from .jobs import ExportJob, JobError, JobStore, manifest_key
from .remux import NOTHING_RECORDED, Gap, RemuxError, RemuxResult, SourceClip, Stream, remux
from .sink import MultipartSink
from .source import OssSource

log = logging.getLogger("vigil.export")
HEARTBEAT_S = 2.0


def plan(bucket: oss2.Bucket, camera: str, start: int, end: int) -> tuple[list[SourceClip], list[Gap]]:
    """The readable clips of the range in order (with the ETag and CRC-64 the index holds for each),
    and every gap (missing time or unreadable clip), straight from the reader's timeline rows."""
    read = timeline(bucket, camera, datetime.fromtimestamp(start / 1000, tz=timezone.utc),
                    datetime.fromtimestamp(end / 1000, tz=timezone.utc))
    clips: list[SourceClip] = []
    gaps = [Gap(gap_start, gap_end) for _, gap_start, gap_end in read.gaps]
    for row, row_end in zip(read.rows, read.ends, strict=True):
        if row[STATUS] == "ok" and (row[CODEC] or "h264") == "h264":
            clips.append(SourceClip(row[KEY], row[START], row_end, int(row[SIZE]), etag=row[ETAG] or None,
                                    crc64=row[CRC64]))
        else:
            reason = row[REASON] or f"codec {row[CODEC]}"
            gaps.append(Gap(row[START], row_end, f"clip skipped: {reason}"))
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


class CameraFailed(Exception):
    """One camera of an export could not be cut: the whole export fails, naming the camera."""

    def __init__(self, camera: str, reason: str) -> None:
        super().__init__(f"camera {camera}: {reason}")
        self.camera, self.reason = camera, reason


def _cut(bucket: oss2.Bucket, settings: ExportSettings, job: ExportJob, camera: str, key: str,
         open_source: Callable[[SourceClip], Stream] | None, beat: Callable[[float], None],
         sinks: list[MultipartSink]) -> tuple[RemuxResult, int, manifest.Sources]:
    """Cut one camera's range into a sealed upload to `key` (in `sinks`, for the caller to complete
    once every camera is cut, or to abort)."""
    abort_stale_uploads(bucket, key)
    clips, gaps = plan(bucket, camera, job.start, job.end)
    if not clips:
        raise RemuxError(NOTHING_RECORDED)
    sink = MultipartSink(bucket, key, part_size=settings.part_size, headers={
        "Content-Type": "video/mp4",
        "Content-Disposition": f'attachment; filename="{job.filename_for(camera)}"',
        "x-oss-meta-camera": camera, "x-oss-meta-export-id": job.id,
        "x-oss-meta-start": str(job.start), "x-oss-meta-end": str(job.end),
    })
    sinks.append(sink)
    sources: dict[str, OssSource] = {}   # what each clip's GET said of it, for the manifest
    indexed = {c.key: c for c in clips}   # and what the index holds of it

    def opener(clip: SourceClip) -> Stream:
        if open_source is not None:
            return open_source(clip)
        sources[clip.key] = OssSource(bucket, clip.key, clip.size)
        return sources[clip.key]

    result = remux(clips, opener, sink, camera=camera, start=job.start, end=job.end, gaps=gaps,
                   gap_mode=settings.gap_mode, progress=beat)
    return result, sink.seal(), manifest.Sources(indexed=indexed, read=sources)


def run_job(bucket: oss2.Bucket, settings: ExportSettings, user: str, job_id: str, *,
            open_source: Callable[[SourceClip], Stream] | None = None,
            signing_key: Ed25519PrivateKey | None = None, now: Callable[[], float] = time.time) -> ExportJob:
    """Run one job to `done` or `failed`. With `signing_key` (the export function always passes the
    deployment's key) a signed evidence manifest is written beside the MP4(s) before the job says done.

    A multi-camera job cuts its cameras one after another into one MP4 each and signs them under one
    manifest. It is atomic: every camera is cut into a sealed (invisible) upload first, and the uploads
    are completed only when all were cut; when one camera fails, every upload is aborted, no manifest
    is written, and the job fails with an error naming the camera."""
    store = JobStore(bucket, settings)
    job = store.require(user, job_id)
    if job.state == "done":
        return job
    job.state, job.progress, job.error = "running", 0.0, None
    job.attempts += 1
    store.save(job)
    cameras = job.all_cameras
    last_beat = [time.monotonic()]
    sinks: list[MultipartSink] = []
    cut: list[tuple[str, str, RemuxResult, int, manifest.Sources]] = []
    cuts: list[manifest.Cut] = []
    camera = cameras[0]
    try:
        for i, camera in enumerate(cameras):
            def beat(fraction: float, i: int = i) -> None:
                if time.monotonic() - last_beat[0] >= HEARTBEAT_S:
                    job.progress = round((i + fraction) / len(cameras), 4)
                    store.save(job)
                    last_beat[0] = time.monotonic()

            key = job.video_key_for(camera, pinned=False)
            try:
                result, size, sources = _cut(bucket, settings, job, camera, key, open_source, beat, sinks)
            except RemuxError as exc:
                if job.multi:
                    raise CameraFailed(camera, str(exc)) from None
                raise
            cut.append((camera, key, result, size, sources))
        for sink in sinks:       # every camera is cut: only now does any file appear
            sink.complete()
        for camera, key, result, size, sources in cut:
            facts = manifest.clip_facts(bucket, result, sources) if signing_key is not None else {}
            mp4 = manifest.read_back(bucket, key) if signing_key is not None else \
                manifest.FileFacts(size=size, sha256="", crc64=None, etag="")
            cuts.append(manifest.Cut(camera=camera, key=key, filename=job.filename_for(camera), result=result,
                                     mp4=mp4, clips=facts))
        if signing_key is not None:
            doc = manifest.signed(manifest.build(job, cuts, exported_at=int(now() * 1000)), signing_key)
            mkey = manifest_key(user, job_id)
            bucket.put_object(mkey, manifest.dumps(doc), headers={"Content-Type": "application/json"})
            job.manifest_key = mkey
    except (RemuxError, JobError, CameraFailed) as exc:
        _fail(store, job, sinks, str(exc))
        return job
    except oss2.exceptions.OssError as exc:
        _fail(store, job, sinks, _named(job, camera, f"storage error: {exc.code or exc.status} {exc.message}"))
        raise   # transient: let FC's async retry run it again
    except Exception as exc:
        _fail(store, job, sinks, _named(job, camera, f"export failed: {type(exc).__name__}: {exc}"))
        raise
    _finish(job, cuts)
    store.save(job)
    log.info("export done", extra={"export_id": job.id, "user": user, "camera": job.camera,
                                   "cameras": len(cameras), "size": job.size, "frames": job.frames,
                                   "gaps": len(job.gaps), "covered_start": job.covered_start,
                                   "covered_end": job.covered_end})
    return job


def _named(job: ExportJob, camera: str, message: str) -> str:
    return str(CameraFailed(camera, message)) if job.multi else message


def _file_doc(cut: manifest.Cut, size: int) -> dict[str, Any]:
    r = cut.result
    return {"camera": cut.camera, "key": cut.key, "filename": cut.filename, "size": size,
            "sha256": cut.mp4.sha256 or None, "duration": round(r.duration, 3), "frames": r.frames,
            "covered_start": r.covered_start, "covered_end": r.covered_end,
            "gaps": [g.to_dict() for g in r.gaps], "chapters": [c.to_dict() for c in r.chapters]}


def _finish(job: ExportJob, cuts: list[manifest.Cut]) -> None:
    """The job's fields once done: `files` for every MP4; the top-level fields describe the first
    camera's file (all of it for a single-camera export, as before `files`), sizes summed."""
    job.files = [_file_doc(c, c.mp4.size) for c in cuts]
    first = cuts[0].result
    job.state, job.progress = "done", 1.0
    job.key = None if job.multi else cuts[0].key
    job.size = sum(f["size"] for f in job.files)
    job.sha256 = (cuts[0].mp4.sha256 or None) if not job.multi else None
    job.duration, job.frames = round(first.duration, 3), sum(c.result.frames for c in cuts)
    job.covered_start = min((c.result.covered_start for c in cuts if c.result.covered_start is not None),
                            default=None)
    job.covered_end = max((c.result.covered_end for c in cuts if c.result.covered_end is not None), default=None)
    job.start_lead_ms = max(0, job.start - job.covered_start) if job.covered_start is not None else None
    job.chapters = [c.to_dict() for c in first.chapters] if not job.multi else []
    job.gaps = [g.to_dict() for g in first.gaps] if not job.multi else []
    job.skipped = [s for c in cuts for s in c.result.skipped]


def refuse(bucket: oss2.Bucket, settings: ExportSettings, user: str, job_id: str, message: str) -> None:
    """Mark a job failed without running it (the function cannot do the job as configured)."""
    store = JobStore(bucket, settings)
    job = store.require(user, job_id)
    if job.state != "done":
        _fail(store, job, [], message)


def _fail(store: JobStore, job: ExportJob, sinks: list[MultipartSink], message: str) -> None:
    """Leave nothing half-made: abort every upload not yet completed (a multi-camera export's files
    are all completed together, after the last camera was cut), then record why. The function's role
    may not delete under exports/; a completion failing halfway (a storage error) leaves files without
    a manifest in a failed job, which the next attempt overwrites and the lifecycle removes."""
    for sink in sinks:
        try:
            sink.abort()
        except oss2.exceptions.OssError:
            pass  # lifecycle (AbortMultipartUpload after a day) or the next attempt cleans it up
    job.state, job.error = "failed", message
    job.key, job.files, job.manifest_key = None, [], None
    try:
        store.save(job)
    except oss2.exceptions.OssError:
        log.warning("could not record the failure", extra={"export_id": job.id})
    log.warning("export failed", extra={"export_id": job.id, "user": job.user, "reason": message})
