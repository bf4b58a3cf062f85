"""Live view from the camera: short keyframe-aligned HLS segments and a sliding-window playlist
under `live/<device>/hls/`, uploaded only while someone watches (the `[media]` extra).

How the camera learns that someone watches, though its token cannot read OSS: the api appends one
byte to `live/<device>/_watch` when a viewer presses Live and again every lease/3 while the viewer
keeps loading the playlist. The camera probes the object's length with an AppendObject at an
impossible position: OSS refuses it with 409 `PositionNotEqualToLength` and tells the length in
`x-oss-next-append-position` (0 when the object does not exist). Nothing is written, no read
permission is needed (AppendObject is `oss:PutObject`, which the device already has on `live/`),
and a grown length means "watched since the last probe". The camera then uploads segments for a
lease (30 s), extended by every further growth.

Cost per camera-day: idle, one probe every `probe_seconds` (86400/4 = 21,600 refused requests,
nothing stored, no FC invocation); watched, additionally one segment PUT and one playlist PUT per
segment (2 x 86400/segment_seconds) and probes every lease/3. While idle, segments are still cut
in memory (muxing only, no upload) and the newest one is kept, so the first segment goes up the
moment a watcher is seen.

Sequence numbers start at the epoch second of the session's start and grow by one per segment
(segments are >= 1 s), so a restarted camera continues above the old numbers; the first segment
of a session, and the first after an idle pause, carries EXT-X-DISCONTINUITY, and the
discontinuity sequence counts the ones that slid out of the window (RFC 8216 §4.3.3.3). It is a
small counter kept in the state file across restarts, not a time: hls.js keeps per-discontinuity
arrays indexed by it, and an epoch-sized index made it spin for minutes (measured).
"""

from __future__ import annotations

import io
import json
import logging
import math
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import av
import oss2

from .keys import live_playlist_key, live_segment_key, live_watch_key
from .ossclient import DeviceOss

log = logging.getLogger("vigil_camera.liveview")
PROBE_POSITION = 1 << 62   # never equal to a real length: the append is always refused


@dataclass(frozen=True)
class Segment:
    seq: int
    data: bytes
    duration: float
    start: datetime           # wall-clock time of the first frame
    discontinuity: bool = False


class SegmentCutter:
    """Packets in, TS segments (bytes) out: a new segment at the first keyframe at or after
    `segment_seconds`. Packet timestamps are kept, so consecutive segments play as one stream."""

    def __init__(self, template: Any, segment_seconds: float, on_segment: Callable[[Segment], None],
                 first_seq: int) -> None:
        self.template = template
        self.segment_seconds = segment_seconds
        self.on_segment = on_segment
        self.seq = first_seq
        self._buf: io.BytesIO | None = None
        self._out: Any = None
        self._stream: Any = None
        self._first_pts: int | None = None
        self._start: datetime | None = None
        self._tb: Any = None

    def add(self, packet: Any, moment: datetime) -> None:
        if packet.pts is None and packet.dts is None:
            return
        pts = packet.pts if packet.pts is not None else packet.dts
        self._tb = packet.time_base or self.template.time_base
        if self._out is not None and packet.is_keyframe and self._first_pts is not None \
                and float((pts - self._first_pts) * self._tb) >= self.segment_seconds - 1e-6:
            self._close(float((pts - self._first_pts) * self._tb))
        if self._out is None:
            if not packet.is_keyframe:
                return
            self._buf = io.BytesIO()
            self._out = av.open(self._buf, "w", format="mpegts")
            self._stream = self._out.add_stream_from_template(self.template)
            self._first_pts, self._start = pts, moment
        copy = av.Packet(bytes(packet))   # the recorder muxes the original packet too
        copy.pts, copy.dts, copy.time_base = packet.pts, packet.dts, packet.time_base
        copy.duration, copy.is_keyframe = packet.duration, packet.is_keyframe
        copy.stream = self._stream
        self._out.mux(copy)

    def _close(self, duration: float) -> None:
        assert self._out is not None and self._buf is not None and self._start is not None
        self._out.close()
        self.on_segment(Segment(self.seq, self._buf.getvalue(), duration, self._start))
        self.seq += 1
        self._out = self._buf = None

    def finish(self) -> None:
        if self._out is not None:
            self._out.close()   # an unfinished segment has no known duration: dropped
            self._out = self._buf = None


