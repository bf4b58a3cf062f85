"""Parameter sets put back into keyframes that lost them (`vigil_camera.paramsets`), checked by
decoding with a fresh decoder, as a player opening the clip would."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from vigil_camera.paramsets import CODECS, ParameterSets, split_header

pytestmark = pytest.mark.unit
ENCODERS = {"h264": "libx264", "hevc": "libx265"}


def _keyframes(codec: str, count: int = 2) -> list[bytes]:
    """`count` Annex B keyframes of a real encoder, each with its parameter sets in-band."""
    enc = av.CodecContext.create(ENCODERS[codec], "w")
    enc.width, enc.height, enc.pix_fmt = 64, 64, "yuv420p"
    enc.time_base = Fraction(1, 25)
    enc.gop_size = 1
    enc.options = ({"preset": "ultrafast", "x264-params": "keyint=1:repeat-headers=1"} if codec == "h264"
                   else {"preset": "ultrafast", "x265-params": "keyint=1:repeat-headers=1:log-level=none"})
    out: list[bytes] = []
    for i in range(count):
        frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), 40 * i, dtype=np.uint8), format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts = i
        out += [bytes(p) for p in enc.encode(frame)]
    out += [bytes(p) for p in enc.encode(None)]
    return out[:count]


def _decodes(codec: str, data: bytes) -> int:
    """Frames a fresh decoder makes of one keyframe (0: it cannot start there)."""
    dec = av.CodecContext.create(codec, "r")
    try:
        frames = dec.decode(av.Packet(data)) + dec.decode(None)
    except av.error.InvalidDataError:
        return 0
    return len(frames)


def _rebuild(codec: str, data: bytes, keep: list[int]) -> bytes:
    """The keyframe with its header units chosen by kind, in the order `keep` names them."""
    spec = CODECS[codec]
    units, body_at = split_header(data, spec)
    chosen = [u for kind in keep for u in units if spec.kind(u[0]) == kind]
    return b"".join(b"\x00\x00\x00\x01" + u for u in chosen) + data[body_at:]


@pytest.mark.parametrize("codec", ["h264", "hevc"])
def test_a_keyframe_that_lost_or_reordered_its_parameter_sets_decodes_once_repaired(codec: str) -> None:
    spec = CODECS[codec]
    first, second = _keyframes(codec)
    sets = ParameterSets(codec)
    sps, repaired = sets.keyframe(first)
    assert sps and repaired is None and _decodes(codec, first) == 1       # complete: left as it is
    for broken in (_rebuild(codec, second, list(spec.params[:-1])),        # the PPS lost
                   _rebuild(codec, second, list(spec.params[1:])),         # the SPS lost
                   _rebuild(codec, second, list(reversed(spec.params)))):  # PPS before SPS
        assert _decodes(codec, broken) == 0
        _, repaired = sets.keyframe(memoryview(broken))
        assert repaired is not None and _decodes(codec, repaired) == 1
    assert sets.repaired == 3


def test_the_sdp_parameter_sets_repair_a_stream_that_never_sends_them_in_band() -> None:
    first, second = _keyframes("h264")
    units, body_at = split_header(first, CODECS["h264"])
    extradata = b"".join(b"\x00\x00\x00\x01" + u for u in units if u[0] & 0x1F in (7, 8))
    bare = second[split_header(second, CODECS["h264"])[1]:]
    assert _decodes("h264", bare) == 0
    never_seen = ParameterSets("h264")
    assert never_seen.keyframe(bare) == (b"", None)                        # nothing known: untouched
    sps, repaired = ParameterSets("h264", extradata).keyframe(bare)
    assert sps == b"" and repaired is not None and _decodes("h264", repaired) == 1
    assert ParameterSets("mjpeg").keyframe(bare) == (b"", None)            # not H.264/H.265: untouched
