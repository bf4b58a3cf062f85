"""Keyframes cut in slices, each slice behind its own SPS/PPS (found on the gateway's RTSP test camera).

GStreamer's `x264enc tune=zerolatency` encodes each picture as several slices (sliced threads), and
`rtph264pay config-interval=-1` puts the SPS and PPS in front of every IDR slice. A clip keeps such
a keyframe as one packet, but FFmpeg's H.264 parser (the MPEG-TS demuxer runs it) starts a new
access unit at every SPS: reading the clip back, the keyframe comes in two packets, the second
without a timestamp. Decoded apart they are two pictures, each with the other's slices filled in from
an older picture, and the one with the timestamp showed what moved in its lower half at an earlier
place. Here the same stream is made with libx264 (zerolatency, two slices) and the parameter sets
put in front of each IDR slice as the payloader does; the object moves in the lower slice only."""

from __future__ import annotations

from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from vigil_camera import media, stills
from vigil_camera.access_units import repacket
from vigil_camera.activity.analyzer import ActivityAnalyzer
from vigil_camera.mediafacts.h264 import iter_nal_units

W, H, FPS, SECONDS = 320, 192, 10, 8
SIDE = 24
ROW = 140                           # the object's top: well inside the lower slice
SPEED = 30.0                        # px a second: 30 px between keyframes, more than its own width


def _x(t: float) -> float:
    return 10 + SPEED * t


def _picture(t: float) -> np.ndarray:
    rng = np.random.default_rng(7)                   # the same textured background in every frame
    luma = (60 + rng.integers(0, 40, size=(H, W))).astype(np.uint8)
    x = int(round(_x(t)))
    luma[ROW:ROW + SIDE, x:x + SIDE] = 230
    return luma


def _payloader_keyframe(data: bytes) -> bytes:
    """What `rtph264pay config-interval=-1` makes of a keyframe: SPS and PPS before every IDR slice."""
    nals = list(iter_nal_units(data))
    params = [n for n in nals if n[0] & 0x1F in (7, 8)]
    out = bytearray()
    for nal in nals:
        if nal[0] & 0x1F in (7, 8):
            continue
        if nal[0] & 0x1F == 5:
            for p in params:
                out += b"\x00\x00\x00\x01" + p
        out += b"\x00\x00\x00\x01" + nal
    return bytes(out)


def _sliced_clip(tmp_path: Path) -> Path:
    holder = av.open("/dev/null", "w", format="mpegts")
    stream: Any = holder.add_stream("libx264", rate=FPS)
    stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
    stream.codec_context.time_base = Fraction(1, FPS)
    stream.codec_context.options = {"preset": "ultrafast", "tune": "zerolatency",
                                    "x264-params": f"keyint={FPS}:min-keyint={FPS}:scenecut=0:slices=2"}
    clips: list[media.Clip] = []
    cutter = media.ClipCutter(tmp_path, stream, SECONDS + 10, clips.append)
    start = datetime(2026, 12, 7, tzinfo=timezone.utc)
    sliced = 0

    def add(packet: Any) -> None:
        nonlocal sliced
        if packet.is_keyframe:
            idr = [n for n in iter_nal_units(bytes(packet)) if n[0] & 0x1F == 5]
            sliced += len(idr) > 1
            packet = repacket(packet, _payloader_keyframe(bytes(packet)))
        cutter.add(packet, start)

    try:
        for i in range(FPS * SECONDS):
            frame = av.VideoFrame.from_ndarray(_picture(i / FPS), format="gray").reformat(format="yuv420p")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            for packet in stream.encode(frame):
                add(packet)
        for packet in stream.encode(None):
            add(packet)
        cutter.finish()
    finally:
        holder.close()
    assert sliced == SECONDS, "the encoder did not cut each keyframe in slices"
    return clips[0].path


def test_a_sliced_keyframe_is_decoded_as_one_picture(tmp_path: Path) -> None:
    path = _sliced_clip(tmp_path)
    # the demuxer really hands the keyframe over in two packets, the second without a timestamp
    with av.open(str(path)) as container:
        packets = [p for p in container.demux(video=0) if p.size]
    assert sum(1 for p in packets if p.pts is None) == SECONDS
    analyzer = ActivityAnalyzer(mode="keyframes", quiet_stride=False)
    activity = analyzer.analyze(path)
    assert analyzer.frames_decoded == SECONDS                 # one picture per keyframe
    for second in range(1, SECONDS):
        box = activity.boxes[second]
        assert box is not None and activity.scores[second] > 0, (second, activity.scores)
        # the box holds where the object is at this keyframe (and where it left), not an older place
        left, top, right, bottom = (v * s for v, s in zip(box, (W, H, W, H), strict=True))
        x = _x(second)
        assert left - 5 <= x and x + SIDE <= right + 5, (second, x, box)
        assert top - 5 <= ROW and ROW + SIDE <= bottom + 5, (second, box)


def test_a_still_of_a_sliced_keyframe_shows_the_whole_picture(tmp_path: Path) -> None:
    """The camera's still (first keyframe, `fast`) and the api's still at a later keyframe: the object
    is where it is at that instant in the lower slice too (decoded in pieces, that slice came from an
    older picture, up to 45 levels off on a real GStreamer-recorded clip)."""
    path = _sliced_clip(tmp_path)
    for second in (0, 3, 6):
        shot = stills.frame_at(path, float(second), mode="fast")
        assert shot.offset == second and shot.keyframe
        luma = shot.frame.to_ndarray(format="gray")
        x = int(round(_x(second)))
        inside = luma[ROW + 4:ROW + SIDE - 4, x + 4:x + SIDE - 4]
        assert inside.mean() > 180, (second, inside.mean())           # the object is drawn where it is now
        expected = _picture(second).astype(int)
        assert abs(luma.astype(int) - expected)[H // 2:].mean() < 8    # the lower slice is this picture's
