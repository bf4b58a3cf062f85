from __future__ import annotations

from datetime import datetime, timezone

import av
import numpy as np
import pytest
from vigil_camera import media
from vigil_camera.clipinfo import clip_info

pytestmark = pytest.mark.unit


def test_digits_are_drawn():
    img = media.render_glyphs("0123456789:", scale=2)
    assert img.shape == (10, 88)
    one, eight = img[:, 8:14], img[:, 64:70]
    assert (eight > 0).sum() > (one > 0).sum() > 0
    assert not np.array_equal(media.render_glyphs("1"), media.render_glyphs("7"))


def test_simulator_clips_decode_with_expected_duration(tmp_path):
    clips: list[media.Clip] = []
    fps, seconds = 10, 1.5
    made = media.simulate(tmp_path, clips.append, fps=fps, width=160, height=96, clip_seconds=seconds,
                          count=3, realtime=False)
    assert made == 3 and [c.seq for c in clips] == [0, 1, 2]
    for clip in clips:
        assert clip.path.suffix == ".ts" and not list(tmp_path.glob("*.part"))
        with av.open(str(clip.path)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            frames = list(container.decode(stream))
        assert frames[0].key_frame
        duration = media.clip_duration(clip.path)
        assert abs(duration - seconds) <= 1.0 / fps + 1e-6
        assert abs(len(frames) - seconds * fps) <= 1
        ms = clip.start.microsecond // 1000 * 1000
        assert clip_info(clip.path).start == clip.start.replace(microsecond=ms)


def test_time_is_drawn_into_frames(tmp_path):
    moment = datetime(2026, 11, 28, 12, 34, 56, 789000, tzinfo=timezone.utc)
    a = media.test_frame(320, 180, 0, 10, moment).to_ndarray(format="gray")
    b = media.test_frame(320, 180, 0, 10, moment.replace(second=57)).to_ndarray(format="gray")
    assert a.shape == (180, 320)
    assert not np.array_equal(a[:20, :], b[:20, :])       # the clock text differs
    assert np.array_equal(a[40:, :], b[40:, :])           # the pattern does not


def test_record_remuxes_without_reencoding(tmp_path):
    src_clips: list[media.Clip] = []
    media.simulate(tmp_path / "src", src_clips.append, fps=10, width=160, height=96, clip_seconds=1.0,
                   count=4, realtime=False)
    joined = tmp_path / "joined.ts"
    joined.write_bytes(b"".join(c.path.read_bytes() for c in src_clips))
    out: list[media.Clip] = []
    made = media.record(str(joined), tmp_path / "out", out.append, clip_seconds=2.0)
    assert made == 2
    with av.open(str(src_clips[0].path)) as a, av.open(str(out[0].path)) as b:
        pa = [bytes(p) for p in a.demux(video=0) if p.size]
        pb = [bytes(p) for p in b.demux(video=0) if p.size]
    assert pb[: len(pa)] == pa                           # packets copied byte for byte
    assert abs(media.clip_duration(out[0].path) - 2.0) <= 0.1 + 1e-6
