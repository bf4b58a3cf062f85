"""H.264 / H.265 parameter sets kept per stream and put back into keyframes that lost them.

An MPEG-TS clip has no extradata: a decoder opening it needs the SPS and PPS (and the VPS for
H.265) in-band, before the clip's first keyframe. Over RTP on UDP any of them can be lost (a camera
or packetizer sends each as its own datagram), and then the whole clip up to the next intact
keyframe cannot be decoded. The muxer's own repair inserts the session's extradata only when the
keyframe has no SPS at all; a keyframe that lost only its PPS, or whose PPS now precedes the SPS
(one of two repeated pairs lost), still fails. So the recorder keeps the last parameter sets seen
(from the stream's extradata, i.e. the SDP's sprop-parameter-sets, and from every intact keyframe)
and rebuilds a keyframe's header whenever a kind is missing or out of order: access unit delimiter
first, then VPS, SPS, PPS, then the keyframe's other header units (SEI), then its slices.

Runs once per keyframe, reading only the bytes before the first slice; the keyframe is copied only
when it needs a repair.
"""

from __future__ import annotations

from dataclasses import dataclass

START = b"\x00\x00\x01"
HEAD_SCAN = 8192      # bytes read for the header units; a larger header is read whole


@dataclass(frozen=True)
class _Codec:
    params: tuple[int, ...]     # parameter-set NAL types, in the order a decoder needs them
    aud: int                    # access unit delimiter
    shift: int                  # NAL type = (first byte >> shift) & mask
    mask: int
    vcl_below: int              # NAL types below this (and above 0 for H.264) are slices

    def kind(self, header: int) -> int:
        return (header >> self.shift) & self.mask

    def is_slice(self, kind: int) -> bool:
        return kind < self.vcl_below and (kind > 0 or self.shift > 0)


CODECS = {"h264": _Codec(params=(7, 8), aud=9, shift=0, mask=0x1F, vcl_below=6),
          "hevc": _Codec(params=(32, 33, 34), aud=35, shift=1, mask=0x3F, vcl_below=32)}


def split_header(data: bytes, codec: _Codec) -> tuple[list[bytes], int]:
    """(the NAL units before the first slice, header byte included, trailing zeros stripped; the
    offset of the first slice's start code, len(data) if none)."""
    units: list[bytes] = []
    pos = data.find(START)
    while pos != -1:
        start = pos + 3
        if start >= len(data):
            break
        kind = codec.kind(data[start])
        if codec.is_slice(kind):
            return units, pos - 1 if pos and data[pos - 1] == 0 else pos
        nxt = data.find(START, start)
        unit = data[start:nxt if nxt != -1 else len(data)].rstrip(b"\x00")
        if unit:
            units.append(unit)
        pos = nxt
    return units, len(data)


class ParameterSets:
    """The last parameter sets of one video stream, and the repair of a keyframe's header."""

    def __init__(self, codec: str, extradata: bytes | None = None) -> None:
        self.codec = CODECS.get(codec)
        self.sets: dict[int, list[bytes]] = {}
        self.repaired = 0
        if self.codec is not None and extradata and extradata.startswith((START, b"\x00" + START)):
            units, _ = split_header(extradata, self.codec)    # Annex B (RTSP's sprop-parameter-sets)
            self._keep(units)

    def _keep(self, units: list[bytes]) -> dict[int, list[bytes]]:
        assert self.codec is not None
        found: dict[int, list[bytes]] = {}
        for unit in units:
            kind = self.codec.kind(unit[0])
            if kind in self.codec.params and unit not in found.setdefault(kind, []):
                found[kind].append(unit)
        self.sets.update(found)
        return found

    def keyframe(self, data: bytes | memoryview) -> tuple[bytes, bytes | None]:
        """For one keyframe: (its in-band SPS, b"" if none: a change means a new format; the
        repaired keyframe, or None when it is complete already or nothing is known to repair it)."""
        codec = self.codec
        if codec is None:
            return b"", None
        head = bytes(data[:HEAD_SCAN])
        units, body_at = split_header(head, codec)
        if body_at == len(head) and len(head) < len(data):
            head = bytes(data)
            units, body_at = split_header(head, codec)
        found = self._keep(units)
        sps = b"".join(sorted(found.get(codec.params[-2], [])))
        order = [k for k in (codec.kind(u[0]) for u in units) if k in codec.params]
        firsts = [order.index(k) for k in codec.params if k in order]
        if len(firsts) == len(codec.params) and firsts == sorted(firsts):
            return sps, None                    # every kind there, each before the next one's first
        if any(k not in self.sets for k in codec.params) or body_at >= len(data):
            return sps, None
        aud = [u for u in units if codec.kind(u[0]) == codec.aud][:1]
        others = [u for u in units if codec.kind(u[0]) not in codec.params and codec.kind(u[0]) != codec.aud]
        ordered = aud + [u for k in codec.params for u in found.get(k) or self.sets[k]] + others
        self.repaired += 1
        return sps, b"".join(b"\x00\x00\x00\x01" + u for u in ordered) + bytes(data[body_at:])
