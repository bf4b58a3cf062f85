"""One process records N cameras (`vigil-camera gateway --config FILE`).

Each camera gets the shared recording loop (`recording.Recorder`) in its own thread, its own
spool (`<spool_dir>/cameras/<id>/`, with its own disk budget) and its own drain thread; they share
the gateway's identity (one registered device that uploads under its cameras' prefixes) and its
tokens, one per group of cameras that fits an STS policy (`tokengroups`). A camera whose config or
stream is wrong is reported with its id and left out; the other cameras keep recording. Memory per
camera is one packet, one clip being written (on disk) and FFmpeg's demuxer buffers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import logs
from .clipsink import ClipHook, ClipSink
from .gatewayconfig import Camera
from .sources import RecordError
from .spool import Spool

log = logs.get("vigil_camera.gateway")


@dataclass
class CameraRun:
    camera: Camera
    spool: Spool
    sink: ClipSink
    uploader: Any = None
    live: Any = None           # the camera's LiveView (`--live-view`), fed from its recording thread
    error: RecordError | None = None
    recorder: Any = None
    threads: list[threading.Thread] = field(default_factory=list)
    substream: Any = None      # its SubstreamActivity when activity comes from the substream
    held: Any = None           # the HeldSink the main recorder hands its clips to, then

    def summary(self) -> dict[str, Any]:
        return {"clips": self.sink.clips,
                "activity": None if self.sink.analyzer is None else
                ("substream" if self.substream is not None else "main"), "queue_depth": self.spool.depth()[0],
                "sessions": getattr(self.recorder, "sessions", 0),
                "frames_missing": getattr(self.recorder, "frames_missing", 0),
                "error": {"code": self.error.code, "message": self.error.message} if self.error else None}


class Gateway:
    """The cameras of one gateway, recorded and uploaded until `stop` is set."""

    def __init__(self, cameras: list[Camera], *, spool_root: Path, uploader: Callable[[str, Spool], Any],
                 hooks: Callable[[str, Any], list[ClipHook]] = lambda camera_id, spool: [],
                 live_view: Callable[[str, Any, Spool], Any] | None = None,
                 live_log: Callable[[str, Any], Any] | None = None, live_all: bool = False,
                 recorder_options: dict[str, Any] | None = None,
                 activity: Callable[[str, Any], Any] | None = None, activity_all: bool = False) -> None:
        self.uploader_for = uploader     # (camera id, its spool) -> the uploader that drains it
        self.spool_root = Path(spool_root)
        self.recorder_options = dict(recorder_options or {})
        self.live_view = live_view       # (camera id, its uploader, its spool) -> a started LiveView
        # live_log: (camera id, its uploader) -> its hourly append log (`live.LiveAppender`), for the
        # cameras whose config says "live": true, or all but those saying false when `live_all`
        # activity: (camera id, its uploader) -> its analyzer (`CameraActivity`, settings from the
        # camera's group token), for the cameras whose config says "activity": true, or all but
        # those saying false when `activity_all` (`gateway --activity`). See `_analyzer`.
        self.runs: dict[str, CameraRun] = {}
        for camera in cameras:
            spool = Spool(self.spool_root / "cameras" / camera.id, max_bytes=camera.max_spool_bytes)
            up = uploader(camera.id, spool)
            wants_live = camera.live if camera.live is not None else live_all
            appender = live_log(camera.id, up) if live_log is not None and wants_live else None
            sink = ClipSink(spool=spool, camera_id=camera.id, appender=appender, hooks=hooks(camera.id, spool))
            run = CameraRun(camera, spool, sink, up)
            self._analyzer(run, activity, activity_all)
            self.runs[camera.id] = run

    @staticmethod
    def _analyzer(run: CameraRun, activity: Callable[[str, Any], Any] | None, activity_all: bool) -> None:
        """Which stream a camera's activity comes from (docs/gateway.md): its substream when it has
        one (one low-resolution keyframe decode), else its main stream's keyframes, as `record
        --activity` does: measured at ~20 CPU-seconds per camera-hour for 720p, less than the
        substream's second RTSP session costs, so no camera goes without for want of a substream."""
        cam = run.camera
        wants = cam.activity if cam.activity is not None else activity_all
        if activity is None or not wants:
            return
        if cam.substream is not None:
            from .substream import SubstreamActivity

            run.substream = SubstreamActivity(activity(cam.id, run.uploader), camera_id=cam.id)
            run.sink.analyzer = run.substream
        else:
            run.sink.analyzer = activity(cam.id, run.uploader)

    def run(self, stop: threading.Event, *, grace: float = 30.0) -> dict[str, dict[str, Any]]:
        """Record every camera until `stop`; then give the uploads `grace` seconds to empty the
        spools (a second signal's `stop.hard` ends that wait). Returns a summary per camera."""
        uploads_done = threading.Event()
        for run in self.runs.values():
            rec = threading.Thread(target=self._record, args=(run, stop), name=f"rec-{run.camera.id}",
                                   daemon=True)
            up = threading.Thread(target=run.spool.drain, name=f"up-{run.camera.id}", daemon=True,
                                  kwargs={"uploader": run.uploader, "concurrency": 1, "stop": uploads_done,
                                          "until_empty": False})
            run.threads = [rec, up]
            if run.substream is not None:
                from .substream import HeldSink

                run.held = HeldSink(run.sink, run.substream, wait_slack=self._wait_slack(run.camera))
                run.threads.append(threading.Thread(target=self._substream, args=(run, stop),
                                                    name=f"sub-{run.camera.id}", daemon=True))
            for thread in run.threads:
                thread.start()
        log.info("gateway recording", extra={"cameras": sorted(self.runs)})
        try:
            while not stop.is_set() and any(r.threads[0].is_alive() for r in self.runs.values()):
                stop.wait(0.5)
        finally:
            stop.set()
            for run in self.runs.values():
                for thread in [run.threads[0], *run.threads[2:]]:
                    thread.join()
                if run.held is not None:
                    run.held.close()       # the substream has ended: its held clips go now
            hard = getattr(stop, "hard", threading.Event())
            deadline = time.monotonic() + grace
            while any(r.spool.depth()[0] for r in self.runs.values()) and time.monotonic() < deadline \
                    and not hard.is_set():
                hard.wait(0.2)
            uploads_done.set()
            for run in self.runs.values():
                run.threads[1].join()
        return {cam: run.summary() for cam, run in self.runs.items()}

    def _record(self, run: CameraRun, stop: threading.Event) -> None:
        from .recording import Recorder

        cam = run.camera
        options = dict(self.recorder_options)
        try:
            if self.live_view is not None:
                run.live = self.live_view(cam.id, run.uploader, run.spool)
                options["on_packet"] = run.live.on_packet
            run.recorder = Recorder(cam.url, self.spool_root / "work" / cam.id, run.held or run.sink,
                                    clip_seconds=cam.clip_seconds, stop=stop.is_set, audio=cam.audio,
                                    transport=cam.transport, read_timeout=cam.read_timeout, name=cam.id,
                                    **options)
            run.recorder.run()
        except RecordError as exc:
            run.error = exc
            log.error(exc.message, extra={"camera": cam.id, "code": exc.code})
        except Exception as exc:  # noqa: BLE001 - one camera's bug must not stop the others
            run.error = RecordError("error", f"{type(exc).__name__}: {exc}", camera=cam.id)
            log.error(run.error.message, extra={"camera": cam.id, "code": "error"})
        finally:
            if run.live is not None:
                run.live.stop()

    @staticmethod
    def _wait_slack(cam: Camera) -> float:
        """How long past its end a main clip waits for the substream: one substream clip, a GOP
        and the analysis, or the substream's read timeout when it is down."""
        from .substream import SUB_CLIP_SECONDS

        return SUB_CLIP_SECONDS + 2 * cam.read_timeout + 2.0

    def _substream(self, run: CameraRun, stop: threading.Event) -> None:
        from .substream import run_substream

        cam = run.camera
        assert cam.substream is not None and run.substream is not None
        options = {k: v for k, v in self.recorder_options.items() if k != "on_packet"}
        run_substream(cam.substream, self.spool_root / "work" / cam.id / "substream", run.substream, stop.is_set,
                      camera_id=cam.id, transport=cam.transport, read_timeout=cam.read_timeout, options=options)
