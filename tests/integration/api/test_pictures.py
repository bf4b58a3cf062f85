"""Pictures through the real api function on localcloud: the still for any instant (read back through
the clock the simulator drew into the frame), stills over a range, each camera's newest still, an MP4
clip's still through OSS's snapshot, and the bad input of issue 24 (404 with the nearest recorded
instants, 400 for a width out of range or a range too long, 422 for a clip that does not decode,
403 for a camera that is not yours)."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import av
import pytest
import requests
from vigil_camera import media, stills
from vigil_camera.keys import clip_key, still_key_for_clip
from vigil_fn.core.devices import DeviceRecord, Registry

from .conftest import Api, wait_indexed

FPS = 10
T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=30)   # today: the grid's newest
T0_MS = int(T0.timestamp() * 1000)


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> list[bytes]:
    """Two 2-second 640x360 clips (keyframe every second) with the clock drawn in each frame."""
    out: list[media.Clip] = []
    media.simulate(Path(tmp_path_factory.mktemp("pics")), out.append, fps=FPS, width=640, height=360,
                   clip_seconds=2.0, count=2, realtime=False, keyframe_seconds=1.0)
    return [c.path.read_bytes() for c in out]


def shows_ms(picture: bytes) -> int:
    plane = stills.luma(picture)
    return int(media.read_clock(plane, plane.shape[0]).timestamp() * 1000)


def remux_mp4(ts: bytes) -> bytes:
    """The same H.264 packets in a progressive MP4 (OSS documents snapshots of H.264 MP4)."""
    src, buf = av.open(io.BytesIO(ts)), io.BytesIO()
    with av.open(buf, "w", format="mp4") as out:
        stream = out.add_stream_from_template(src.streams.video[0])
        for packet in src.demux(src.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    src.close()
    return buf.getvalue()


@pytest.fixture(scope="module")
def pictured(cloud: Any, clips: list[bytes]) -> tuple[str, list[str], list[int]]:
    """A camera with clips at T0 and T0+2 s (continuous), a gap, and one at T0+60 s; stills beside each."""
    camera = f"pic-{uuid.uuid4().hex[:8]}"
    Registry(cloud.bucket()).create(DeviceRecord(camera, name="pictures"))
    bucket = cloud.bucket()
    keys, starts = [], []
    for seq, (offset, data) in enumerate([(0, clips[0]), (2, clips[1]), (60, clips[0])]):
        start = T0 + timedelta(seconds=offset)
        key = clip_key(camera, start, seq, "ts")
        bucket.put_object(still_key_for_clip(key), stills.clip_still(data), headers={"Content-Type": "image/jpeg"})
        bucket.put_object(key, data, headers={"Content-Type": "video/mp2t"})
        keys.append(key)
        starts.append(int(start.timestamp() * 1000))
    wait_indexed(cloud, camera, keys)
    return camera, keys, starts


def test_still_at_any_instant_is_the_frame_at_or_just_before_it(pictured, make_user, client) -> None:
    camera, _, _ = pictured
    api: Api = client(make_user())
    first = api.get(f"/api/v1/cameras/{camera}/still", params={"at": T0_MS})
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/jpeg"
    drawn0 = shows_ms(first.content)            # the clock drawn into the clip's first frame
    for offset in (0, 550, 1999, 2000, 3350):
        at = T0_MS + offset
        got = api.get(f"/api/v1/cameras/{camera}/still", params={"at": at, "w": 320})
        assert got.status_code == 200, got.text
        shown = shows_ms(got.content) - drawn0
        assert offset - 1000 // FPS < shown <= offset, (offset, shown)   # within one frame, never after T
        assert stills.luma(got.content).shape == (180, 320)
    iso = (T0 + timedelta(milliseconds=1200)).isoformat().replace("+00:00", "Z")
    got = api.get(f"/api/v1/cameras/{camera}/still", params={"at": iso, "w": 160})
    assert got.status_code == 200 and stills.luma(got.content).shape == (90, 160)
    assert shows_ms(got.content) - drawn0 == 1200
    assert len(api.get(f"/api/v1/cameras/{camera}/still", params={"at": T0_MS + 500}).content) <= 15_000


def test_no_recording_is_404_with_the_nearest_instants(pictured, make_user, client) -> None:
    camera, _, starts = pictured
    api: Api = client(make_user())
    gap = api.get(f"/api/v1/cameras/{camera}/still", params={"at": T0_MS + 30_000})
    err = gap.json()["error"]
    assert gap.status_code == 404 and err["code"] == "no_recording"
    assert starts[1] < err["nearest_before"] < starts[1] + 2100 and err["nearest_after"] == starts[2]
    before = api.get(f"/api/v1/cameras/{camera}/still", params={"at": T0_MS - 5_000}).json()["error"]
    assert before["nearest_after"] == starts[0]


@pytest.mark.parametrize("params", [{"w": 8}, {"w": 5000}, {"w": "wide"}, {"at": "yesterday"}, {"zoom": 2}])
def test_bad_still_queries_are_400(pictured, make_user, client, params) -> None:
    camera, _, _ = pictured
    api: Api = client(make_user())
    got = api.get(f"/api/v1/cameras/{camera}/still", params={"at": T0_MS, **params})
    assert got.status_code == 400 and got.json()["error"]["code"] == "invalid_request"


@pytest.mark.parametrize("route", ["still", "preview.mp4"])   # the camera page's preview (issue 30) decodes it too
def test_a_clip_that_does_not_decode_is_422(cloud, clips, make_user, client, route) -> None:
    camera = f"pic-{uuid.uuid4().hex[:8]}"
    Registry(cloud.bucket()).create(DeviceRecord(camera, name="broken"))
    data = bytearray(clips[0])
    for i in range(188 * 4, len(data) - 188 * 8, 188):      # keep the tables and the tail, lose the frames
        data[i + 4:i + 188] = b"\xff" * 184
    key = clip_key(camera, T0, 0, "ts")
    cloud.bucket().put_object(key, bytes(data), headers={"Content-Type": "video/mp2t"})
    wait_indexed(cloud, camera, [key])
    api: Api = client(make_user())
    got = api.get(f"/api/v1/cameras/{camera}/{route}", params={"at": T0_MS + 100})
    assert got.status_code == 422 and got.json()["error"]["code"] == "undecodable_clip", got.text
    garbage = clip_key(camera, T0 + timedelta(seconds=30), 1, "ts")   # not even a TS: the indexer says unreadable
    cloud.bucket().put_object(garbage, b"\x00" * 4096, headers={"Content-Type": "video/mp2t"})
    wait_indexed(cloud, camera, [garbage])
    got = api.get(f"/api/v1/cameras/{camera}/{route}", params={"at": T0_MS + 30_500})
    assert got.status_code == 422 and got.json()["error"]["code"] == "undecodable_clip", got.text


def test_camera_limited_viewer_sees_only_their_cameras(pictured, make_user, client) -> None:
    camera, _, _ = pictured
    other: Api = client(make_user(cameras=["someone-else"]))
    assert other.get(f"/api/v1/cameras/{camera}/still", params={"at": T0_MS}).status_code == 403
    assert other.get(f"/api/v1/cameras/{camera}/stills",
                     params={"start": T0_MS, "end": T0_MS + 4000}).status_code == 403
    assert camera not in {s["camera"] for s in other.get("/api/v1/stills/newest").json()["stills"]}
    mine: Api = client(make_user(cameras=[camera]))
    assert [s["camera"] for s in mine.get("/api/v1/stills/newest").json()["stills"]] == [camera]
    tiles = mine.get("/api/v1/cameras").json()["cameras"]
    assert [(c["id"], c["still"]["camera"]) for c in tiles] == [(camera, camera)]
    anonymous = client(None)
    assert anonymous.get(f"/api/v1/cameras/{camera}/still", params={"at": T0_MS}).status_code == 401


def test_stills_over_a_range_and_the_newest(pictured, clips, make_user, client) -> None:
    camera, keys, starts = pictured
    api: Api = client(make_user())
    doc = api.get(f"/api/v1/cameras/{camera}/stills",
                  params={"start": T0_MS, "end": T0_MS + 5000, "interval": 500}).json()
    assert [s["at"] for s in doc["stills"]] == list(range(T0_MS, T0_MS + 4000, 500))   # 4-5 s: not recorded
    assert {s["clip"] for s in doc["stills"]} == set(keys[:2]) and doc["next"] is None
    first = requests.get(doc["stills"][0]["url"], timeout=30)
    assert first.status_code == 200 and first.headers["Content-Type"] == "image/jpeg"
    assert doc["stills"][0]["shows"] == starts[0] and stills.luma(first.content).shape == (180, 320)
    decoded = api.get(f"/api/v1/cameras/{camera}/stills", params={
        "start": T0_MS, "end": T0_MS + 1000, "interval": 200, "source": "decoded", "w": 160}).json()["stills"]
    assert [s["shows"] for s in decoded] == [s["at"] for s in decoded] and len(decoded) == 5
    drawn = [shows_ms(api.get(s["url"]).content) for s in decoded[:2]]
    assert drawn[1] - drawn[0] == 200
    paged = api.get(f"/api/v1/cameras/{camera}/stills",
                    params={"start": T0_MS, "end": T0_MS + 300_000, "interval": 200}).json()
    assert paged["next"] == T0_MS + 100 * 200
    for bad in ({"end": T0_MS + 300_001}, {"interval": 199}):
        got = api.get(f"/api/v1/cameras/{camera}/stills", params={"start": T0_MS, "end": T0_MS + 1000, **bad})
        assert got.status_code == 400, bad
    newest = {s["camera"]: s for s in api.get("/api/v1/stills/newest").json()["stills"]}[camera]
    assert newest["shows"] == starts[2] and newest["clip_end"] > starts[2]
    assert requests.get(newest["url"], timeout=30).content == stills.clip_still(clips[0])   # the camera's own
    tile = {c["id"]: c for c in api.get("/api/v1/cameras").json()["cameras"]}[camera]["still"]  # the grid's one route
    assert (tile["shows"], tile["clip_end"], tile["camera"]) == (newest["shows"], newest["clip_end"], camera)
    assert requests.get(tile["url"], timeout=30).content == stills.clip_still(clips[0])
    assert api.get(f"/api/v1/cameras/{camera}").json()["still"]["shows"] == starts[2]


def test_the_grid_still_never_moves_back_and_skips_unreadable_clips(cloud, clips, make_user, client) -> None:
    """A clip uploaded late (a camera draining its spool) does not replace the newer still, and an
    unreadable newest clip leaves the tile on the newest readable one."""
    camera = f"pic-{uuid.uuid4().hex[:8]}"
    Registry(cloud.bucket()).create(DeviceRecord(camera, name="late"))
    bucket = cloud.bucket()
    newer = clip_key(camera, T0 + timedelta(seconds=40), 5, "ts")
    late = clip_key(camera, T0 + timedelta(seconds=20), 4, "ts")
    broken = clip_key(camera, T0 + timedelta(seconds=50), 6, "ts")
    for key, data in ((newer, clips[0]), (late, clips[1]), (broken, b"\x00" * 4096)):   # uploaded in this order
        bucket.put_object(still_key_for_clip(key), stills.clip_still(clips[0]), headers={"Content-Type": "image/jpeg"})
        bucket.put_object(key, data, headers={"Content-Type": "video/mp2t"})
        wait_indexed(cloud, camera, [key])
    api: Api = client(make_user())
    tile = {c["id"]: c for c in api.get("/api/v1/cameras").json()["cameras"]}[camera]
    assert tile["still"]["shows"] == int((T0 + timedelta(seconds=40)).timestamp() * 1000), tile
    assert tile["newest_clip_start"] == int((T0 + timedelta(seconds=50)).timestamp() * 1000)   # the broken one


def test_mp4_clip_still_goes_through_oss_snapshot(cloud, clips, make_user, client) -> None:
    camera = f"pic-{uuid.uuid4().hex[:8]}"
    Registry(cloud.bucket()).create(DeviceRecord(camera, name="mp4"))
    key = clip_key(camera, T0, 0, "mp4")
    cloud.bucket().put_object(key, remux_mp4(clips[0]), headers={"Content-Type": "video/mp4"})
    wait_indexed(cloud, camera, [key])
    api: Api = client(make_user())
    hop = api.get(f"/api/v1/cameras/{camera}/still", params={"at": T0_MS + 700, "w": 320}, allow_redirects=False)
    assert hop.status_code == 302 and "x-oss-process=video" in hop.headers["Location"]
    got = requests.get(hop.headers["Location"], timeout=30)
    assert got.status_code == 200 and got.headers["Content-Type"] == "image/jpeg"
    start = requests.get(api.get(f"/api/v1/cameras/{camera}/still", params={"at": T0_MS},
                                 allow_redirects=False).headers["Location"], timeout=30).content
    assert shows_ms(got.content) - shows_ms(start) == 700


def test_openapi_documents_the_picture_routes(cloud, client) -> None:
    doc = client(None).get("/api/v1/openapi.json").json()
    still = doc["paths"]["/api/v1/cameras/{id}/still"]["get"]
    assert "image/jpeg" in still["responses"]["200"]["content"]
    assert {"400", "403", "404", "422"} <= set(still["responses"])
    assert "/api/v1/cameras/{id}/stills" in doc["paths"] and "/api/v1/stills/newest" in doc["paths"]
