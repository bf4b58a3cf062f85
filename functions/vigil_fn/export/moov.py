"""Moving an MP4's `moov` box in front of its `mdat` (what `-movflags +faststart` does), as a
pure function over the moov bytes: every chunk offset (`stco`/`co64`) grows by the moov's size.

FFmpeg's own faststart reads the finished file back and shifts all media bytes, which needs the
whole file on a seekable local disk. The export streams the media bytes straight into multipart
parts instead, keeps only the head (ftyp + mdat header) and the moov in memory, and places the
patched moov in the first part — the same file, without a second pass over the media.
"""

from __future__ import annotations

import struct

# Boxes on the path from moov down to the chunk offset tables; everything else is copied verbatim.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}
_U32_MAX = 0xFFFFFFFF


class BoxError(ValueError):
    """The bytes are not the MP4 structure the muxer writes."""


def iter_boxes(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[bytes, int, int, int]]:
    """(type, box start, payload start, box end) of the boxes laid side by side in data[start:end]."""
    end = len(data) if end is None else end
    out = []
    pos = start
    while pos < end:
        if end - pos < 8:
            raise BoxError(f"truncated box header at {pos}")
        size, kind = struct.unpack_from(">I4s", data, pos)
        header = 8
        if size == 1:
            if end - pos < 16:
                raise BoxError(f"truncated large box header at {pos}")
            (size,) = struct.unpack_from(">Q", data, pos + 8)
            header = 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise BoxError(f"box {kind!r} at {pos} has a bad size {size}")
        out.append((kind, pos, pos + header, pos + size))
        pos += size
    return out


def _box(kind: bytes, payload: bytes) -> bytes:
    size = 8 + len(payload)
    if size > _U32_MAX:
        return struct.pack(">I4sQ", 1, kind, size + 8) + payload
    return struct.pack(">I4s", size, kind) + payload


def _offsets(kind: bytes, payload: bytes) -> tuple[bytes, list[int]]:
    """(version+flags, offsets) of an stco/co64 payload."""
    if len(payload) < 8:
        raise BoxError(f"{kind!r} too short")
    (count,) = struct.unpack_from(">I", payload, 4)
    width = 4 if kind == b"stco" else 8
    if len(payload) < 8 + count * width:
        raise BoxError(f"{kind!r} shorter than its {count} entries")
    fmt = f">{count}{'I' if width == 4 else 'Q'}"
    return payload[:4], list(struct.unpack_from(fmt, payload, 8))


def _rebuild(data: bytes, start: int, end: int, delta: int) -> bytes:
    parts = []
    for kind, _box_start, payload_start, box_end in iter_boxes(data, start, end):
        payload = data[payload_start:box_end]
        if kind in _CONTAINERS:
            parts.append(_box(kind, _rebuild(data, payload_start, box_end, delta)))
        elif kind in (b"stco", b"co64"):
            flags, offsets = _offsets(kind, payload)
            moved = [o + delta for o in offsets]
            if kind == b"stco" and moved and max(moved) > _U32_MAX:
                kind = b"co64"  # offsets past 4 GiB need 64-bit entries
            fmt = f">{len(moved)}{'I' if kind == b'stco' else 'Q'}"
            parts.append(_box(kind, flags + struct.pack(">I", len(moved)) + struct.pack(fmt, *moved)))
        else:
            parts.append(data[_box_start:box_end])
    return b"".join(parts)


def shifted_moov(moov: bytes) -> bytes:
    """The moov box rewritten for a place in front of the media: offsets + its own final size.

    Converting an stco to co64 grows the box, which moves the media further, so iterate until
    the size is stable (at most a couple of rounds).
    """
    boxes = iter_boxes(moov)
    if len(boxes) != 1 or boxes[0][0] != b"moov":
        raise BoxError("expected exactly one moov box")
    delta = len(moov)
    for _ in range(8):
        out = _rebuild(moov, 0, len(moov), delta)
        if len(out) == delta:
            return out
        delta = len(out)
    raise BoxError("moov size did not converge")


def chunk_offsets(moov: bytes) -> list[list[int]]:
    """The chunk offsets of every track (tests and sanity checks)."""
    found: list[list[int]] = []

    def walk(start: int, end: int) -> None:
        for kind, _s, payload_start, box_end in iter_boxes(moov, start, end):
            if kind in _CONTAINERS:
                walk(payload_start, box_end)
            elif kind in (b"stco", b"co64"):
                found.append(_offsets(kind, moov[payload_start:box_end])[1])

    walk(0, len(moov))
    return found
