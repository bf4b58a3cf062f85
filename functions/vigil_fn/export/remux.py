"""Clips in, one MP4 out, with PyAV: H.264 packets copied (never decoded), one chapter per clip.

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


class RemuxError(RuntimeError):
    """Nothing exportable (no readable H.264 clip in the range)."""


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


def remux(clips: list[SourceClip], open_source: Callable[[SourceClip], Stream], sink: Stream, *,
          camera: str, start: int, end: int, gaps: list[Gap], gap_mode: str = "mark",
          progress: Callable[[float], None] | None = None) -> RemuxResult:
    """Mux `clips` (ordered, non-overlapping) into `sink` as one MP4 (the caller closes the sink)."""
    if gap_mode not in GAP_MODES:
        raise ValueError(f"gap_mode must be one of {GAP_MODES}")
    total = sum(max(1, c.size) for c in clips) or 1
    done_bytes = 0
    result = RemuxResult()
    out = av.open(sink, "w", format="mp4")
    out.metadata.update({
        "title": f"{camera} {iso(start)} - {iso(end)}",
        "creation_time": iso(clips[0].start if clips else start),
        "comment": json.dumps({"camera": camera, "start": start, "end": end, "gap_mode": gap_mode,
                               "gaps": [g.to_dict() for g in gaps]}, separators=(",", ":")),
        "description": f"Vigil export of camera {camera}",
    })
    ostream: Any = None
    cursor = Fraction(0)          # end of what has been written, seconds in the file
    gap_list = sorted(gaps, key=lambda g: g.start)
    try:
        for clip in clips:
            src = open_source(clip)
            try:
                fmt = "mpegts" if clip.key.endswith(".ts") else None   # no format probe for TS
                with av.open(src, "r", format=fmt, options=OPEN_OPTIONS) as container:
                    if not container.streams.video:
                        _skip(result, gap_list, clip, "no video stream")
                        continue
                    stream: Any = container.streams.video[0]
                    if stream.codec_context.name != "h264":
                        _skip(result, gap_list, clip, f"codec {stream.codec_context.name}")
                        continue
                    if ostream is None:
                        ostream = out.add_stream_from_template(stream)
                    tb = Fraction(stream.time_base)
                    preceding = [g for g in gap_list if g.end <= clip.start + 1 and g.end > (
                        result.chapters[-1].wall_end if result.chapters else start - 1)]
                    if gap_mode == "hold":
                        offset = max(cursor, Fraction(clip.start - start, 1000))
                        for g in preceding:
                            g0 = max(cursor, Fraction(g.start - start, 1000))
                            g1 = max(g0, Fraction(g.end - start, 1000))
                            if g1 > g0:
                                result.chapters.append(Chapter(float(g0), float(g1),
                                                               f"GAP {_hms(g.start)}-{_hms(g.end)} UTC: {g.reason}",
                                                               None, g.start, g.end))
                    else:
                        offset = cursor
                    base = int(offset / tb)
                    first: int | None = None
                    clip_end = 0
                    period = int(_frame_period(stream) / tb) or 1
                    frames = 0
                    for packet in container.demux(stream):
                        if packet.dts is None or packet.size == 0:
                            continue
                        if first is None:
                            if not packet.is_keyframe:
                                continue  # a clip must start decodable
                            first = packet.dts
                        pts = packet.pts if packet.pts is not None else packet.dts
                        clip_end = max(clip_end, pts - first + (packet.duration or period))
                        packet.dts = packet.dts - first + base
                        packet.pts = pts - first + base
                        packet.stream = ostream
                        out.mux(packet)
                        frames += 1
                        if progress is not None and frames % 64 == 0:
                            progress(min(0.99, (done_bytes + src.tell()) / total))
                    if first is None:
                        _skip(result, gap_list, clip, "no keyframe")
                        continue
                    length = Fraction(clip_end) * tb
                    chapter_start = float(base * tb)
                    title = f"{_hms(clip.start)}-{_hms(clip.start + int(length * 1000))} UTC"
                    if gap_mode == "mark" and preceding:
                        missing = sum(g.end - g.start for g in preceding) / 1000
                        title = (f"after GAP of {missing:.1f} s ({_hms(preceding[0].start)}-"
                                 f"{_hms(preceding[-1].end)} UTC not recorded) | {title}")
                    result.chapters.append(Chapter(chapter_start, float(base * tb + length), title, clip.key,
                                                   clip.start, clip.start + int(length * 1000)))
                    result.frames += frames
                    cursor = base * tb + length
            except av.error.FFmpegError as exc:
                _skip(result, gap_list, clip, f"unreadable: {exc}")
            finally:
                done_bytes += max(1, clip.size)
                src.close()
        if ostream is None:
            raise RemuxError("no readable H.264 clip in the range")
        result.duration = float(cursor)
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
    result.gaps = gap_list
    if progress is not None:
        progress(1.0)
    return result
