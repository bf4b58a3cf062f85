"""Clips in, one MP4 out, with PyAV: H.264 packets copied (never decoded), one chapter per clip.

Only the requested range goes in, cut without re-encoding (`export.cut`): from the last keyframe at
or before the start (at most one GOP early) to the last frame before the end, whose display is
shortened to end there. The file's clock starts at 0 at its first frame; `RemuxResult` says which
wall-clock span it covers.

Timestamps: each clip's packets keep their own spacing and are shifted to follow the previous clip
(`gap_mode="mark"`, the default: a gap takes no time in the file, the chapter after it says how
long it was and the metadata lists every gap), or placed at their wall-clock offset from the
export's start (`gap_mode="hold"`: the file's clock is wall time, the player holds the last frame
through a gap, and the gap gets a chapter of its own). Either way the gap is stated, never hidden.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction
from typing import IO, Any

import av

from .cut import COPY, ClipCut

GAP_MODES = ("mark", "hold")
Stream = io.RawIOBase | IO[bytes]   # what PyAV reads from / writes to
# Clips start with a keyframe and carry SPS/PPS: a short stream-info probe finds them (FFmpeg's
# default reads up to 5 s of every clip before the first packet, a third of the export's CPU).
OPEN_OPTIONS = {"analyzeduration": "500000", "probesize": "262144"}


@dataclass(frozen=True)
class SourceClip:
    key: str
    start: int      # UTC ms (from the index)
    end: int
    size: int
    etag: str | None = None    # the version the index holds (upper hex, no quotes)
    crc64: str | None = None   # and its CRC-64 as OSS reported it to the indexer (None: an older entry)


@dataclass(frozen=True)
class Gap:
    start: int      # UTC ms
    end: int
    reason: str = "not recorded"

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "reason": self.reason}


@dataclass
class Chapter:
    start: float    # seconds in the file
    end: float
    title: str
    key: str | None
    wall_start: int
    wall_end: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class RemuxResult:
    frames: int = 0
    duration: float = 0.0
    chapters: list[Chapter] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)   # the timeline's gaps + clips that failed here
    covered_start: int | None = None   # wall ms of the file's first frame (≤ the requested start)
    covered_end: int | None = None     # wall ms where its last frame stops showing (≤ the requested end)


class RemuxError(RuntimeError):
    """Nothing exportable (no readable H.264 clip in the range)."""


NOTHING_RECORDED = "nothing was recorded in this range"


def iso(ms: int) -> str:
    t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def _hms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%H:%M:%S")


def _frame_period(stream: Any) -> Fraction:
    rate = stream.average_rate or stream.guessed_rate or stream.base_rate
    return Fraction(1) / Fraction(rate) if rate else Fraction(1, 25)


def _skip(result: RemuxResult, gaps: list[Gap], clip: SourceClip, reason: str) -> None:
    """A clip that cannot be copied is a gap in the file: reported as such, with the reason."""
    result.skipped.append({"key": clip.key, "reason": reason})
    gaps.append(Gap(clip.start, clip.end, f"clip skipped: {reason}"))
    gaps.sort(key=lambda g: g.start)


class _Mux:
    """The output file and what has been written to it so far (shared by every clip)."""

    def __init__(self, out: Any, *, camera: str, start: int, end: int, gaps: list[Gap], gap_mode: str) -> None:
        self.out, self.camera, self.start, self.end, self.gap_mode = out, camera, start, end, gap_mode
        self.gaps = sorted(gaps, key=lambda g: g.start)
        self.result = RemuxResult()
        self.ostream: Any = None
        self.cursor = Fraction(0)          # end of what has been written, seconds in the file
        self.origin: Fraction | None = None   # wall ms of the file's first frame (its time 0)

    def begin_clip(self, clip: SourceClip, wall: Fraction) -> tuple[Fraction, list[Gap]]:
        """Where a clip whose first copied frame is at `wall` (ms) goes in the file: (offset in s,
        the gaps before it that got no chapter of their own, for its title)."""
        chapters = self.result.chapters
        after = chapters[-1].wall_end if chapters else self.start - 1
        preceding = [g for g in self.gaps if after < g.end <= clip.start + 1]
        if self.origin is None:      # the file's first frame: its clock starts here, at 0
            self.origin = wall
            self._write_metadata(wall)
            return Fraction(0), preceding
        if self.gap_mode == "mark":
            return self.cursor, preceding
        unnamed = []
        for g in preceding:           # hold: the file's clock is wall time since its first frame
            g0 = max(self.cursor, (g.start - self.origin) / 1000)
            g1 = max(g0, (g.end - self.origin) / 1000)
            if g1 > g0:
                chapters.append(Chapter(float(g0), float(g1), f"GAP {_hms(g.start)}-{_hms(g.end)} UTC: {g.reason}",
                                        None, g.start, g.end))
            else:
                unnamed.append(g)
        return max(self.cursor, (wall - self.origin) / 1000), unnamed

    def _write_metadata(self, wall: Fraction) -> None:
        """Before the first packet (PyAV copies the dict into the muxer when it starts)."""
        self.out.metadata.update({
            "title": f"{self.camera} {iso(self.start)} - {iso(self.end)}",
            "creation_time": iso(int(wall)),
            "comment": json.dumps({"camera": self.camera, "start": self.start, "end": self.end,
                                   "covered_start": int(wall), "gap_mode": self.gap_mode,
                                   "gaps": [g.to_dict() for g in self.gaps]}, separators=(",", ":")),
            "description": f"Vigil export of camera {self.camera}",
        })


class _ClipCopy:
    """One clip's packets into the file: timestamps from 0 at its first copied packet, shifted to
    follow what is already written; the last frame's display ends at the requested end."""

    def __init__(self, mux: _Mux, clip: SourceClip, stream: Any) -> None:
        self.mux, self.clip = mux, clip
        tb = Fraction(stream.time_base)
        self.tb, self.den = tb, tb.denominator
        self.scale = tb.numerator * 1000           # pts ticks -> wall ms × den
        self.period = int(_frame_period(stream) / tb) or 1
        self.end_t = mux.end * self.den
        self.first: int | None = None              # dts of the first copied packet
        self.base = 0
        self.wall_start = Fraction(0)
        self.wall_end = 0                          # wall ms × den where the last copied frame stops showing
        self.length = 0                            # ticks
        self.frames = 0
        self.unnamed: list[Gap] = []               # gaps before it with no chapter of their own

    def write(self, packet: Any, pts: int, t: int) -> None:
        """Per packet of an hour-long export: kept to plain int arithmetic and few attribute calls."""
        first = self.first
        if first is None:
            first = self.first = packet.dts
            self.wall_start = Fraction(t, self.den)
            offset, self.unnamed = self.mux.begin_clip(self.clip, self.wall_start)
            self.base = int(offset / self.tb)
        given = packet.duration
        duration = given or self.period
        stop = t + duration * self.scale
        if stop > self.end_t:                          # shown until `end`, not past it
            duration = max(1, (self.end_t - t) // self.scale)
            stop = t + duration * self.scale
        if stop > self.wall_end:
            self.wall_end = stop
        if pts - first + duration > self.length:
            self.length = pts - first + duration
        if duration != given:
            packet.duration = duration
        shift = self.base - first
        packet.dts += shift
        packet.pts = pts + shift
        packet.stream = self.mux.ostream
        self.mux.out.mux(packet)
        self.frames += 1

    def close(self) -> None:
        """Record the clip's chapter (if anything was copied) and move the cursor past it."""
        if self.first is None:
            return
        mux, result = self.mux, self.mux.result
        wall_start, wall_end = int(self.wall_start), -(-self.wall_end // self.den)
        title = f"{_hms(wall_start)}-{_hms(wall_end)} UTC"
        if self.unnamed:
            missing = sum(g.end - g.start for g in self.unnamed) / 1000
            title = (f"after GAP of {missing:.1f} s ({_hms(self.unnamed[0].start)}-"
                     f"{_hms(self.unnamed[-1].end)} UTC not recorded) | {title}")
        chapter_start = self.base * self.tb
        chapter_end = chapter_start + self.length * self.tb
        result.chapters.append(Chapter(float(chapter_start), float(chapter_end), title, self.clip.key,
                                       wall_start, wall_end))
        result.frames += self.frames
        if result.covered_start is None:
            result.covered_start = wall_start
        result.covered_end = wall_end
        mux.cursor = chapter_end


def _copy_clip(container: Any, stream: Any, clip: SourceClip, mux: _Mux,
               tick: Callable[[int], None]) -> bool:
    """Copy the part of one clip that is in the range; False if the clip has no keyframe at all.
    Returns once a packet at or past the requested end shows up (the rest is not read)."""
    copy = _ClipCopy(mux, clip, stream)
    cut: ClipCut[tuple[Any, int, int]] = ClipCut(mux.start * copy.den, copy.end_t)
    k0: int | None = None          # pts of the clip's first keyframe: the clip's start in the index
    wall0 = clip.start * copy.den
    n = 0
    write, scale, end_t = copy.write, copy.scale, copy.end_t
    copying = False                # past the start: every packet before `end` is copied as it comes
    for packet in container.demux(stream):
        dts = packet.dts
        if dts is None or not packet.size:
            continue
        pts = packet.pts
        if pts is None:
            pts = dts
        if k0 is None:
            if not packet.is_keyframe:
                continue  # a clip must start decodable
            k0 = pts
        t = wall0 + (pts - k0) * scale
        if copying and t < end_t:
            write(packet, pts, t)
        else:
            for item in cut.feed((packet, pts, t), t, packet.is_keyframe):
                write(*item)
            if cut.done:
                break
            copying = cut.state == COPY
        n += 1
        if not n & 63:
            tick(n)
    for item in cut.finish(copy.period * copy.scale):
        copy.write(*item)
    copy.close()
    return k0 is not None


def remux(clips: list[SourceClip], open_source: Callable[[SourceClip], Stream], sink: Stream, *,
          camera: str, start: int, end: int, gaps: list[Gap], gap_mode: str = "mark",
          progress: Callable[[float], None] | None = None) -> RemuxResult:
    """Mux the part of `clips` (ordered, non-overlapping) in [start, end) into `sink` as one MP4,
    cut by the rule in `export.cut` (the caller closes the sink)."""
    if gap_mode not in GAP_MODES:
        raise ValueError(f"gap_mode must be one of {GAP_MODES}")
    total = sum(max(1, c.size) for c in clips) or 1
    done_bytes = 0
    out = av.open(sink, "w", format="mp4")
    mux = _Mux(out, camera=camera, start=start, end=end, gaps=gaps, gap_mode=gap_mode)
    result = mux.result
    try:
        for clip in clips:
            src = open_source(clip)

            def tick(_n: int, src: Stream = src, before: int = done_bytes) -> None:
                if progress is not None:
                    progress(min(0.99, (before + src.tell()) / total))

            try:
                fmt = "mpegts" if clip.key.endswith(".ts") else None   # no format probe for TS
                with av.open(src, "r", format=fmt, options=OPEN_OPTIONS) as container:
                    if not container.streams.video:
                        _skip(result, mux.gaps, clip, "no video stream")
                        continue
                    stream: Any = container.streams.video[0]
                    if stream.codec_context.name != "h264":
                        _skip(result, mux.gaps, clip, f"codec {stream.codec_context.name}")
                        continue
                    if mux.ostream is None:
                        mux.ostream = out.add_stream_from_template(stream)
                    if not _copy_clip(container, stream, clip, mux, tick):
                        _skip(result, mux.gaps, clip, "no keyframe")
            except av.error.FFmpegError as exc:
                _skip(result, mux.gaps, clip, f"unreadable: {exc}")
            finally:
                done_bytes += max(1, clip.size)
                src.close()
        if mux.ostream is None:
            raise RemuxError("no readable H.264 clip in the range")
        if result.covered_start is None:
            raise RemuxError(NOTHING_RECORDED)   # clips overlapped by the index only
        result.duration = float(mux.cursor)
        out.set_chapters([{"id": i + 1, "start": round(c.start * 1000), "end": round(c.end * 1000),
                           "time_base": Fraction(1, 1000), "metadata": {"title": c.title}}
                          for i, c in enumerate(result.chapters)])
    except BaseException:
        try:
            out.close()
        except av.error.FFmpegError:
            pass  # a muxer with no stream cannot write a trailer; the sink is aborted by the caller
        raise
    out.close()
    result.gaps = mux.gaps
    if progress is not None:
        progress(1.0)
    return result
