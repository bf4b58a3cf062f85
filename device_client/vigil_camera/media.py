"""Recording with PyAV (the `media` extra): cut any FFmpeg-readable input into MPEG-TS clips on
keyframes WITHOUT re-encoding, and a synthetic camera that encodes a real H.264 test pattern with
the wall-clock time drawn into each frame (digits drawn with numpy, no font dependency).

Clips are written as `<name>.ts.part` and renamed to `.ts` when closed, so a folder watcher never
sees a clip that is still being written. Clip names carry the UTC start and a sequence number
(`YYYYMMDDTHHMMSSmmmZ-<seq>.ts`), which `clipinfo` turns into the bucket key.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av

if TYPE_CHECKING:      # numpy draws the test pattern only: a recorder never loads it (~10 MB, 0.1 s)
    import numpy as np

# 3x5 bitmaps, row-major, for the characters the clock needs.
_GLYPHS = {
    "0": "111101101101111", "1": "010110010010111", "2": "111001111100111", "3": "111001111001111",
    "4": "101101111001001", "5": "111100111001111", "6": "111100111101111", "7": "111001001001001",
    "8": "111101111101111", "9": "111101111001111", ":": "000010000010000", "-": "000000111000000",
    ".": "000000000000010", " ": "000000000000000", "T": "111010010010010", "Z": "111001010100111",
}


def draw_text(img: np.ndarray, text: str, x: int, y: int, scale: int, value: int = 255) -> None:
    """Draw `text` into a 2-D (luma) array in place, each glyph pixel a `scale`-sized square."""
    for i, ch in enumerate(text):
        bits = _GLYPHS.get(ch, _GLYPHS[" "])
        ox = x + i * 4 * scale
        for r in range(5):
            for c in range(3):
                if bits[r * 3 + c] == "1":
                    y0, x0 = y + r * scale, ox + c * scale
                    img[y0:y0 + scale, x0:x0 + scale] = value


def render_glyphs(text: str, scale: int = 1) -> np.ndarray:
    import numpy as np

    img = np.zeros((5 * scale, 4 * scale * len(text)), dtype=np.uint8)
    draw_text(img, text, 0, 0, scale)
    return img


_CLOCK_CHARS = "0123456789:-. "


def read_clock(luma: np.ndarray, full_height: int) -> datetime:
    """The inverse of `test_frame`'s clock: `YYYY-MM-DD HH:MM:SS.mmm` (UTC) read back from the top-left
    of a frame's luma (at any scale the frame was shrunk to evenly: `full_height` is its height).
    Tests and benches use it to tell which instant a picture shows."""
    import numpy as np

    s = max(1, full_height // 90)
    bits = {ch: (render_glyphs(ch, 1)[:, :3] > 0).astype(np.uint8).ravel() for ch in _CLOCK_CHARS}
    text = ""
    for i in range(23):
        x0, y0 = 2 * s + i * 4 * s, 2 * s
        seen = np.array([luma[y0 + r * s + s // 2, x0 + c * s + s // 2] > 128 for r in range(5) for c in range(3)],
                        dtype=np.uint8)
        text += min(_CLOCK_CHARS, key=lambda ch: int(np.sum(bits[ch] != seen)))
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)


def test_frame(width: int, height: int, index: int, fps: float, moment: datetime) -> av.VideoFrame:
    """A moving colour-bar pattern in YUV420 with the UTC time and frame number drawn on top."""
    import numpy as np

    y_plane = np.empty((height, width), dtype=np.uint8)
    xs = (np.arange(width, dtype=np.int32) + index * 4) % 256
    y_plane[:] = xs.astype(np.uint8)[None, :]
    bar = (index * 8) % max(1, width)
    y_plane[:, bar:bar + max(2, width // 40)] = 235
    scale = max(1, height // 90)
    text = moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
    y_plane[scale:scale * 7, scale:scale * (2 + 4 * len(text))] = 16
    draw_text(y_plane, text, 2 * scale, 2 * scale, scale)
    draw_text(y_plane, f"{index:08d}", 2 * scale, 9 * scale, scale)
    u = np.full((height // 2, width // 2), 128, dtype=np.uint8)
    v = np.full((height // 2, width // 2), (index * 3) % 256, dtype=np.uint8)
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane, data in zip(frame.planes, (y_plane, u, v), strict=True):
        stride = plane.line_size
        raw: Any = memoryview(plane)
        buf = np.frombuffer(raw, dtype=np.uint8).reshape(-1, stride)
        buf[: data.shape[0], : data.shape[1]] = data
    return frame


def frame_from_luma(luma: np.ndarray) -> av.VideoFrame:
    """A yuv420p frame of a grey picture (chroma neutral) from a 2-D uint8 luma plane."""
    import numpy as np

    height, width = luma.shape
    frame = av.VideoFrame(width, height, "yuv420p")
    for plane, value in zip(frame.planes, (None, 128, 128), strict=True):
        raw: Any = memoryview(plane)
        buf = np.frombuffer(raw, dtype=np.uint8).reshape(-1, plane.line_size)
        if value is None:
            buf[:height, :width] = luma
        else:
            buf[:] = value
    return frame


Render = Callable[[float, datetime], "np.ndarray"]   # (seconds from start, wall time) -> luma plane


@dataclass(frozen=True)
class Clip:
    path: Path
    start: datetime
    seq: int
    duration: float
    frames: int


CUT_TOLERANCE = 0.001   # seconds: a keyframe this much before the clip length still ends the clip


def clip_name(start: datetime, seq: int) -> str:
    t = start.astimezone(timezone.utc)
    return f"{t:%Y%m%dT%H%M%S}{t.microsecond // 1000:03d}Z-{seq:06d}.ts"


class ClipCutter:
    """Writes packets of one video stream (and optionally its audio, see `audio.AudioTrack`) into TS
    clips, starting a new clip on the first keyframe at or after `clip_seconds` (so every clip
    starts with a keyframe and plays on its own).

    The cut compares in the stream's own ticks with a 1 ms tolerance: RTP→PTS conversion jitters by
    a few 90 kHz ticks (1 to 4 seen), and a 1 µs tolerance made a third of "10 s" clips one GOP
    longer; frames are never 1 ms apart, so no keyframe is taken early by it."""

    def __init__(self, out_dir: Path, template: Any, clip_seconds: float, on_clip: Callable[[Clip], None],
                 *, first_seq: int = 0, wall_start: Callable[[], datetime] | None = None,
                 audio: Any = None, stamp: Callable[[int], datetime] | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.stamp = stamp      # first pts -> the clip's start, asked when it closes (the best estimate then)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.template = template
        self.audio = audio
        self.clip_seconds = clip_seconds
        self.on_clip = on_clip
        self.seq = first_seq
        self._wall = wall_start or (lambda: datetime.now(timezone.utc))
        self._out: Any = None
        self._stream: Any = None
        self._path: Path | None = None
        self._start: datetime | None = None
        self._first_pts: int | None = None
        self._last_end: int | None = None
        self._frames = 0
        self._time_base: Fraction | None = None

    @property
    def is_open(self) -> bool:
        return self._out is not None

    @property
    def first_pts(self) -> int:
        """The open clip's first video pts (0 with none open)."""
        return self._first_pts or 0

    def _open(self, start: datetime) -> None:
        self._start = start
        self._path = self.out_dir / (clip_name(start, self.seq) + ".part")
        self._out = av.open(str(self._path), "w", format="mpegts")
        self._stream = self._out.add_stream_from_template(self.template)
        if self.audio is not None:
            self.audio.open(self._out)
        self._frames = 0
        self._first_pts = None
        self._last_end = None

    def close_clip(self) -> Clip | None:
        if self._out is None:
            return None
        if self.audio is not None:
            self.audio.close()
        self._out.close()
        assert self._path is not None and self._start is not None
        if self.stamp is not None and self._first_pts is not None:
            self._start = self.stamp(self._first_pts)
        final = self.out_dir / clip_name(self._start, self.seq)
        self._path.rename(final)
        clip = Clip(final, self._start, self.seq, self.open_seconds(), self._frames)
        self._out = None
        self.seq += 1
        self.on_clip(clip)
        return clip

    def open_seconds(self) -> float:
        """Media seconds in the open clip so far (0 with none open)."""
        if self._out is None or self._first_pts is None:
            return 0.0
        tb = self._time_base or Fraction(1, 90000)
        return float(((self._last_end or 0) - self._first_pts) * tb)

    def due(self, pts: int, tb: Fraction) -> bool:
        """Whether a keyframe at `pts` ends the open clip (`CUT_TOLERANCE` early counts)."""
        if self._first_pts is None:
            return False
        return pts - self._first_pts >= round(Fraction(self.clip_seconds - CUT_TOLERANCE) / tb)

    def add(self, packet: Any, moment: datetime | None = None) -> None:
        if packet.dts is None and packet.pts is None:
            return
        pts = packet.pts if packet.pts is not None else packet.dts
        tb = packet.time_base or self.template.time_base
        self._time_base = tb
        if self._out is not None and packet.is_keyframe and self.due(pts, tb):
            self.close_clip()
        if self._out is None:
            if not packet.is_keyframe:
                return                      # wait for a keyframe: a clip must decode on its own
            self._open(moment or self._wall())
        if self._first_pts is None:
            self._first_pts = pts
        end = pts + (packet.duration or 0)
        self._last_end = end if self._last_end is None else max(self._last_end, end)
        packet.stream = self._stream
        self._out.mux(packet)
        self._frames += 1

    def add_audio(self, packet: Any) -> None:
        """An audio packet goes into the open clip (none before the first keyframe)."""
        if self._out is not None and self.audio is not None:
            self.audio.write(packet)

    def finish(self) -> Clip | None:
        return self.close_clip()


