"""Keyframe analysis of a main stream from the real RTSP test camera (GStreamer `x264enc
tune=zerolatency`, whose keyframes come in slices with the SPS/PPS in front of each): one picture
per keyframe, and the ball that moves in every frame is seen moving in every second."""

from __future__ import annotations

from pathlib import Path

import av
import pytest
from vigil_camera import media
from vigil_camera.activity.analyzer import ActivityAnalyzer
from vigil_camera.recording import Recorder

from tests.rtsp.server import RtspServer

pytestmark = pytest.mark.integration


def test_keyframes_of_a_sliced_main_stream_show_the_ball_moving(rtsp: RtspServer, tmp_path: Path) -> None:
    clips: list[media.Clip] = []
    Recorder(rtsp.url("video"), tmp_path, clips.append, clip_seconds=2, stop=lambda: len(clips) >= 3,
             name="main").run()
    analyzer = ActivityAnalyzer(mode="keyframes", quiet_stride=False)
    keyframes = active = seconds = 0
    pieces = 0
    for clip in clips[:3]:
        with av.open(str(clip.path)) as container:
            packets = [p for p in container.demux(video=0) if p.size]
        keyframes += sum(1 for p in packets if p.is_keyframe and p.pts is not None)
        pieces += sum(1 for p in packets if p.pts is None)
        activity = analyzer.analyze(clip.path, start=clip.start)
        seconds += len(activity.scores)
        active += sum(1 for s in activity.scores if s > 0)
    assert pieces > 0, "the camera's keyframes no longer come in pieces: this test tests nothing"
    assert analyzer.frames_decoded == keyframes
    assert active >= seconds - 1           # the first keyframe only starts the background
