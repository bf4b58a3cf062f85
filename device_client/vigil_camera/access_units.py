"""One video frame, one packet: what the recorder writes and what every reader of a clip decodes.

A sliced encoder's pictures reach the recorder in pieces and come back from FFmpeg's MPEG-TS reader
in pieces again; the recorder (`recording`), the activity analyzer and the stills all join them here,
so a keyframe decodes as one whole picture everywhere. Imports nothing of the product but PyAV.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import av


def repacket(ref: Any, data: bytes) -> Any:
    """A new packet of `data` with `ref`'s timing and keyframe flag (a joined frame, a repaired
    keyframe)."""
    packet = av.Packet(data)
    packet.pts, packet.dts, packet.time_base = ref.pts, ref.dts, ref.time_base
    packet.duration = ref.duration
    packet.is_keyframe = ref.is_keyframe
    return packet


class FrameJoiner:
    """Joins the packets of one video frame. A sliced encoder's slices can reach the RTSP demuxer as
    separate packets with one timestamp (the first without one), and the MPEG-TS muxer refuses two
    packets with the same DTS; one frame is one packet in a clip."""

    def __init__(self) -> None:
        self.pending: list[Any] = []
        self.pts: int | None = None

    def push(self, packet: Any) -> Any:
        """Add a video packet; returns the previous frame's packet once this one starts a new frame."""
        done = None
        if self.pending and self.pts is not None and packet.pts is not None and packet.pts != self.pts:
            done = self.flush()
        self.pending.append(packet)
        if self.pts is None:
            self.pts = packet.pts
        return done

    def flush(self) -> Any:
        parts, self.pending, self.pts = self.pending, [], None
        if not parts:
            return None
        timed = [p for p in parts if p.pts is not None]
        if len(parts) == 1 or not timed:
            return parts[-1] if timed else None
        joined = repacket(timed[0], b"".join(bytes(p) for p in parts))
        joined.is_keyframe = any(p.is_keyframe for p in parts)
        return joined


def whole_frames(packets: Iterable[Any]) -> Iterator[Any]:
    """The clip's packets with each picture in one packet, as the recorder wrote it.

    A camera whose encoder cuts pictures in slices and whose payloader puts the SPS/PPS in front of
    every IDR slice (GStreamer's `x264enc tune=zerolatency` behind `rtph264pay config-interval=-1`)
    gives keyframes with parameter sets between their slices. The recorder keeps such a keyframe as
    one packet, but FFmpeg's H.264 parser, which the MPEG-TS demuxer runs, starts a new access unit
    at each SPS and hands the keyframe back in pieces, every piece after the first without a
    timestamp. Decoded apart, each piece is a picture of its own slices with the rest concealed from
    an older picture: the timed one showed the lower slices one keyframe (or more) late, and a
    moving object as still. Joined again (`FrameJoiner`, the recorder's own joiner), the
    decoder makes one whole picture. The demuxer's empty end packet passes through (it drains)."""
    joiner = FrameJoiner()
    for packet in packets:
        if packet.size == 0:
            tail = joiner.flush()
            if tail is not None:
                yield tail
            yield packet
            continue
        done = joiner.push(packet)
        if done is not None:
            yield done
    tail = joiner.flush()
    if tail is not None:
        yield tail