def encode_test_packets(width: int, height: int, fps: int, clip_seconds: float, *, frames: int | None = None,
                        realtime: bool = False, bitrate: int | None = None,
                        stop: Callable[[], bool] | None = None, keyframe_seconds: float | None = None,
                        render: Render | None = None, start: datetime | None = None,
                        preset: str = "ultrafast") -> Iterator[tuple[Any, Any, datetime]]:
    """(stream, packet, wall time) of a live-like H.264 test pattern; a keyframe every clip, or
    every `keyframe_seconds` (live view cuts 1 s segments, clips still cut at `clip_seconds`).
    `render` draws the picture instead (the activity scene); `start` fixes the first frame's time."""
    holder = av.open("/dev/null", "w", format="mpegts")
    codec = "libx264" if "libx264" in av.codecs_available else "h264"
    stream: Any = holder.add_stream(codec, rate=fps)
    stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
    gop = max(1, round(fps * (keyframe_seconds or clip_seconds)))
    stream.codec_context.gop_size = gop
    stream.codec_context.time_base = Fraction(1, fps)
    if bitrate:
        stream.codec_context.bit_rate = bitrate
    stream.codec_context.options = {"preset": preset, "tune": "zerolatency",
                                    "x264-params": f"keyint={gop}:min-keyint={gop}:scenecut=0"}
    t0 = start.timestamp() if start is not None else time.time()
    index = 0
    try:
        while frames is None or index < frames:
            if stop is not None and stop():
                break
            if realtime:
                delay = t0 + index / fps - time.time()
                if delay > 0:
                    time.sleep(delay)
            moment = datetime.fromtimestamp(t0 + index / fps, tz=timezone.utc)
            frame = (frame_from_luma(render(index / fps, moment)) if render is not None
                     else test_frame(width, height, index, fps, moment))
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                yield stream, packet, datetime.fromtimestamp(t0 + packet.pts / fps, tz=timezone.utc)
            index += 1
        for packet in stream.encode(None):
            yield stream, packet, datetime.fromtimestamp(t0 + packet.pts / fps, tz=timezone.utc)
    finally:
        holder.close()


