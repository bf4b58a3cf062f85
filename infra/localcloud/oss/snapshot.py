"""`GET <object>?x-oss-process=video/snapshot,…`: OSS's video snapshot, rendered with PyAV.

The grammar and limits are OSS's ("Video snapshots" and the error pages 0053-00000101…109):
parameters after `video/snapshot` are comma-separated `name_value` pairs —
`t` (ms, ≥ 0; past the end → the last frame), `w` / `h` (px, 0 … the video's width / height; 0 keeps
the proportion, both 0 → source size), `l` / `s` (longer / shorter side, 0 … the video's),
`m_fast` (the nearest keyframe at or before t instead of the exact frame), `f_jpg|png`,
`ar_auto|h|w` (auto-rotation). A bad value is 400 `InvalidArgument` with the documented EC
(t 101, l 102, s 103, w 104, h 105, m 106, f 107, ar 108, anything that does not parse 109).

Where localcloud differs from OSS (said here, as moto does):
- OSS documents H.264 / H.265 only and says nothing of containers; localcloud decodes whatever
  FFmpeg opens (MPEG-TS included) but refuses other codecs with 400 InvalidArgument / EC 109.
  Whether real OSS reads MPEG-TS objects is unknown, so Vigil never relies on it (docs/pictures.md).
- `ar` is accepted and ignored (the clips carry no rotation).
- A clip that does not decode is 400 InvalidArgument (EC 109): OSS's answer is not documented.
- Only `video/snapshot` is served; any other `x-oss-process` (image/…, style/…) is NotImplemented.
- The snapshot is not billed or counted anywhere; OSS bills per snapshot (docs/pictures.md).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.protocol.context import Call
from localcloud.oss.protocol.responses import Response

PREFIX = "video/snapshot"
MAX_SOURCE_BYTES = 512 << 20
CODECS = ("h264", "hevc")
EC = {"t": "0053-00000101", "l": "0053-00000102", "s": "0053-00000103", "w": "0053-00000104",
      "h": "0053-00000105", "m": "0053-00000106", "f": "0053-00000107", "ar": "0053-00000108"}
EC_PARSE = "0053-00000109"
_INT = re.compile(r"[0-9]{1,9}")


def snapshot_error(name: str, value: str, message: str) -> OSSError:
    """400 InvalidArgument with OSS's snapshot EC for the parameter at fault."""
    ec = EC.get(name, EC_PARSE)
    return InvalidArgument(message, "x-oss-process", value, headers={"x-oss-ec": ec})


@dataclass(frozen=True)
class Snapshot:
    t_ms: int = 0
    w: int = 0
    h: int = 0
    long_side: int = 0
    short_side: int = 0
    fast: bool = False
    fmt: str = "jpg"
    auto_rotate: str = ""


def parse(process: str) -> Snapshot:
    """`video/snapshot,t_7000,f_jpg,w_800,h_600,m_fast` → Snapshot; OSSError for anything else."""
    head, _, rest = process.partition(",")
    if head.strip() != PREFIX:
        raise OSSError("NotImplemented", f"localcloud serves x-oss-process={PREFIX} only", 501)
    values: dict[str, str] = {}
    for token in rest.split(",") if rest else []:
        name, sep, value = token.partition("_")
        if not sep or not value or name not in EC or name in values:
            raise snapshot_error("", process, f"The video snapshot parameter {token!r} cannot be parsed.")
        values[name] = value
    for name in ("t", "w", "h", "l", "s"):
        if name in values and not _INT.fullmatch(values[name]):
            raise snapshot_error(name, process, f"The {name} parameter must be a non-negative integer.")
    if values.get("m", "fast") != "fast":
        raise snapshot_error("m", process, "The m parameter must be fast.")
    if values.get("f", "jpg") not in ("jpg", "png"):
        raise snapshot_error("f", process, "The f parameter must be jpg or png.")
    if values.get("ar", "auto") not in ("auto", "h", "w"):
        raise snapshot_error("ar", process, "The ar parameter must be auto, h or w.")
    if "f" not in values or "t" not in values:
        raise snapshot_error("", process, "A video snapshot needs t and f.")
    return Snapshot(t_ms=int(values["t"]), w=int(values.get("w", 0)), h=int(values.get("h", 0)),
                    long_side=int(values.get("l", 0)), short_side=int(values.get("s", 0)),
                    fast="m" in values, fmt=values["f"], auto_rotate=values.get("ar", ""))


