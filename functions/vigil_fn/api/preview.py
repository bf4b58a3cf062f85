"""A camera page's first seconds as a small progressive MP4 (issue 30: the first frame).

Why: the player (hls.js) shows its first frame only after the page's script, the session, the
playlist, the segment and a transmux, one after another: 4.9x a bare `<video>` playing one clip on a
quiet machine. The page's HTML (web.py) names this MP4 in a `<video>` of its own, so the browser asks
for it beside the script, plays it natively, and the player takes over once it plays (the page's
web/src/player/preview.ts).

What it holds: the clip's H.264 packets copied, never decoded or re-encoded, from the last keyframe at
or before `at` until PREVIEW_MS after it (export.cut's rule). The frames before `at` are needed to
decode the frame at `at`; an MP4 edit list hides them, so the file's time 0 is the frame shown at
`at` (which began at most one frame earlier), and the page maps the preview's clock to wall time as
`at + currentTime`. When `at` is less than PREVIEW_MS before its clip's end, the next clip (if the
recording carries on, `stills.following`) supplies the rest, its packets moved onto the first clip's
clock; a preview of the last seconds of a clip no longer stops short and freezes before the player
has taken over. Video only (the preview plays muted, as a page that has had no gesture must). Free
of HTTP: the route is routes/playback.py.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from itertools import chain
from pathlib import Path
from typing import Any

import av
from vigil_camera.access_units import whole_frames

from ..export.cut import ClipCut
from ..export.remux import OPEN_OPTIONS
from .stills import UndecodableClip

# long enough for the player to take over (its own first frame came 0.7-1.7 s after the page's in the
# bench and the demo; a preview that ends first holds its last frame), small to send: the demo's
# 3.9 MB clips give 1.1-1.3 MB at 3 s against 1.9-2.4 MB at 6 s (the remux is ~25 ms of CPU either way)
PREVIEW_MS = 3_000
MP4 = "video/mp4"


@dataclass(frozen=True)
class Then:
    """The clip that carries the recording on: its bytes, and where it starts (ms after the first clip's start)."""

    ts: bytes
    after_ms: int


def preview_mp4(ts: bytes, offset_ms: int, span_ms: int = PREVIEW_MS, then: Then | None = None) -> bytes:
    """The MP4 of [offset, offset + span) of a clip (`offset_ms` from its first frame) whose time 0 is
    the frame at `offset_ms`, continued into `then` when the span runs past the clip's end (if `then`
    holds the same kind of picture). UndecodableClip when the clip has no video or nothing decodable at
    `offset_ms`."""
    try:
        with ExitStack() as open_clips:
            src = open_clips.enter_context(av.open(io.BytesIO(ts), mode="r", options=OPEN_OPTIONS))
            if not src.streams.video:
                raise UndecodableClip("the clip holding that instant has no video")
            stream = src.streams.video[0]
            tick = stream.time_base
            assert tick is not None
            per_ms = tick.denominator / (1000 * tick.numerator)
            seen = _Seen()
            packets: Iterator[Any] = seen.note(whole_frames(src.demux(stream)))
            if then is not None:
                packets = chain(packets, _continued(open_clips, then, stream, round(then.after_ms * per_ms), seen))
            packets_out = _cut(packets, round(max(0, offset_ms) * per_ms), round(span_ms * per_ms), _period(stream))
            if not packets_out:
                raise UndecodableClip("the clip holding that instant has no picture to show from it")
            # `faststart` (the index first, so the browser shows a frame before the last byte) rewrites
            # the file by name: a file in the function's /tmp, gone when this returns
            with tempfile.TemporaryDirectory(prefix="vigil-preview-") as work:
                path = Path(work) / "preview.mp4"
                with av.open(str(path), "w", format="mp4", options={"movflags": "faststart"}) as dst:
                    copy = dst.add_stream_from_template(stream)
                    for packet, shifted_pts, shifted_dts in packets_out:
                        packet.pts, packet.dts, packet.stream = shifted_pts, shifted_dts, copy
                        dst.mux(packet)
                return path.read_bytes()
    except av.FFmpegError as exc:
        raise UndecodableClip("the clip holding that instant cannot be read: {reason}", reason=exc) from None


class _Seen:
    """The first clip's clock as its packets go by: its first packet's time, its latest pts and dts."""

    def __init__(self) -> None:
        self.first: int | None = None
        self.pts = self.dts = -(1 << 62)

    def note(self, packets: Iterator[Any]) -> Iterator[Any]:
        for packet in packets:
            if packet.pts is not None and packet.dts is not None:
                if self.first is None:
                    self.first = packet.pts
                self.pts, self.dts = max(self.pts, packet.pts), max(self.dts, packet.dts)
            yield packet


def _continued(open_clips: ExitStack, then: Then, stream: Any, after: int, seen: _Seen) -> Iterator[Any]:
    """`then`'s packets on the first clip's clock (its first packet `after` ticks after the first clip's
    first), read only when the cut gets there, from its first keyframe past everything the first clip
    showed (clips may overlap by a frame or so; the muxer needs rising times). Nothing when it cannot
    join: another codec, size or clock, or a clip that does not read — the preview then ends with the
    first clip, as a recording that stops."""
    if seen.first is None:
        return
    try:
        src = open_clips.enter_context(av.open(io.BytesIO(then.ts), mode="r", options=OPEN_OPTIONS))
        if not src.streams.video or not _same_picture(src.streams.video[0], stream):
            return
        shift: int | None = None
        joined = False
        for packet in whole_frames(src.demux(src.streams.video[0])):
            if packet.pts is None or packet.dts is None:
                continue
            if shift is None:
                shift = seen.first + after - packet.pts
            packet.pts, packet.dts = packet.pts + shift, packet.dts + shift
            if not joined:
                if not packet.is_keyframe or packet.pts <= seen.pts or packet.dts <= seen.dts:
                    continue
                joined = True
            yield packet
    except av.FFmpegError:
        return


def _same_picture(a: Any, b: Any) -> bool:
    """Two streams whose packets can go into one MP4 track: H.264 of one size on one clock."""
    ca, cb = a.codec_context, b.codec_context
    return (ca.name, ca.width, ca.height, a.time_base) == (cb.name, cb.width, cb.height, b.time_base)


def _period(stream: Any) -> int:
    """One frame's duration in the stream's ticks (25 fps when the stream does not say)."""
    rate = stream.average_rate or stream.guessed_rate or 25
    tick = stream.time_base
    return max(1, round(tick.denominator / (tick.numerator * float(rate))))


def _cut(packets: Any, start: int, span: int, period: int) -> list[tuple[Any, int, int]]:
    """(packet, pts, dts) to write, times shifted so that the frame shown `start` ticks after the
    clip's first frame is at 0: the GOP before it gets negative times, which the MP4 muxer turns into
    an edit list."""
    cut: ClipCut[Any] = ClipCut(start, start + span)
    first: int | None = None
    kept: list[Any] = []
    for packet in packets:
        if packet.pts is None or packet.dts is None:
            continue
        if first is None:
            first = packet.pts
        kept += cut.feed(packet, packet.pts - first, bool(packet.is_keyframe))
        if cut.done:
            break
    if not cut.done:
        kept += cut.finish(period)
    # time 0 is the frame on screen at `start`: the last one at or before it (a frame that starts a
    # little after would be one frame late), so the file's clock runs at most a frame before the instant
    base = max((p.pts for p in kept if p.pts - (first or 0) <= start), default=(first or 0) + start)
    return [(p, p.pts - base, p.dts - base) for p in kept]