@dataclass
class Playlist:
    """The sliding window and its rendering (pure)."""

    list_size: int
    discontinuity_sequence: int
    entries: deque[Segment] = field(default_factory=deque)

    def add(self, seg: Segment) -> None:
        self.entries.append(seg)
        while len(self.entries) > self.list_size:
            gone = self.entries.popleft()
            if gone.discontinuity:
                self.discontinuity_sequence += 1

    def restart(self) -> None:
        """A new live period: old segments leave the window (a viewer must not start in the past)."""
        self.discontinuity_sequence = self.last_cc
        self.entries.clear()

    @property
    def last_cc(self) -> int:
        """Discontinuity count up to the newest segment (what a player calls its `cc`)."""
        return self.discontinuity_sequence + sum(1 for s in self.entries if s.discontinuity)

    def render(self) -> str:
        target = max((math.ceil(s.duration) for s in self.entries), default=1)
        lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{max(1, target)}",
                 f"#EXT-X-MEDIA-SEQUENCE:{self.entries[0].seq if self.entries else 0}",
                 f"#EXT-X-DISCONTINUITY-SEQUENCE:{self.discontinuity_sequence}"]
        for s in self.entries:
            if s.discontinuity:
                lines.append("#EXT-X-DISCONTINUITY")
            t = s.start.astimezone(timezone.utc)
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond // 1000:03d}Z")
            lines.append(f"#EXTINF:{s.duration:.3f},")
            lines.append(f"{s.seq}.ts")
        return "\n".join(lines) + "\n"


def probe_watch_length(oss: DeviceOss, device_id: str) -> int:
    """Length of the watch counter, learnt from a refused append (nothing is written)."""
    key = live_watch_key(device_id)

    def op(bucket: oss2.Bucket) -> int:
        try:
            bucket.append_object(key, PROBE_POSITION, b"")
        except oss2.exceptions.PositionNotEqualToLength as exc:
            return int(exc.next_position)
        raise RuntimeError("an append at an impossible position was accepted")

    return oss.call(op, "live watch probe")


