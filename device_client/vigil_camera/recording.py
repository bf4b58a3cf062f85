"""The one recording loop `record` and every gateway camera run: sessions of an RTSP (or any FFmpeg)
source cut into clips, and what a real camera does to them.

- **Reconnect with backoff.** A lost stream (server restart, cut cable, end of stream) closes the
  clip and opens a new session after a jittered, capped wait; a camera that boots slower than the
  recorder is waited for. Only a stop, `max_seconds` or an error a retry cannot fix ends a live
  recording; a file ends at its end.
- **Stalls.** Every FFmpeg open and read has a timeout (PyAV's interrupt callback, plus the RTSP
  demuxer's socket `timeout`), so a session whose packets stop is noticed within `read_timeout`,
  the stop flag is seen, and the session is reopened. A media-time jump inside a session (packets
  lost) closes the clip too, so no clip has a hole inside.
- **Clock.** A clip's start is media time anchored to the wall clock at the session's first packet,
  not the arrival of its first packet (delayed frames arrive in a burst after a network stall).
  The anchor moves only on a discontinuity or when the media clock measurably drifts from the wall
  clock: the smallest lateness over a clip (network delays only add) beyond `drift_limit`, or media
  time ahead of the wall clock.
- **Format changes.** A new session, or a keyframe carrying different H.264/H.265 parameter sets
  (resolution, profile), starts a new clip.
- **Parameter sets.** Over UDP a keyframe can lose its SPS/PPS (or get them out of order), and a
  clip opening on it cannot play: the last ones seen (SDP extradata, intact keyframes) are put
  back (`paramsets`), so every clip decodes from its first keyframe.
- **Errors** are `RecordError`s with a code and a message naming the camera; an `rtsp://user:pw@`
  password never appears in a message or a log line.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from . import logs
from .access_units import FrameJoiner, repacket
from .audio import AudioTrack
from .backoff import Backoff
from .media import CUT_TOLERANCE, Clip, ClipCutter
from .paramsets import ParameterSets
from .sources import RecordError, redact, validate_source

log = logs.get("vigil_camera.recording")

def _classify(exc: BaseException) -> tuple[str, bool]:
    """(code, whether a new session may fix it) for an error opening or reading a source."""
    if isinstance(exc, av.error.HTTPUnauthorizedError):
        return "unauthorized", False
    if isinstance(exc, (av.error.HTTPNotFoundError, av.error.HTTPForbiddenError)):
        return "not_found", False
    if isinstance(exc, (ConnectionRefusedError, ConnectionResetError, TimeoutError, av.error.ExitError,
                        av.error.EOFError, BrokenPipeError)):
        return "unreachable", True
    if isinstance(exc, av.error.InvalidDataError):
        return "bad_stream", True
    if isinstance(exc, OSError):
        return "unreachable", True
    return "error", True


class MediaClock:
    """The wall time of a continuous run of media timestamps.

    A packet cannot arrive before it was captured, so `arrival - media offset` bounds the run's
    start from above and its minimum is the best estimate (network delays, a burst after a stall and
    FFmpeg's probe read-ahead only add). The first clip's window is also bounded below by the
    session's open time. At each clip's end the anchor moves forward when the whole clip arrived
    more than `drift_limit` late (the media clock runs slow against the wall clock); a fast media
    clock moves it back once it is a quarter of `drift_limit` ahead. A file (not live) runs on media
    time from `not_before`."""

    def __init__(self, tb: Fraction, *, not_before: float, live: bool, drift_limit: float) -> None:
        self.tb = tb
        self.tick = float(tb)
        self.not_before = not_before
        self.live = live
        self.drift_limit = drift_limit
        self.pts0: int | None = None
        self.offset: float | None = None if live else self.not_before
        self.window_min: float | None = None
        self.settled = False

    def observe(self, pts: int, arrival: float) -> None:
        """A packet with `pts` arrived at `arrival` (epoch seconds). Runs for every video packet:
        plain float arithmetic only."""
        if self.pts0 is None:
            self.pts0 = pts
        if not self.live:
            return
        candidate = arrival - (pts - self.pts0) * self.tick
        if self.window_min is None or candidate < self.window_min:
            self.window_min = candidate
        if self.offset is None or (not self.settled and candidate < self.offset):
            self.offset = max(candidate, self.not_before)
        elif candidate < self.offset - self.drift_limit / 4:
            # media time ahead of the wall clock: the media clock runs fast (small corrections wait:
            # a clip boundary that moves by a few ms is a false overlap on the timeline)
            self.offset = candidate

    def end_window(self) -> None:
        """A clip closed: re-anchor forward on measured drift, then start a new window."""
        if self.live and self.settled and self.window_min is not None and self.offset is not None \
                and self.window_min - self.offset > self.drift_limit:
            log.info("media clock drifted; re-anchored",
                     extra={"drift_seconds": round(self.window_min - self.offset, 3)})
            self.offset = self.window_min
        self.settled = True
        self.window_min = None

    def at(self, pts: int) -> datetime:
        base = self.offset if self.offset is not None else self.not_before
        media = float((pts - (self.pts0 if self.pts0 is not None else pts)) * self.tb)
        return datetime.fromtimestamp(base + media, tz=timezone.utc)


class Recorder:
    """One source → clips, until stopped (see the module docstring for what it survives)."""

    def __init__(self, source: str, out_dir: Path, on_clip: Callable[[Clip], None], *,
                 clip_seconds: float = 10.0, first_seq: int = 0, stop: Callable[[], bool] | None = None,
                 max_seconds: float | None = None, options: dict[str, str] | None = None,
                 on_packet: Callable[[Any, Any, datetime], None] | None = None, audio: bool = False,
                 transport: str = "tcp", read_timeout: float = 5.0, open_timeout: float = 10.0,
                 drift_limit: float = 1.0, gap_limit: float = 2.0, name: str = "",
                 backoff: Backoff | None = None, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None) -> None:
        if transport not in ("tcp", "udp"):
            raise RecordError("bad_config", f"transport must be tcp or udp, not {transport!r}", camera=name)
        self.source = validate_source(source, camera=name)
        self.name = name
        self.out_dir = Path(out_dir)
        self.on_clip = on_clip
        self.clip_seconds = clip_seconds
        self.seq = first_seq
        self.stop = stop or (lambda: False)
        self.max_seconds = max_seconds
        self.options = dict(options or {})
        self.on_packet = on_packet
        self.audio = audio
        self.transport = transport
        self.read_timeout = read_timeout
        self.open_timeout = open_timeout
        self.drift_limit = drift_limit
        self.gap_limit = gap_limit
        self.backoff = backoff or Backoff(base=0.5, cap=4.0, jitter=0.5)
        self.clock = clock or time.time            # epoch seconds (a float: read per packet)
        self.sleep = sleep or self._sleep
        self.is_live = "://" in source and not source.lower().startswith("file:")
        self.clips = 0
        self.sessions = 0
        self.recorded = 0.0          # media seconds in closed clips
        self.connected_once = False
        self._reached = False        # max_seconds reached
        self._clock: MediaClock | None = None
        self._warned_audio = False
        self.last_error: str | None = None
        self.frames_missing = 0      # video frames that never arrived (RTP loss over UDP), all sessions
        self._missing_in_clip = 0
        self.keyframes_repaired = 0  # keyframes given back the parameter sets they lost (`paramsets`)

    # -- the loop ------------------------------------------------------------------------------
    def run(self) -> int:
        """Record until stopped; returns the clips written. Raises `RecordError` for what no retry
        fixes (refused credentials, no video, a bad source), never for a lost live stream."""
        while not self.stop() and not self._done():
            try:
                self._session()
                if not self.is_live or self.stop() or self._reached:
                    break                       # a file ends at its end; a live stream when told to
                self._lost("the stream ended")
            except RecordError:
                raise
            except av.error.FFmpegError as exc:
                code, retryable = _classify(exc)
                if not retryable or not self.is_live or (not self.connected_once and code == "error"):
                    raise RecordError(code, f"cannot record {redact(self.source)}: {_why(exc)}",
                                      camera=self.name) from None
                self._lost(f"{code}: {_why(exc)}")
            except OSError as exc:
                if not self.is_live:
                    raise RecordError("unreachable", f"cannot read {self.source}: {_why(exc)}",
                                      camera=self.name) from None
                self._lost(f"unreachable: {_why(exc)}")
            if self.is_live and not self.stop() and not self._done():
                self.sleep(self.backoff.next_delay())
        return self.clips

    def _done(self) -> bool:
        return self._reached or (self.max_seconds is not None and self.recorded >= self.max_seconds - CUT_TOLERANCE)

    def _lost(self, why: str) -> None:
        self.last_error = redact(why)
        log.warning("stream lost; reconnecting", extra={"camera": self.name, "source": redact(self.source),
                                                        "reason": self.last_error,
                                                        "attempt": self.backoff.attempt + 1})

    def _sleep(self, seconds: float) -> None:
        """Wait `seconds`, waking early for a stop."""
        deadline = time.monotonic() + seconds
        while not self.stop() and time.monotonic() < deadline:
            time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))

    def _open(self) -> Any:
        opts = dict(self.options)
        if self.source.lower().startswith(("rtsp://", "rtsps://")):
            opts.setdefault("rtsp_transport", self.transport)
            # the RTSP demuxer's socket I/O timeout, in microseconds (FFmpeg >= 5: `timeout`)
            opts.setdefault("timeout", str(int(self.read_timeout * 1_000_000)))
        return av.open(self.source, options=opts,
                       timeout=(self.open_timeout, self.read_timeout) if self.is_live else None)

    def _session(self) -> None:
        opened = self.clock()            # no packet of this session was sent before this
        container = self._open()
        try:
            if not container.streams.video:
                raise RecordError("no_video", f"{redact(self.source)} has no video stream", camera=self.name)
            video: Any = container.streams.video[0]
            streams = [video]
            track = None
            if container.streams.audio:
                if self.audio:
                    try:
                        track = AudioTrack(container.streams.audio[0])
                        streams.append(container.streams.audio[0])
                    except (av.error.FFmpegError, ValueError) as exc:
                        self._warn_audio(f"audio {container.streams.audio[0].codec_context.name} "
                                         f"cannot be kept: {_why(exc)}")
                elif not self._warned_audio:
                    self._warned_audio = True
                    log.info("camera sends audio; not recorded (audio is off for this camera)",
                             extra={"camera": self.name})
            self.sessions += 1
            self._record_session(container, video, streams, track, opened)
        finally:
            container.close()

    def _warn_audio(self, message: str) -> None:
        if not self._warned_audio:
            self._warned_audio = True
            log.warning(message, extra={"camera": self.name})

    def _record_session(self, container: Any, video: Any, streams: list[Any], track: AudioTrack | None,
                        opened: float) -> None:
        tb: Fraction = video.time_base
        codec = str(video.codec_context.name)
        clock = MediaClock(tb, not_before=opened, live=self.is_live, drift_limit=self.drift_limit)
        self._clock = clock
        cutter = ClipCutter(self.out_dir, video, self.clip_seconds, self._counted, first_seq=self.seq,
                            audio=track, stamp=lambda pts: clock.at(pts))
        last_pts: int | None = None
        # per packet in integer ticks: Fraction arithmetic here was 8 % of the recorder's Python time
        gap_ticks = float(self.gap_limit / tb)
        seconds_per_tick = float(tb)
        frame_step = 0              # the smallest video pts step seen: one frame's duration
        sps = b""
        params = ParameterSets(codec, video.codec_context.extradata)
        try:
            joiner = FrameJoiner()
            for raw in container.demux(streams):
                if self.stop():
                    return
                if raw.stream.type == "audio":
                    if raw.pts is not None:
                        cutter.add_audio(raw)
                    continue
                if raw.size == 0:
                    continue                    # the demuxer's flush packet
                packet = joiner.push(raw)
                if packet is None:
                    continue
                pts = packet.pts if packet.pts is not None else packet.dts
                now = self.clock()
                if last_pts is not None and not 0 <= pts - last_pts <= gap_ticks:
                    log.info("media time jumped; new clip", extra={
                        "camera": self.name, "jump_seconds": round(float((pts - last_pts) * tb), 3)})
                    cutter.finish()
                    clock = MediaClock(tb, not_before=clock.at(last_pts).timestamp(), live=self.is_live,
                                       drift_limit=self.drift_limit)
                    self._clock = clock
                elif last_pts is not None and pts > last_pts:
                    step = pts - last_pts
                    if frame_step and step * 2 > frame_step * 3:     # > 1.5 frames: frames went missing
                        self._missing(round(step / frame_step) - 1)
                    frame_step = min(frame_step or step, step)
                last_pts = pts
                clock.observe(pts, now)
                if packet.is_keyframe and params.codec is not None:
                    in_band, repaired = params.keyframe(memoryview(packet))
                    if repaired is not None:     # lost or misordered parameter sets: put back
                        packet = repacket(packet, repaired)
                        self.keyframes_repaired += 1
                    if in_band and sps and in_band != sps and cutter.is_open:
                        log.info("stream format changed; new clip", extra={"camera": self.name})
                        cutter.finish()
                    sps = in_band or sps
                if self.max_seconds is not None and cutter.is_open \
                        and self.recorded + (pts - cutter.first_pts) * seconds_per_tick \
                        >= self.max_seconds - CUT_TOLERANCE:
                    self._reached = True
                    return
                if self.on_packet is not None:
                    self.on_packet(video, packet, clock.at(pts))
                if not packet.is_keyframe:
                    if cutter.is_open:
                        cutter.add(packet)          # the moment matters only where a clip opens
                    continue
                cutter.add(packet, clock.at(pts))
                if not self.connected_once or self.backoff.attempt:
                    self.connected_once = True
                    self.backoff.reset()
        finally:
            cutter.finish()
            self.seq = cutter.seq
            if track is not None:
                track.release()

    def _missing(self, frames: int) -> None:
        self.frames_missing += frames
        self._missing_in_clip += frames

    def _counted(self, clip: Clip) -> None:
        if self._missing_in_clip:     # reported once per clip: the clip plays, with those frames skipped
            log.warning("video frames missing in clip (packets lost, or the camera skipped them)", extra={
                "camera": self.name, "clip": clip.path.name, "frames_missing": self._missing_in_clip})
            self._missing_in_clip = 0
        if self._clock is not None:
            self._clock.end_window()
        self.clips += 1
        self.recorded += clip.duration
        self.on_clip(clip)


def _why(exc: BaseException) -> str:
    return redact(str(getattr(exc, "strerror", None) or exc) or type(exc).__name__)
