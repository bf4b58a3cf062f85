"""Stills (issue 24): small JPEGs of a clip's frames, made with PyAV (the `media` extra), no Pillow.

One place for "frame of a clip → JPEG" in the product, used two ways:
- the camera makes one 320-px still per clip from the clip's FIRST KEYFRAME and uploads it under
  `stills/` (`keys.still_key`): every clip starts on a keyframe (`media.ClipCutter`), so that still
  is decoded from one packet (`skip_frame=NONKEY`, the decoder never touches the other frames);
- the api makes the still for an arbitrary instant from the clip's bytes (`frame_at`).
(localcloud's `x-oss-process=video/snapshot` has its own decoder, as OSS does: the emulator
imports nothing of the product.)

Why the camera's decode is its own and not the activity detector's: activity decodes every frame
(scaled luma only); this decodes one keyframe per clip. Sharing a decoder would save the one
keyframe decode (about 2 ms at 640x360, docs/pictures.md) at the price of coupling the two sinks'
lifetimes, so they stay separate.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import av

from .access_units import whole_frames

STILL_WIDTH = 320          # the grid tile and the timeline hover (≈ 9-12 KB at QUALITY)
MIN_WIDTH = 32
MAX_WIDTH = 1920
QUALITY = 6                # FFmpeg mjpeg qscale (2 = best, 31 = worst): 6 keeps digits legible at 320 px
Mode = Literal["exact", "fast"]


class StillError(Exception):
    """The clip cannot be decoded into a still (no video stream, corrupt data, unsupported codec)."""


@dataclass(frozen=True)
class Frame:
    """A decoded frame and where it sits in its clip (seconds from the clip's first frame)."""

    frame: Any              # av.VideoFrame
    offset: float
    keyframe: bool
    width: int
    height: int
    codec: str
    duration: float         # of the whole clip as far as it was read (exact mode reads up to the frame)


def _open(source: bytes | Path | str) -> Any:
    try:
        return av.open(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise StillError(f"not a readable video: {exc}") from None


def _frames(container: Any, *, keyframes_only: bool) -> Iterator[tuple[Any, float]]:
    """(frame, offset seconds) in presentation order as decoded."""
    if not container.streams.video:
        raise StillError("the clip has no video stream")
    stream = container.streams.video[0]
    if keyframes_only:
        stream.codec_context.skip_frame = "NONKEY"
    tb = stream.time_base or Fraction(1, 90000)
    first: int | None = None
    ctx = stream.codec_context
    try:
        # whole pictures: a sliced keyframe decoded in pieces shows its lower slices from an older
        # picture (access_units.whole_frames says why)
        frames = (f for packet in whole_frames(container.demux(stream)) for f in ctx.decode(packet))
        for frame in frames:
            if frame.pts is None:
                continue
            if first is None:
                first = frame.pts
            yield frame, float((frame.pts - first) * tb)
    except av.FFmpegError as exc:
        raise StillError(f"the clip cannot be decoded: {exc}") from None


def frame_at(source: bytes | Path | str, offset: float, *, mode: Mode = "exact") -> Frame:
    """The frame shown at `offset` seconds into the clip: the last frame at or before it (`exact`),
    or the last KEYFRAME at or before it (`fast`, what OSS's `m_fast` does). An offset past the end
    gives the last frame (OSS: "if t exceeds the video's length, the last frame is returned")."""
    with _open(source) as container:
        stream = container.streams.video[0] if container.streams.video else None
        codec = stream.codec_context.name if stream is not None else ""
        chosen: tuple[Any, float] | None = None
        last_offset = 0.0
        for frame, at in _frames(container, keyframes_only=mode == "fast"):
            last_offset = at
            if at > offset + 1e-6 and chosen is not None:
                break
            chosen = (frame, at)
        if chosen is None:
            raise StillError("the clip has no decodable frame")
        frame, at = chosen
        return Frame(frame, at, bool(frame.key_frame), frame.width, frame.height, codec, last_offset)


def scaled_size(src_w: int, src_h: int, width: int = 0, height: int = 0) -> tuple[int, int]:
    """OSS's rule: w and h both 0 → the source size; one 0 → kept in proportion; both → as asked.
    Even sizes (4:2:0 chroma)."""
    if width <= 0 and height <= 0:
        width, height = src_w, src_h
    elif height <= 0:
        height = round(src_h * width / src_w)
    elif width <= 0:
        width = round(src_w * height / src_h)
    return max(2, width - width % 2), max(2, height - height % 2)


def encode(frame: Any, *, width: int = 0, height: int = 0, fmt: Literal["jpg", "png"] = "jpg",
           quality: int = QUALITY) -> bytes:
    """One frame as a JPEG (FFmpeg's mjpeg at a fixed qscale) or PNG, scaled per `scaled_size`."""
    w, h = scaled_size(frame.width, frame.height, width, height)
    if fmt == "png":
        ctx: Any = av.CodecContext.create("png", "w")
        ctx.pix_fmt = "rgb24"
    else:
        ctx = av.CodecContext.create("mjpeg", "w")
        ctx.pix_fmt = "yuvj420p"
        ctx.qmin = ctx.qmax = quality         # a fixed quantiser (what `ffmpeg -q:v` gives), no rate control
    ctx.width, ctx.height = w, h
    ctx.time_base = Fraction(1, 25)
    out = frame.reformat(width=w, height=h, format=ctx.pix_fmt)
    out.pts = 0
    data = b"".join(bytes(p) for p in ctx.encode(out))
    data += b"".join(bytes(p) for p in ctx.encode(None))
    return data


def enqueue_still(spool: Any, clip_path: Path, clip_key: str, *, width: int = STILL_WIDTH) -> bool:
    """The per-clip hook: make the clip's still and queue it for upload (`stills/`), BEFORE the
    clip itself (the grid shows the still of the newest indexed clip, so it should be there first).
    A still that cannot be made is logged and skipped: it never holds up the clip. True if queued."""
    from .keys import still_key_for_clip
    from .logs import get

    key = still_key_for_clip(clip_key)
    if key is None:
        return False
    tmp = clip_path.with_name(clip_path.name + ".jpg")
    try:
        tmp.write_bytes(clip_still(clip_path, width=width))
        return spool.enqueue(tmp, key, move=True) is not None
    except (StillError, OSError) as exc:
        get("vigil_camera.stills").warning("no still for this clip", extra={
            "key": clip_key, "error": f"{type(exc).__name__}: {exc}"})
        tmp.unlink(missing_ok=True)
        return False


def clip_still(path: Path | str | bytes, *, width: int = STILL_WIDTH, quality: int = QUALITY) -> bytes:
    """The camera's still of a clip: its first keyframe, `width` px wide, as JPEG."""
    first = frame_at(path, 0.0, mode="fast")
    return encode(first.frame, width=min(width, first.width), quality=quality)


def luma(picture: bytes) -> Any:
    """A JPEG or PNG's luma plane as a 2-D numpy array (tests and benches read the simulator's clock
    from it with `media.read_clock`)."""
    import numpy as np

    try:
        with av.open(io.BytesIO(picture), "r") as container:
            frame = next(container.decode(video=0))
    except (av.FFmpegError, StopIteration) as exc:
        raise StillError(f"not a picture: {exc}") from None
    gray = frame.reformat(format="gray")
    plane = gray.planes[0]
    rows = np.frombuffer(memoryview(plane), dtype=np.uint8).reshape(-1, plane.line_size)  # type: ignore[arg-type]
    return rows[: gray.height, : gray.width].copy()