def _size(snap: Snapshot, src_w: int, src_h: int, process: str) -> tuple[int, int]:
    """The requested size checked against the video's (w ≤ width, h ≤ height, l/s ≤ its sides)."""
    for name, value, limit in (("w", snap.w, src_w), ("h", snap.h, src_h),
                               ("l", snap.long_side, max(src_w, src_h)), ("s", snap.short_side, min(src_w, src_h))):
        if value > limit:
            raise snapshot_error(name, process, f"The {name} parameter must be between 0 and {limit}.")
    if snap.long_side or snap.short_side:
        landscape = src_w >= src_h
        w, h = (snap.long_side, snap.short_side) if landscape else (snap.short_side, snap.long_side)
        return w, h
    return snap.w, snap.h


def _pick(data: bytes, t_ms: int, fast: bool) -> tuple[Any, str]:
    """The frame OSS returns for `t` (the last one at or before it; `m_fast`: the last keyframe at or
    before it; past the end: the last one) and the stream's codec name. localcloud's own decoder, as
    OSS has its own: the emulator imports nothing of the product it emulates for."""
    import av

    try:
        with av.open(io.BytesIO(data), "r") as box:
            if not box.streams.video:
                raise ValueError("no video stream")
            stream = box.streams.video[0]
            tb = stream.time_base or Fraction(1, 90000)
            if fast:
                stream.codec_context.skip_frame = "NONKEY"
            chosen, first = None, None
            for frame in box.decode(stream):
                if frame.pts is None:
                    continue
                first = frame.pts if first is None else first
                if chosen is not None and (frame.pts - first) * tb * 1000 > t_ms:
                    break
                chosen = frame
            if chosen is None:
                raise ValueError("no decodable frame")
            return chosen, stream.codec_context.name
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise DecodeFailed(str(exc)) from None


class DecodeFailed(Exception):
    pass


def _encode(frame: Any, w: int, h: int, fmt: str) -> bytes:
    """`w`/`h` as OSS reads them (0 keeps the proportion; both 0: the source size), even sizes."""
    import av

    if not w and not h:
        w, h = frame.width, frame.height
    w = w or round(frame.width * h / frame.height)
    h = h or round(frame.height * w / frame.width)
    w, h = max(2, w - w % 2), max(2, h - h % 2)
    codec: Any = av.CodecContext.create("png" if fmt == "png" else "mjpeg", "w")
    codec.pix_fmt, codec.width, codec.height = ("rgb24" if fmt == "png" else "yuvj420p"), w, h
    codec.time_base = Fraction(1, 25)
    if fmt != "png":
        codec.qmin = codec.qmax = 5
    image = frame.reformat(width=w, height=h, format=codec.pix_fmt)
    image.pts = 0
    return b"".join(bytes(p) for p in [*codec.encode(image), *codec.encode(None)])


def render(data: bytes, process: str) -> tuple[bytes, str]:
    """The snapshot's bytes and Content-Type."""
    snap = parse(process)
    try:
        frame, codec = _pick(data, snap.t_ms, snap.fast)
    except DecodeFailed as exc:
        raise snapshot_error("", process, f"The video cannot be decoded: {exc}") from None
    if codec not in CODECS:
        raise snapshot_error("", process, f"Video snapshots support H.264 and H.265 only, not {codec}.")
    w, h = _size(snap, frame.width, frame.height, process)
    if snap.fmt == "png":
        return _encode(frame, w, h, "png"), "image/png"
    return _encode(frame, w, h, "jpg"), "image/jpeg"


def get_snapshot(call: Call) -> Response:
    """The handler of `GET ?x-oss-process=video/snapshot,…` (RAM: oss:GetObject on the object)."""
    process = call.req.params.get("x-oss-process", "")
    parse(process)  # malformed strings are refused before the object is read, as OSS does
    info, reader = call.store.open_object(call.bucket, call.key)
    try:
        if info.size > MAX_SOURCE_BYTES:
            raise snapshot_error("", process, "The video is too large for a snapshot.")
        data = reader.read(info.size)
    finally:
        reader.close()
    body, content_type = render(data, process)
    return Response(200, {"Content-Type": content_type}, body=body)
