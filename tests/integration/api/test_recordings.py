"""Cameras, timeline, calendar, playback, playlists and downloads over real clips from the simulator,
indexed by the real indexer function, played by PyAV through the presigned URLs."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import av
import pytest
import requests
from vigil_camera.keys import clip_key
from vigil_fn.api.models import Timeline

from .conftest import wait_indexed

T0 = datetime(2026, 11, 30, 10, 0, 0, tzinfo=timezone.utc)
T0_MS = int(T0.timestamp() * 1000)


@pytest.fixture
def recorded(camera_with_clips: Callable[..., Any], cloud: Any) -> tuple[str, list[Any], str]:
    """Clips 0,1,2 back to back, a 14 s gap, clip 3, then an unreadable clip."""
    camera, placed = camera_with_clips([(0, 0, 0), (2, 1, 1), (4, 2, 2), (20, 3, 3)], base=T0)
    bad = clip_key(camera, datetime(2026, 11, 30, 10, 0, 30, tzinfo=timezone.utc), 4, "ts")
    cloud.bucket().put_object(bad, b"this is not video" * 100)
    wait_indexed(cloud, camera, [bad])
    return camera, placed, bad


def test_timeline_lists_clips_gaps_and_unreadable(recorded: Any, make_user: Callable[..., Any],
                                                   client: Callable[..., Any]) -> None:
    camera, placed, bad = recorded
    api = client(make_user())
    resp = api.get(f"/api/v1/cameras/{camera}/timeline", params={"start": "2026-11-30T10:00:00Z",
                                                                 "end": T0_MS + 60_000})
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    Timeline.model_validate(doc)  # the route sends its document unvalidated: it must match the model
    assert (doc["camera"], doc["start"], doc["end"]) == (camera, T0_MS, T0_MS + 60_000)
    clips = [i for i in doc["items"] if i["type"] == "clip"]
    assert [c["key"] for c in clips] == [p.key for p in placed] + [bad]
    for c, p in zip(clips, placed, strict=False):
        assert c["status"] == "ok" and c["format"] == "ts" and c["codec"] == "h264"
        assert (c["width"], c["height"]) == (160, 96) and c["start"] == p.start
        assert abs(c["duration"] - p.duration_ms) <= 100 and c["end"] == c["start"] + c["duration"]
    assert clips[-1]["status"] == "unreadable" and clips[-1]["reason"]
    gaps = [(i["start"], i["end"]) for i in doc["items"] if i["type"] == "gap"]
    assert (clips[2]["end"], placed[3].start) in gaps      # the 14 s hole, exactly
    starts = [i["start"] for i in doc["items"]]
    assert starts == sorted(starts) and doc["detail"] == "clips"
    spans = api.get(f"/api/v1/cameras/{camera}/timeline", params={"start": T0_MS, "end": T0_MS + 60_000,
                                                                  "detail": "spans"}).json()["items"]
    Timeline.model_validate({**doc, "detail": "spans", "items": spans})
    recorded = [(i["start"], i["clips"]) for i in spans if i["type"] == "span"]
    assert recorded == [(T0_MS, 3), (placed[3].start, 1), (clips[-1]["start"], 1)]
    assert [i["unreadable"] for i in spans if i["type"] == "span"] == [0, 0, 1]


def test_large_responses_are_gzipped(recorded: Any, make_user: Callable[..., Any], client: Callable[..., Any]) -> None:
    api = client(make_user())
    resp = api.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert resp.headers["Content-Encoding"] == "gzip" and resp.json()["openapi"].startswith("3.1")
    assert "app;dur=" in resp.headers["Server-Timing"]
    plain = api.get("/api/v1/openapi.json", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.json() == resp.json()


def test_calendar_and_camera_list(recorded: Any, make_user: Callable[..., Any], client: Callable[..., Any]) -> None:
    camera, placed, _ = recorded
    api = client(make_user())
    cal = api.get(f"/api/v1/cameras/{camera}/calendar", params={"month": "2026-11"})
    assert cal.status_code == 200
    assert [d["day"] for d in cal.json()["days"]] == ["2026-11-30"]
    assert cal.json()["days"][0]["clips"] == 5
    assert api.get(f"/api/v1/cameras/{camera}/calendar", params={"month": "2026-10"}).json()["days"] == []
    listed = {c["id"]: c for c in api.get("/api/v1/cameras").json()["cameras"]}
    assert listed[camera]["status"] == "enabled" and listed[camera]["name"] == f"test {camera}"
    one = api.get(f"/api/v1/cameras/{camera}").json()
    assert one["key_version"] == 1 and one["online"] is False  # its clips are from the past
    assert api.get("/api/v1/cameras/cam-does-not-exist").status_code == 404


def test_camera_health_today(camera_with_clips: Callable[..., Any], make_user: Callable[..., Any],
                             client: Callable[..., Any]) -> None:
    now = datetime.now(timezone.utc).replace(microsecond=0)
    if (now - timedelta(seconds=10)).date() != now.date():  # keep both clips on today's index
        now += timedelta(seconds=12)
    camera, placed = camera_with_clips([(-10, 0, 0), (-8, 1, 1)], base=now)
    api = client(make_user())
    before = time.time() * 1000
    doc = api.get(f"/api/v1/cameras/{camera}").json()
    after = time.time() * 1000
    # online: a clip ended within 120 s of the server's now, which lies between `before` and `after`
    if after - doc["last_clip_end"] <= 120_000:
        assert doc["online"] is True
    elif before - doc["last_clip_end"] > 120_000:  # indexing took that long on a loaded machine
        assert doc["online"] is False
    assert doc["clips_today"] == 2 and doc["bytes_today"] > 0
    assert doc["newest_clip_start"] == placed[1].start
    assert abs(doc["last_clip_end"] - (placed[1].start + placed[1].duration_ms)) <= 100
    assert doc["upload_lag_ms"] is not None and doc["upload_lag_ms"] >= 0


def test_playlist_plays_end_to_end_through_presigned_urls(recorded: Any, make_user: Callable[..., Any],
                                                          client: Callable[..., Any]) -> None:
    camera, placed, bad = recorded
    api = client(make_user())
    plan = api.get(f"/api/v1/cameras/{camera}/playback", params={"start": T0_MS, "end": T0_MS + 3_600_000})
    assert plan.status_code == 200, plan.text
    doc = plan.json()
    assert doc["mode"] == "hls" and doc["direct"] == [] and len(doc["playlists"]) == 1
    url = api.base + doc["playlists"][0]["url"]
    resp = api.http.get(url, timeout=30)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "application/vnd.apple.mpegurl"
    text = resp.text
    lines = text.splitlines()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in lines and lines[-1] == "#EXT-X-ENDLIST"
    segs = [line for line in lines if line and not line.startswith("#")]
    assert len(segs) == 4 and all(s.startswith("http") for s in segs) and bad.split("/")[-1] not in text
    assert sum(1 for line in lines if line.startswith("#EXT-X-PROGRAM-DATE-TIME:")) == 4
    # the discontinuity sits exactly before the clip after the gap
    before_fourth = lines[:lines.index(segs[3])]
    assert before_fourth[-3] == "#EXT-X-DISCONTINUITY" and text.count("#EXT-X-DISCONTINUITY") == 1
    cookie = api.http.cookies["vigil_session"]
    with av.open(url, options={"headers": f"Cookie: vigil_session={cookie}\r\n"}) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        duration_s = (container.duration or 0) / 1_000_000
    assert frames == sum(p.frames for p in placed)
    assert abs(duration_s - sum(p.duration_ms for p in placed) / 1000) < 0.5


def test_presigned_urls_expire(recorded: Any, make_user: Callable[..., Any], client: Callable[..., Any],
                               cloud: Any) -> None:
    camera, placed, _ = recorded
    api = client(make_user())
    text = api.get(f"/api/v1/cameras/{camera}/playlist.m3u8", params={"start": T0_MS, "end": T0_MS + 60_000}).text
    seg = next(line for line in text.splitlines() if line.startswith("http"))
    link = api.get("/api/v1/clips/download", params={"key": placed[0].key}).json()
    assert link["expires"] <= (time.time() + 900 + 2) * 1000
    first = requests.get(seg, timeout=30)
    assert first.status_code == 200 and first.headers["Content-Type"] == "video/mp2t"
    dl = requests.get(link["url"], timeout=30)
    assert dl.status_code == 200 and dl.content == cloud.bucket().get_object(placed[0].key).read()
    disposition = dl.headers["Content-Disposition"]
    assert "attachment" in disposition and link["filename"] in disposition
    assert link["filename"] == f"{camera}_2026-11-30T10-00-00Z.ts"
    try:
        cloud.advance_clock(16 * 60)
        for url in (seg, link["url"]):
            late = requests.get(url, timeout=30)
            assert late.status_code == 403 and "AccessDenied" in late.text
    finally:
        cloud.reset_clock()


def test_viewer_limited_to_cameras(recorded: Any, make_user: Callable[..., Any], client: Callable[..., Any]) -> None:
    camera, placed, _ = recorded
    other = f"cam-{uuid.uuid4().hex[:8]}"
    api = client(make_user("viewer", cameras=[other]))
    rng = {"start": T0_MS, "end": T0_MS + 60_000}
    for path, params in ((f"/api/v1/cameras/{camera}", {}), (f"/api/v1/cameras/{camera}/timeline", rng),
                         (f"/api/v1/cameras/{camera}/calendar", {"month": "2026-11"}),
                         (f"/api/v1/cameras/{camera}/playback", rng), (f"/api/v1/cameras/{camera}/playlist.m3u8", rng),
                         ("/api/v1/clips/download", {"key": placed[0].key})):
        resp = api.get(path, params=params)
        assert resp.status_code == 403, path
        assert resp.json()["error"]["code"] == "forbidden"
    assert camera not in {c["id"] for c in api.get("/api/v1/cameras").json()["cameras"]}


@pytest.mark.parametrize(("path", "params", "code"), [
    ("/timeline", {"start": "yesterday", "end": "2026-11-30T11:00:00Z"}, "invalid_request"),
    ("/timeline", {"start": "2026-11-30T10:00:00", "end": "2026-11-30T11:00:00Z"}, "invalid_request"),
    ("/timeline", {"start": T0_MS + 10, "end": T0_MS}, "invalid_request"),
    ("/timeline", {"start": T0_MS}, "invalid_request"),
    ("/timeline", {"start": T0_MS, "end": T0_MS + 8 * 86_400_000}, "invalid_range"),
    ("/timeline", {"start": T0_MS, "end": T0_MS + 1, "color": "red"}, "invalid_request"),
    ("/calendar", {"month": "2026-13"}, "invalid_request"),
    ("/calendar", {}, "invalid_request"),
    ("/playlist.m3u8", {"start": T0_MS, "end": T0_MS + 3_600_001}, "invalid_range"),
    ("/playback", {"start": T0_MS, "end": T0_MS + 25 * 3_600_000}, "invalid_range"),
])
def test_bad_queries(path: str, params: dict[str, Any], code: str, make_user: Callable[..., Any],
                     client: Callable[..., Any]) -> None:
    resp = client(make_user()).get(f"/api/v1/cameras/cam-abc{path}", params=params)
    assert resp.status_code == 400, resp.text
    assert resp.json()["error"]["code"] == code and resp.json()["error"]["message"]


def test_bad_keys_and_ids(make_user: Callable[..., Any], client: Callable[..., Any]) -> None:
    api = client(make_user())
    for key in ("../etc/passwd", "videos/cam-abc/x.ts", "_system/users/admin.json", "videos/CAM/2026/11/30/1.ts"):
        resp = api.get("/api/v1/clips/download", params={"key": key})
        assert resp.status_code == 400 and resp.json()["error"]["code"] == "invalid_key", key
    missing = clip_key("cam-abc", T0, 999, "ts")
    assert api.get("/api/v1/clips/download", params={"key": missing}).status_code == 404
    assert api.get("/api/v1/cameras/Bad_Id/timeline", params={"start": T0_MS, "end": T0_MS + 1}).status_code == 400
    assert api.get(f"/api/v1/cameras/cam-abc/playlist.m3u8?start={T0_MS}&end={T0_MS + 1000}").status_code == 404


def test_playlist_across_midnight(camera_with_clips: Callable[..., Any], make_user: Callable[..., Any],
                                  client: Callable[..., Any]) -> None:
    midnight = datetime(2026, 11, 26, 0, 0, 0, tzinfo=timezone.utc)
    camera, placed = camera_with_clips([(-4, 0, 0), (-2, 1, 1), (0, 2, 2), (2, 3, 3)], base=midnight)
    api = client(make_user())
    lo = int(midnight.timestamp() * 1000) - 60_000
    plan = api.get(f"/api/v1/cameras/{camera}/playback", params={"start": lo, "end": lo + 120_000}).json()
    assert len(plan["playlists"]) == 1 and plan["playlists"][0]["start"] == placed[0].start
    text = api.get(plan["playlists"][0]["url"]).text
    assert [line for line in text.splitlines() if line.startswith("http")] and text.count("#EXTINF") == 4
    assert "#EXT-X-DISCONTINUITY" not in text  # one continuous recording across the day boundary
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-11-26T00:00:00.000Z" in text
