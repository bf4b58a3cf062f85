"""The camera's stills: a small JPEG of each clip's first keyframe, queued beside the clip; the frame
at any offset of a clip (exact or keyframe), read back through the clock the simulator draws."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from vigil_camera import media, stills
from vigil_camera.keys import clip_key, parse_clip_key, still_key, still_key_for_clip
from vigil_camera.spool import Spool

pytestmark = pytest.mark.unit
FPS = 10


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> media.Clip:
    """One 2-second 640x360 clip with a keyframe every second (two GOPs)."""
    out: list[media.Clip] = []
    media.simulate(tmp_path_factory.mktemp("clip"), out.append, fps=FPS, width=640, height=360, clip_seconds=2.0,
                   count=1, realtime=False, keyframe_seconds=1.0)
    return out[0]


def shows(picture: bytes) -> datetime:
    plane = stills.luma(picture)
    return media.read_clock(plane, plane.shape[0])


def test_still_keys_mirror_their_clips_and_are_no_clips() -> None:
    t = datetime(2026, 12, 1, 10, 0, 0, 250_000, tzinfo=timezone.utc)
    key = still_key("cam-one", t, 7)
    assert key == "stills/cam-one/2026/12/01/100000250Z-7.jpg"
    assert still_key_for_clip(clip_key("cam-one", t, 7, "ts")) == key
    assert still_key_for_clip(clip_key("cam-one", t, 7, "mp4")) == key
    assert parse_clip_key(key) is None            # the indexer never takes a still for a clip
    assert still_key_for_clip("videos/cam-one/2026/12/01/x.ts") is None
    with pytest.raises(ValueError):
        still_key("../etc", t, 1)


def test_camera_still_is_a_small_jpeg_of_the_first_frame(clip: media.Clip) -> None:
    jpeg = stills.clip_still(clip.path)
    assert jpeg[:2] == b"\xff\xd8" and len(jpeg) <= 15_000
    assert stills.luma(jpeg).shape == (180, 320)
    assert shows(jpeg) == clip.start.replace(microsecond=clip.start.microsecond // 1000 * 1000)


def test_frame_at_exact_and_fast(clip: media.Clip) -> None:
    data = clip.path.read_bytes()
    start = shows(stills.encode(stills.frame_at(data, 0.0).frame))
    exact = stills.frame_at(data, 1.55)
    assert exact.offset == pytest.approx(1.5) and not exact.keyframe and exact.codec == "h264"
    assert shows(stills.encode(exact.frame)) - start == timedelta(milliseconds=1500)
    fast = stills.frame_at(data, 1.55, mode="fast")
    assert fast.keyframe and shows(stills.encode(fast.frame)) - start == timedelta(seconds=1)
    last = stills.frame_at(data, 60.0)            # past the end: the last frame, as OSS does
    assert shows(stills.encode(last.frame)) - start == timedelta(milliseconds=1900)
    small = stills.encode(exact.frame, width=160)
    assert stills.luma(small).shape == (90, 160)
    png = stills.encode(exact.frame, fmt="png")
    assert png[:4] == b"\x89PNG" and stills.luma(png).shape == (360, 640)


def test_undecodable_input_is_a_still_error(tmp_path: Path) -> None:
    with pytest.raises(stills.StillError):
        stills.frame_at(b"\x47" + b"\x00" * 5000, 0.0)
    with pytest.raises(stills.StillError):
        stills.luma(b"not a picture")


def test_still_is_queued_before_its_clip(clip: media.Clip, tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    copy = tmp_path / clip.path.name
    copy.write_bytes(clip.path.read_bytes())
    key = clip_key("cam-one", clip.start, clip.seq, "ts")
    assert stills.enqueue_still(spool, copy, key)
    spool.enqueue(copy, key, move=True)
    keys = [e.key for e in spool.entries()]
    assert keys == [still_key_for_clip(key), key]
    assert not list(tmp_path.glob("*.jpg"))       # moved into the spool


def test_a_clip_without_a_still_still_goes(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool")
    bad = tmp_path / "20261201T100000000Z-000001.ts"
    bad.write_bytes(b"\x47" + b"\x00" * 1000)
    key = clip_key("cam-one", datetime(2026, 12, 1, 10, tzinfo=timezone.utc), 1, "ts")
    assert not stills.enqueue_still(spool, bad, key)
    assert spool.entries() == [] and bad.exists() and not list(tmp_path.glob("*.jpg"))