def simulate(out_dir: Path, on_clip: Callable[[Clip], None], *, fps: int = 15, width: int = 640,
             height: int = 360, clip_seconds: float = 4.0, count: int | None = None,
             duration: float | None = None, realtime: bool = True, first_seq: int = 0,
             stop: Callable[[], bool] | None = None, keyframe_seconds: float | None = None,
             on_packet: Callable[[Any, Any, datetime], None] | None = None,
             render: Render | None = None, start: datetime | None = None, bitrate: int | None = None,
             preset: str = "ultrafast") -> int:
    """Run the synthetic camera; returns the number of clips written. `on_packet(stream, packet,
    wall time)` sees every packet before the clip cutter (the live view); `render` and `start` as in
    `encode_test_packets`."""
    if count is None and duration is None:
        frames = None
    else:
        total = duration if duration is not None else clip_seconds * (count or 0)
        frames = max(1, round(total * fps))
    cutter: ClipCutter | None = None
    made = 0

    def counted(clip: Clip) -> None:
        nonlocal made
        made += 1
        on_clip(clip)

    for stream, packet, moment in encode_test_packets(width, height, fps, clip_seconds, frames=frames,
                                                      realtime=realtime, stop=stop,
                                                      keyframe_seconds=keyframe_seconds, render=render,
                                                      start=start, bitrate=bitrate, preset=preset):
        if on_packet is not None:
            on_packet(stream, packet, moment)
        if cutter is None:
            cutter = ClipCutter(out_dir, stream, clip_seconds, counted, first_seq=first_seq)
        cutter.add(packet, moment)
    if cutter is not None:
        cutter.finish()
    return made