class LiveView:
    """Runs beside the recorder: `on_packet` from the recording thread; a probe thread decides
    idle/live; an upload thread sends segments and the playlist while live."""

    def __init__(self, oss: DeviceOss, device_id: str, *, segment_seconds: float = 1.0, list_size: int = 6,
                 probe_seconds: float = 4.0, lease_seconds: float = 30.0, state_path: Path | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        if segment_seconds < 1.0:
            raise ValueError("segment_seconds must be at least 1 (sequence numbers start at epoch seconds)")
        if list_size < 2:
            raise ValueError("list_size must be at least 2")
        self.oss, self.device_id = oss, device_id
        self.segment_seconds, self.probe_seconds, self.lease_seconds = segment_seconds, probe_seconds, lease_seconds
        self.state_path = state_path
        self.clock = clock
        self._first_seq = int(clock())
        self._saved_cc = 0
        self._cutter: SegmentCutter | None = None
        self._latest: Segment | None = None
        self._live = False
        self._gap = True                       # the next uploaded segment starts a discontinuity
        self._restart_window = False           # set when going live: the upload thread empties the window
        self._lock = threading.Lock()
        self._queue: queue.Queue[Segment | None] = queue.Queue(maxsize=list_size)
        self._stop = threading.Event()
        self.watched_until = 0.0
        self._last_length: int | None = None
        self.counts = {"probes": 0, "probe_errors": 0, "segment_puts": 0, "playlist_puts": 0, "dropped": 0}
        self._load_state()
        self.playlist = Playlist(list_size, discontinuity_sequence=self._saved_cc)
        self._threads = [threading.Thread(target=self._probe_loop, name="live-probe", daemon=True),
                         threading.Thread(target=self._upload_loop, name="live-upload", daemon=True)]

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> LiveView:
        for t in self._threads:
            t.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._cutter is not None:
            self._cutter.finish()
        try:
            self._queue.put(None, timeout=5)
        except queue.Full:
            pass
        for t in self._threads:
            t.join(10)
        self._save_state()

    @property
    def live(self) -> bool:
        return self._live

    # -- the recording side ---------------------------------------------------------------------
    def on_packet(self, stream: Any, packet: Any, moment: datetime) -> None:
        if self._cutter is None:
            self._cutter = SegmentCutter(stream, self.segment_seconds, self._on_segment, self._first_seq)
        try:
            self._cutter.add(packet, moment)
        except av.error.FFmpegError as exc:   # live view is best effort; recording must go on
            log.warning("live segment failed", extra={"error": str(exc)})

    def _on_segment(self, seg: Segment) -> None:
        with self._lock:
            if not self._live:
                self._latest = seg
                self._gap = True
                return
            if self._gap:
                seg = Segment(seg.seq, seg.data, seg.duration, seg.start, discontinuity=True)
                self._gap = False
        self._enqueue(seg)

    def _enqueue(self, seg: Segment) -> None:
        try:
            self._queue.put_nowait(seg)
        except queue.Full:                      # uploads fell behind: drop, and mark the jump
            self.counts["dropped"] += 1
            with self._lock:
                self._gap = True

    # -- watching -------------------------------------------------------------------------------
    def _probe_loop(self) -> None:
        while not self._stop.is_set():
            self.probe_once()
            interval = self.lease_seconds / 3 if self._live else self.probe_seconds
            self._stop.wait(interval)

    def probe_once(self) -> None:
        try:
            length = probe_watch_length(self.oss, self.device_id)
        except Exception as exc:  # noqa: BLE001 - keep probing; live is best effort
            self.counts["probe_errors"] += 1
            log.warning("live probe failed", extra={"error": f"{type(exc).__name__}: {exc}"})
            return
        self.counts["probes"] += 1
        now = self.clock()
        changed = self._last_length is not None and length != self._last_length
        self._last_length = length
        if changed:
            self.watched_until = now + self.lease_seconds
        with self._lock:
            was = self._live
            self._live = now < self.watched_until
            pending = self._latest if self._live and not was else None
            if self._live and not was:
                self._restart_window = True
            if pending is not None:
                self._latest = None
                pending = Segment(pending.seq, pending.data, pending.duration, pending.start, discontinuity=True)
                self._gap = False
        if pending is not None:
            self._enqueue(pending)
        if was != self._live:
            log.info("live view " + ("on" if self._live else "off"), extra={"device": self.device_id})
        if changed or was != self._live:
            self._save_state()

    # -- uploads --------------------------------------------------------------------------------
    def _upload_loop(self) -> None:
        while True:
            seg = self._queue.get()
            if seg is None:
                return
            try:
                self._upload(seg)
            except Exception as exc:  # noqa: BLE001 - the next segment carries a discontinuity
                log.warning("live upload failed", extra={"seq": seg.seq, "error": f"{type(exc).__name__}: {exc}"})
                with self._lock:
                    self._gap = True

    def _upload(self, seg: Segment) -> None:
        key = live_segment_key(self.device_id, seg.seq)
        self.oss.call(lambda b: b.put_object(key, seg.data, headers={"Content-Type": "video/mp2t"}),
                      "live segment")
        self.counts["segment_puts"] += 1
        if self._restart_window:
            self._restart_window = False
            self.playlist.restart()
        self.playlist.add(seg)
        text = self.playlist.render()
        if seg.discontinuity:
            self._save_state()
        self.oss.call(lambda b: b.put_object(live_playlist_key(self.device_id), text.encode(), headers={
            "Content-Type": "application/vnd.apple.mpegurl", "Cache-Control": "no-cache"}), "live playlist")
        self.counts["playlist_puts"] += 1

    # -- state across restarts ------------------------------------------------------------------
    def _load_state(self) -> None:
        if self.state_path is None or not self.state_path.exists():
            return
        try:
            doc = json.loads(self.state_path.read_text())
            self._last_length = int(doc["watch_length"])
            self.watched_until = float(doc.get("watched_until", 0))
            self._saved_cc = max(0, int(doc.get("cc", 0)))
        except (OSError, ValueError, KeyError, TypeError):
            return

    def _save_state(self) -> None:
        if self.state_path is None or self._last_length is None:
            return
        tmp = self.state_path.with_suffix(".tmp")
        cc = self.playlist.last_cc if hasattr(self, "playlist") else self._saved_cc
        try:
            tmp.write_text(json.dumps({"watch_length": self._last_length, "watched_until": self.watched_until,
                                       "cc": cc}))
            os.replace(tmp, self.state_path)
        except OSError as exc:
            log.warning("live state not saved", extra={"error": str(exc)})
