"""A camera page's first picture (issue 30) through the real api function on localcloud: the preview
MP4's time 0 shows the frame at `at` (read back through the clock the simulator drew into it, also
when `at` falls between keyframes, so the GOP before it is in the file but hidden by its edit list),
it lasts PREVIEW_MS — into the next clip when the recording carries on, else to the clip's end — and the
camera page's HTML names it; the bad input answers
like /still's (400, 403, 404 with the nearest instants; 422 is test_pictures.py's, over both routes),
and a signed-out request is 401."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import av
import pytest
from vigil_camera import media
from vigil_camera.keys import clip_key
from vigil_fn.api.preview import PREVIEW_MS
from vigil_fn.core.devices import DeviceRecord, Registry

from .conftest import Api, wait_indexed

FPS = 10
T0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=20)
T0_MS = int(T0.timestamp() * 1000)
CLIP_S = 8


@pytest.fixture(scope="module")
def previewed(cloud: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A camera with one 8-second clip at T0 (a keyframe every 2 s, the clock drawn in each frame)."""
    out: list[media.Clip] = []
    media.simulate(Path(tmp_path_factory.mktemp("preview")), out.append, fps=FPS, width=640, height=360,
                   clip_seconds=float(CLIP_S), count=1, realtime=False, keyframe_seconds=2.0)
    camera = f"pre-{uuid.uuid4().hex[:8]}"
    Registry(cloud.bucket()).create(DeviceRecord(camera, name="preview"))
    key = clip_key(camera, T0, 0, "ts")
    cloud.bucket().put_object(key, out[0].path.read_bytes(), headers={"Content-Type": "video/mp2t"})
    wait_indexed(cloud, camera, [key])
    return camera


def frames(mp4: bytes) -> list[tuple[float, int]]:
    """(presentation time in s, the clock drawn into the frame as UTC ms) of every frame shown."""
    out = []
    with av.open(io.BytesIO(mp4)) as c:
        for f in c.decode(video=0):
            plane = f.to_ndarray(format="gray")
            out.append((float(f.time), int(media.read_clock(plane, plane.shape[0]).timestamp() * 1000)))
    return out


def test_time_zero_is_the_frame_at_the_instant_asked(previewed, make_user, client) -> None:
    api: Api = client(make_user())
    drawn0 = frames(api.get(f"/api/v1/cameras/{previewed}/preview.mp4", params={"at": T0_MS}).content)[0][1]
    for offset in (0, 700, 2000, 3350, 6500):     # on a keyframe, between keyframes, past the span's room
        got = api.get(f"/api/v1/cameras/{previewed}/preview.mp4", params={"at": T0_MS + offset})
        assert got.status_code == 200, got.text
        assert got.headers["Content-Type"] == "video/mp4" and "private" in got.headers["Cache-Control"]
        shown = frames(got.content)
        t0, clock0 = shown[0]
        assert t0 == 0.0                                            # the GOP before `at` is not shown
        assert offset - 1000 // FPS < clock0 - drawn0 <= offset, (offset, clock0 - drawn0)
        # it plays on from there in step with the clock: frames until PREVIEW_MS after `at` (time 0 may
        # be up to a frame before `at`), or to the clip's end
        span = min(PREVIEW_MS, CLIP_S * 1000 - offset)
        assert span - 2 * 1000 // FPS <= shown[-1][1] - clock0 < span + 1000 // FPS, (offset, shown[-1][1] - clock0)
        assert all(abs((clock - clock0) - t * 1000) <= 1 for t, clock in shown)


def test_the_camera_page_html_names_the_preview(previewed, client) -> None:
    anon: Api = client(None)
    page = anon.http.get(f"{anon.base}/cameras/{previewed}", params={"t": T0_MS + 700}, timeout=30)
    assert page.status_code == 200
    assert (f'src="/api/v1/cameras/{previewed}/preview.mp4?at={T0_MS + 700}"' in page.text
            and page.text.index('id="vigil-preview"') > page.text.index('id="app"'))
    for path, query in ((f"/cameras/{previewed}", {}), (f"/cameras/{previewed}", {"t": "soon"}),
                        ("/cameras/Bad_Id", {"t": str(T0_MS)}), ("/", {"t": str(T0_MS)})):
        other = anon.http.get(f"{anon.base}{path}", params=query, timeout=30)
        assert other.status_code == 200 and "vigil-preview" not in other.text, (path, query)