def record(source: str, out_dir: Path, on_clip: Callable[[Clip], None], *, clip_seconds: float = 10.0,
           first_seq: int = 0, stop: Callable[[], bool] | None = None, max_seconds: float | None = None,
           options: dict[str, str] | None = None,
           on_packet: Callable[[Any, Any, datetime], None] | None = None, **settings: Any) -> int:
    """Record `source` (RTSP URL, file, anything FFmpeg opens) into clips with the shared recording
    loop (`recording.Recorder`: reconnect, stall timeout, media-time anchoring, audio); returns the
    number of clips written. `settings` are `recording.Recorder` keyword arguments (audio,
    transport, read_timeout, name, ...)."""
    from .recording import Recorder

    recorder = Recorder(source, out_dir, on_clip, clip_seconds=clip_seconds, first_seq=first_seq,
                        stop=stop, max_seconds=max_seconds, options=options, on_packet=on_packet, **settings)
    return recorder.run()


# FFmpeg probes 5 MB / 5 s of a file before the first packet by default; a clip's one stream is
# found in the first PAT/PMT and SPS, so a small probe saves ~10-20 MB of peak memory per open
OPEN_OPTIONS = {"probesize": "262144", "analyzeduration": "500000"}


@dataclass(frozen=True)
class ClipScan:
    """What the demuxer alone says about a clip (no decoding)."""

    duration: float         # last end − first start of the video stream, seconds
    key_gap: float          # the largest distance between keyframes (or to the clip's end); inf: none


def scan_clip(path: Path) -> ClipScan:
    """One pass over the video packets of a clip, nothing decoded."""
    with av.open(str(path), options=OPEN_OPTIONS) as container:
        stream: Any = container.streams.video[0]
        first: int | None = None
        end: int | None = None
        keys: list[int] = []
        for packet in container.demux(stream):
            if packet.pts is None:
                continue
            first = packet.pts if first is None else min(first, packet.pts)
            packet_end = packet.pts + (packet.duration or 0)
            end = packet_end if end is None else max(end, packet_end)
            if packet.is_keyframe:
                keys.append(packet.pts)
        if first is None or end is None:
            return NO_PACKETS
        marks = sorted(keys) + [end]
        gap = max((b - a for a, b in zip(marks, marks[1:], strict=False)), default=end - first)
        tb = stream.time_base
        return ClipScan(float((end - first) * tb), float(gap * tb) if keys else math.inf)


NO_PACKETS = ClipScan(0.0, math.inf)


def clip_duration(path: Path) -> float:
    """Duration of a clip from its packets: last end − first start of the video stream."""
    return scan_clip(path).duration
