"""Issue 15 item 3: every upload path stores recordings as video, not as oss2's extension guess
(`.ts` → `text/vnd.trolltech.linguist`): PUT, multipart, the file API's write and append, live."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from vigil_camera.files import OssFile
from vigil_camera.keys import clip_key
from vigil_camera.live import LiveAppender

pytestmark = pytest.mark.integration
START = datetime(2026, 11, 28, 14, 0, 0, tzinfo=timezone.utc)


def _content_type(cloud: Any, key: str) -> str:
    return str(cloud.bucket().head_object(key).headers["Content-Type"])


@pytest.mark.parametrize(("ext", "size", "expected"), [
    ("ts", 30_000, "video/mp2t"),         # one PutObject
    ("ts", 600_000, "video/mp2t"),        # multipart (threshold 256 KiB in dc_client)
    ("mp4", 30_000, "video/mp4"),
    ("mp4", 600_000, "video/mp4"),
])
def test_clip_uploads_carry_a_video_content_type(dc_client: Any, dc_device: Any, cloud: Any, tmp_path: Path,
                                                 ext: str, size: int, expected: str) -> None:
    path = tmp_path / f"clip.{ext}"
    path.write_bytes(os.urandom(size))
    key = clip_key(dc_device.device_id, START, size, ext)
    result = dc_client.uploader.upload_file(path, key)
    assert (result.parts > 0) == (size > 256 * 1024)
    assert _content_type(cloud, key) == expected


@pytest.mark.parametrize("size", [1000, 300_000])
def test_file_api_write_carries_the_content_type(dc_client: Any, dc_device: Any, cloud: Any, size: int) -> None:
    key = clip_key(dc_device.device_id, START, 7 + size, "ts")
    with OssFile(dc_client.oss, key, "w", part_size=128 * 1024) as f:
        f.write(os.urandom(size))
    assert _content_type(cloud, key) == "video/mp2t"


def test_live_append_carries_the_content_type(dc_client: Any, dc_device: Any, cloud: Any, tmp_path: Path) -> None:
    clip = tmp_path / "a.ts"
    clip.write_bytes(os.urandom(5000))
    appender = LiveAppender(dc_client.oss, dc_device.device_id)
    key = appender.append_clip(clip, START)
    appender.append_clip(clip, START)
    head = cloud.bucket().head_object(key)
    assert head.content_length == 10_000 and head.headers["Content-Type"] == "video/mp2t"