def test_bad_input(previewed, make_user, client) -> None:
    url = f"/api/v1/cameras/{previewed}/preview.mp4"
    anon: Api = client(None)
    assert anon.get(url, params={"at": T0_MS}).status_code == 401
    api: Api = client(make_user())
    gap = api.get(url, params={"at": T0_MS + 60_000})
    err = gap.json()["error"]
    assert gap.status_code == 404 and err["code"] == "no_recording"
    assert err["nearest_before"] == T0_MS + CLIP_S * 1000 - 1 and err["nearest_after"] is None
    for params in ({"at": "soon"}, {}, {"at": T0_MS, "w": 3}):
        bad = api.get(url, params=params)
        assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request", params
    assert api.get("/api/v1/cameras/Bad_Id/preview.mp4", params={"at": T0_MS}).status_code == 400
    other: Api = client(make_user(cameras=["someone-else"]))
    assert other.get(url, params={"at": T0_MS}).status_code == 403
    mine: Api = client(make_user(cameras=[previewed]))
    assert mine.get(url, params={"at": T0_MS}).status_code == 200



T1 = T0 - timedelta(minutes=5)       # a second camera's recording: two clips back to back, then a gap
T1_MS = int(T1.timestamp() * 1000)
SHORT_S = 4
LATE_S = 5                           # the third clip starts this long after the second one's end


@pytest.fixture(scope="module")
def carried_on(cloud: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """Clips of SHORT_S seconds at T1 and T1 + SHORT_S (one recording, its clock drawn in each frame),
    and a third LATE_S seconds after the second ends (the recording stopped in between)."""
    out: list[media.Clip] = []
    media.simulate(Path(tmp_path_factory.mktemp("carried")), out.append, fps=FPS, width=640, height=360,
                   clip_seconds=float(SHORT_S), count=3, realtime=False, keyframe_seconds=2.0, start=T1)
    camera = f"pre-{uuid.uuid4().hex[:8]}"
    Registry(cloud.bucket()).create(DeviceRecord(camera, name="carried on"))
    starts = [T1, T1 + timedelta(seconds=SHORT_S), T1 + timedelta(seconds=2 * SHORT_S + LATE_S)]
    keys = [clip_key(camera, at, i, "ts") for i, at in enumerate(starts)]
    for key, clip in zip(keys, out, strict=True):
        cloud.bucket().put_object(key, clip.path.read_bytes(), headers={"Content-Type": "video/mp2t"})
    wait_indexed(cloud, camera, keys)
    return camera


def test_a_preview_near_a_clips_end_carries_on_into_the_next_clip(carried_on, make_user, client) -> None:
    api: Api = client(make_user())
    url = f"/api/v1/cameras/{carried_on}/preview.mp4"
    for offset in (SHORT_S * 1000 - 1000, SHORT_S * 1000 - 350):   # 1 s before the end; between frames
        at = T1_MS + offset
        got = api.get(url, params={"at": at})
        assert got.status_code == 200, got.text
        shown = frames(got.content)
        t0, clock0 = shown[0]
        assert t0 == 0.0 and at - 1000 // FPS < clock0 <= at, (offset, clock0 - at)
        # the whole span, across the clips' seam, every frame at its own time (the drawn clock)
        assert PREVIEW_MS - 2 * 1000 // FPS <= shown[-1][1] - clock0 < PREVIEW_MS + 1000 // FPS, shown[-1][1] - clock0
        assert all(abs((clock - clock0) - t * 1000) <= 1 for t, clock in shown)
        assert [clock for _, clock in shown] == sorted({clock for _, clock in shown})   # no frame twice
    # the second clip's last second: the recording stopped after it, so the preview ends with it
    at = T1_MS + 2 * SHORT_S * 1000 - 1000
    shown = frames(api.get(url, params={"at": at}).content)
    assert 1000 - 2 * 1000 // FPS <= shown[-1][1] - shown[0][1] < 1000, shown[-1][1] - shown[0][1]
