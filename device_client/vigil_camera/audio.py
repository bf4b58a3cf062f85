"""A camera's audio in a clip: AAC passed through, anything else PyAV can decode (G.711 mu-law /
A-law above all) transcoded to AAC, since browsers and hls.js cannot play G.711.

One `AudioTrack` per RTSP session; `open(out)` adds the track's stream to each new clip and
`write(packet)` muxes one input packet into the open clip. Audio is a per-camera setting, off by
default (recording sound is regulated in many places): the recorder makes a track only when asked.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

PASSTHROUGH = frozenset({"aac"})
ENCODE_RATE = 16000


class AudioTrack:
    """Audio of one input stream into the current clip's MPEG-TS container.

    A transcoded track keeps ONE encoder for the whole session (held by a container writing to
    /dev/null; each clip's audio stream carries its parameters): an encoder per clip would
    add its priming and final padding to every clip, 0.26 s of extra sound per clip at 8 kHz. G.711
    is resampled to 16 kHz AAC, whose 64 ms frames keep the cut close to the video's."""

    def __init__(self, stream: Any) -> None:
        self.input = stream
        self.codec = str(stream.codec_context.name)
        self.transcode = self.codec not in PASSTHROUGH
        self._out: Any = None
        self._stream: Any = None
        self._decoder: Any = None
        self._holder: Any = None
        self._encoder: Any = None
        if self.transcode:
            import av

            self._decoder = av.CodecContext.create(self.codec, "r")
            self._decoder.sample_rate = int(stream.codec_context.sample_rate or 8000)
            self._decoder.layout = "mono" if (stream.codec_context.channels or 1) == 1 else "stereo"
            self._holder = av.open("/dev/null", "w", format="mpegts")
            self._encoder = self._holder.add_stream("aac", rate=ENCODE_RATE, layout=self._decoder.layout.name)
            self._encoder.time_base = Fraction(1, ENCODE_RATE)
            self._encoder.codec_context.open(strict=False)   # extradata now: each clip's stream copies it

    def open(self, out: Any) -> None:
        """Add this track to a new clip container (before its first packet is muxed)."""
        self._out = out
        if not self.transcode:
            self._stream = out.add_stream_from_template(self.input)
            return
        # the clip's stream only describes the packets of the session's one encoder
        enc = self._encoder.codec_context
        self._stream = out.add_stream("aac", rate=enc.sample_rate, layout=enc.layout.name)
        self._stream.codec_context.extradata = enc.extradata
        self._stream.time_base = enc.time_base

    def write(self, packet: Any) -> int:
        """Mux `packet` (an input audio packet) into the open clip; returns packets written."""
        if self._out is None or packet.pts is None:
            return 0
        if not self.transcode:
            packet.stream = self._stream
            self._out.mux(packet)
            return 1
        written = 0
        tb = packet.time_base or self.input.time_base
        for frame in self._decoder.decode(packet):
            frame.pts = round(packet.pts * tb * frame.sample_rate)
            frame.time_base = Fraction(1, frame.sample_rate)
            for out_packet in self._encoder.encode(frame):
                out_packet.stream = self._stream
                self._out.mux(out_packet)
                written += 1
        return written

    def close(self) -> None:
        """The clip closes; the encoder goes on into the next one."""
        self._out = None
        self._stream = None

    def release(self) -> None:
        """The session ends: drop the encoder (its tail belongs to no clip)."""
        if self._holder is not None:
            self._holder.close()
            self._holder = None
