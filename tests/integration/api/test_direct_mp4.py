"""Progressive MP4 clips are offered as direct playback (hls.js cannot use them as segments)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import requests
from vigil_camera.keys import clip_key

from .conftest import Api, wait_indexed

T0 = datetime(2026, 11, 27, 9, 0, 0, tzinfo=timezone.utc)
T0_MS = int(T0.timestamp() * 1000)


def test_mp4_clips_play_direct_and_ts_clips_as_hls(camera_with_clips: Callable[..., Any], media: Any,
                                                   cloud: Any, make_user: Callable[..., Any],
                                                   client: Callable[..., Api]) -> None:
    camera, placed = camera_with_clips([(0, 0, 0), (2, 1, 1)], base=T0)
    mp4 = media.encode_clip("mp4", seconds=2.0, fps=10, width=160, height=96, options={"movflags": "faststart"})
    key = clip_key(camera, datetime(2026, 11, 27, 9, 0, 10, tzinfo=timezone.utc), 5, "mp4")
    cloud.bucket().put_object(key, mp4, headers={"Content-Type": "video/mp4"})
    wait_indexed(cloud, camera, [key])
    api = client(make_user())
    doc = api.get(f"/api/v1/cameras/{camera}/playback", params={"start": T0_MS, "end": T0_MS + 60_000}).json()
    assert doc["mode"] == "mixed" and len(doc["playlists"]) == 1
    assert [d["key"] for d in doc["direct"]] == [key]
    direct = doc["direct"][0]
    assert direct["end"] - direct["start"] >= 1900 and direct["expires"] > T0_MS
    got = requests.get(direct["url"], timeout=30)
    assert got.status_code == 200 and got.content == mp4 and got.headers["Content-Type"] == "video/mp4"
    assert media.decoded_facts(got.content)[:2] == (160, 96)
    text = api.get(doc["playlists"][0]["url"]).text
    assert text.count("#EXTINF") == 2 and ".mp4" not in text
    timeline = api.get(f"/api/v1/cameras/{camera}/timeline", params={"start": T0_MS, "end": T0_MS + 60_000}).json()
    assert [i["format"] for i in timeline["items"] if i["type"] == "clip"] == ["ts", "ts", "mp4"]
