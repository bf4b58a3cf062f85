"""`?x-oss-process=video/snapshot,…` on localcloud: the frame, sized as OSS sizes it, through the real
oss2 client (`process=` on get_object and on a presigned URL); malformed strings answer 400
InvalidArgument with OSS's documented EC (0053-00000101…109); the RAM action is oss:GetObject."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import oss2
import pytest
import requests
from vigil_camera import media, stills

FPS = 10


@pytest.fixture(scope="module")
def ts_clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    out: list[media.Clip] = []
    media.simulate(Path(tmp_path_factory.mktemp("snap")), out.append, fps=FPS, width=640, height=360,
                   clip_seconds=2.0, count=1, realtime=False, keyframe_seconds=1.0)
    return out[0].path.read_bytes()


def shows(picture: bytes) -> object:
    plane = stills.luma(picture)
    return media.read_clock(plane, plane.shape[0])


def test_snapshot_exact_fast_and_sized(oss_env, oss_key, ts_clip):
    bucket = oss_env.bucket()
    bucket.put_object(oss_key, ts_clip)
    first = bucket.get_object(oss_key, process="video/snapshot,t_0,f_jpg").read()
    exact = bucket.get_object(oss_key, process="video/snapshot,t_1550,f_jpg,w_320").read()
    fast = bucket.get_object(oss_key, process="video/snapshot,t_1550,f_jpg,w_320,m_fast").read()
    assert first[:2] == exact[:2] == b"\xff\xd8"
    assert stills.luma(first).shape == (360, 640) and stills.luma(exact).shape == (180, 320)
    assert shows(exact) - shows(first) == timedelta(milliseconds=1500)
    assert shows(fast) - shows(first) == timedelta(seconds=1)
    last = bucket.get_object(oss_key, process="video/snapshot,t_99000,f_png,h_90").read()
    assert last[:4] == b"\x89PNG" and stills.luma(last).shape == (90, 160)
    sides = bucket.get_object(oss_key, process="video/snapshot,t_0,f_jpg,l_320,s_180").read()
    assert stills.luma(sides).shape == (180, 320)
    url = bucket.sign_url("GET", oss_key, 60, params={"x-oss-process": "video/snapshot,t_500,f_jpg,w_320"})
    got = requests.get(url, timeout=30)
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    assert shows(got.content) - shows(first) == timedelta(milliseconds=500)


@pytest.mark.parametrize(("process", "ec"), [
    ("video/snapshot,t_-32,f_jpg", "0053-00000101"),
    ("video/snapshot,t_0,f_jpg,l_-800", "0053-00000102"),
    ("video/snapshot,t_0,f_jpg,s_x", "0053-00000103"),
    ("video/snapshot,t_0,f_jpg,w_-800,h_600", "0053-00000104"),
    ("video/snapshot,t_0,f_jpg,w_800", "0053-00000104"),       # wider than the video
    ("video/snapshot,t_0,f_jpg,h_600", "0053-00000105"),       # taller than the video
    ("video/snapshot,t_0,f_jpg,m_32", "0053-00000106"),
    ("video/snapshot,t_0,f_32", "0053-00000107"),
    ("video/snapshot,t_0,f_jpg,ar_32", "0053-00000108"),
    ("video/snapshot,t7000,f_jpg", "0053-00000109"),
    ("video/snapshot,t_0,f_jpg,q_5", "0053-00000109"),
    ("video/snapshot,t_0,t_1,f_jpg", "0053-00000109"),
    ("video/snapshot,f_jpg", "0053-00000109"),
])
def test_malformed_process_is_invalid_argument_with_oss_ec(oss_env, oss_key, ts_clip, process, ec):
    bucket = oss_env.bucket()
    bucket.put_object(oss_key, ts_clip)
    with pytest.raises(oss2.exceptions.OssError) as err:
        bucket.get_object(oss_key, process=process)
    assert err.value.status == 400 and err.value.code == "InvalidArgument"
    assert err.value.ec == ec


def test_not_a_video_and_missing_key_and_other_processing(oss_env, oss_key):
    bucket = oss_env.bucket()
    bucket.put_object(oss_key, b"plain text, no video")
    with pytest.raises(oss2.exceptions.OssError) as err:
        bucket.get_object(oss_key, process="video/snapshot,t_0,f_jpg")
    assert err.value.status == 400 and err.value.ec == "0053-00000109"
    with pytest.raises(oss2.exceptions.NoSuchKey):
        bucket.get_object(oss_key + "-gone", process="video/snapshot,t_0,f_jpg")
    with pytest.raises(oss2.exceptions.OssError) as err:
        bucket.get_object(oss_key, process="image/resize,w_100")
    assert err.value.status == 501


def test_snapshot_needs_get_object(oss_env, oss_key, ts_clip):
    oss_env.bucket().put_object(oss_key, ts_clip)
    creds = oss_env.sts()      # the uploader role: PutObject on videos/*, no GetObject
    with pytest.raises(oss2.exceptions.AccessDenied):
        oss_env.sts_bucket(creds).get_object(oss_key, process="video/snapshot,t_0,f_jpg")
    reader = oss_env.bucket(user="reader")
    assert reader.get_object(oss_key, process="video/snapshot,t_0,f_jpg,w_64").read()[:2] == b"\xff\xd8"
