"""A gateway camera's activity from its substream (issue 22): analyse the small stream, label the big one.

Decoding the main stream (1080p–4K) is what activity costs; a camera's substream (typically
640x360 or smaller) shows the same scene for a fraction of the decode. So a gateway camera with a
`substream` gets a second `Recorder` on it (stream copy into short clips, no decode), each short
clip goes through the camera's activity analyzer (`activity.camera.CameraActivity`, unchanged:
keyframes, its settings from the camera's group token) and the per-second result is kept by
wall-clock second. A main-stream clip is held (in its own thread, never the recording thread) until
the substream has covered its end, then its activity is cut from those seconds and sent with it as
`record --activity` sends its own: the same `x-oss-meta-vigil-activity` header, packed by the same
`activity.meta.pack`. Both streams' clip starts are wall-clock (`recording.MediaClock`), so the
alignment is to the second.

When the substream is down, main clips wait at most `wait_slack` seconds past their end, then go
with the seconds the substream covered (the rest count as quiet) or, with none covered, without
activity, as a failed analysis does; a clip is never lost for its activity.
"""

from __future__ import annotations

import math
import queue
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from . import logs
from .sources import RecordError

log = logs.get("vigil_camera.substream")

SUB_CLIP_SECONDS = 4.0     # short substream clips: a main clip waits at most this long past its end
KEEP_SECONDS = 600         # per-second results kept (a main clip up to 10 minutes)

Second = tuple[float, "tuple[float, float, float, float] | None", frozenset[str]]


class SubstreamActivity:
    """Per wall-clock second of the substream: (score, box, zones). Fed by the substream's clips
    (`on_sub_clip`), read by `pack_clip` for a main clip (the `ClipSink` analyzer interface)."""

    def __init__(self, analyzer: Any, *, camera_id: str, clock: Callable[[], float] = time.monotonic,
                 keep: int = KEEP_SECONDS) -> None:
        self.analyzer = analyzer        # CameraActivity: pack_clip(path, start) -> packed header | None
        self.camera_id = camera_id
        self.clock = clock
        self.keep = keep
        self.seconds: dict[int, Second] = {}
        self.covered_until: float | None = None      # epoch seconds: the substream's analysed end
        self.closed = False                          # the substream recorder has ended
        self.cpu_seconds = 0.0                       # the analyzer's process time (figures for the docs)
        self.sub_clips = 0
        self._cond = threading.Condition()

    # -- the substream side -----------------------------------------------------------------
    def on_sub_clip(self, clip: Any) -> None:
        """One finished substream clip: analyse it, keep its seconds, delete it (it is not uploaded)."""
        from .activity.meta import unpack

        began = time.process_time()
        try:
            packed = self.analyzer.pack_clip(clip.path, clip.start)
            activity = unpack(packed, max_seconds=1 << 20) if packed else None
        finally:
            self.cpu_seconds += time.process_time() - began
            Path(clip.path).unlink(missing_ok=True)
        t0 = clip.start.timestamp()
        with self._cond:
            self.sub_clips += 1
            if activity is not None:
                for i, score in enumerate(activity.scores):
                    self.seconds[math.floor(t0) + i] = (score, activity.boxes[i], frozenset(activity.zones_at(i)))
            end = t0 + clip.duration
            self.covered_until = end if self.covered_until is None else max(self.covered_until, end)
            for old in [s for s in self.seconds if s < end - self.keep]:
                del self.seconds[old]
            self._cond.notify_all()

    def close(self) -> None:
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    # -- the main-stream side ---------------------------------------------------------------
    def wait_covered(self, end: float, timeout: float) -> bool:
        """Wait until the substream is analysed up to `end` (epoch seconds), it ended, or `timeout`."""
        deadline = self.clock() + timeout
        with self._cond:
            while not self._covers(end) and not self.closed:
                left = deadline - self.clock()
                if left <= 0:
                    break
                self._cond.wait(min(left, 1.0))
            return self._covers(end)

    def _covers(self, end: float) -> bool:
        return self.covered_until is not None and self.covered_until >= end - 0.5

    def clip_activity(self, start: datetime, duration: float) -> Any:
        """The main clip's `ClipActivity` from the substream's seconds, or None when none cover it."""
        from .activity.meta import ClipActivity

        n = max(1, math.ceil(duration - 1e-3))
        first = math.floor(start.timestamp())
        with self._cond:
            got = [self.seconds.get(first + i) for i in range(n)]
        if all(s is None for s in got):
            return None
        names = sorted({z for s in got if s is not None for z in s[2]})
        scores = tuple(s[0] if s else 0.0 for s in got)
        boxes = tuple(s[1] if s else None for s in got)
        masks = tuple(sum(1 << names.index(z) for z in s[2]) if s else 0 for s in got)
        return ClipActivity(scores, boxes, masks, tuple(names))

    def pack_clip(self, path: Path, start: datetime | None, duration: float | None = None) -> str | None:
        """The main clip's packed activity header (as `record --activity` sends), or None."""
        from .activity.meta import ActivityMetaError, pack
        from .clipinfo import probe_duration

        if start is None:
            return None
        length = duration if duration is not None else probe_duration(Path(path))
        activity = self.clip_activity(start, length)
        if activity is None:
            log.warning("clip sent without activity: the substream covered none of it",
                        extra={"camera": self.camera_id, "file": Path(path).name})
            return None
        try:
            return pack(activity)
        except ActivityMetaError as exc:
            log.warning("clip sent without activity", extra={"camera": self.camera_id, "error": str(exc)})
            return None


class HeldSink:
    """The main recorder's clip sink when activity comes from the substream: each clip is handed to
    a thread that waits for the substream to cover it, then gives it to the camera's `ClipSink`
    (whose analyzer is the `SubstreamActivity`). The recording thread never waits."""

    def __init__(self, sink: Any, activity: SubstreamActivity, *, wait_slack: float) -> None:
        self.sink = sink
        self.activity = activity
        self.wait_slack = wait_slack
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name=f"held-{activity.camera_id}", daemon=True)
        self._thread.start()

    def __call__(self, clip: Any) -> None:
        self._queue.put(clip)

    def _run(self) -> None:
        while True:
            clip = self._queue.get()
            if clip is None:
                return
            end = (clip.start + timedelta(seconds=clip.duration)).timestamp()
            self.activity.wait_covered(end, self.wait_slack)
            self.sink(clip)

    def close(self) -> None:
        """Hand over every held clip (the substream is closed first, so none waits long), then end."""
        self._queue.put(None)
        self._thread.join()


def run_substream(url: str, work: Path, activity: SubstreamActivity, stop: Callable[[], bool], *,
                  camera_id: str, transport: str, read_timeout: float, options: dict[str, Any]) -> None:
    """Record the substream into short clips for `activity` until `stop`; its failure is logged
    (main clips then go without activity) and never stops the main recording."""
    from .recording import Recorder

    try:
        Recorder(url, work, activity.on_sub_clip, clip_seconds=SUB_CLIP_SECONDS, stop=stop, audio=False,
                 transport=transport, read_timeout=read_timeout, name=f"{camera_id}/substream",
                 **options).run()
    except RecordError as exc:
        log.error(exc.message, extra={"camera": camera_id, "code": exc.code, "stream": "substream"})
    except Exception as exc:  # noqa: BLE001 - the substream's bug must not cost the main clips
        log.error("substream stopped", extra={"camera": camera_id, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        activity.close()
