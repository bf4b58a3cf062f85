"""The indexer trusts no event: forged events sent straight to the function through the fc2 SDK
(as anyone allowed to invoke it could) neither remove a clip nor index a version OSS does not hold."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

import fc2
import pytest
from vigil_camera.keys import clip_key
from vigil_fn.indexer import reader

pytestmark = pytest.mark.integration

DAY = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)


def _invoke(cloud: Any, name: str, key: str, etag: str, size: int = 0,
            when: str = "2099-01-01T00:00:00.000Z") -> dict[str, Any]:
    client = fc2.Client(endpoint=cloud.fc_endpoint, accessKeyID=cloud.access_key_id,
                        accessKeySecret=cloud.access_key_secret)
    event = {"events": [{"eventName": name, "eventSource": "acs:oss", "eventTime": when, "eventVersion": "1.0",
                         "oss": {"bucket": {"name": cloud.bucket_name},
                                 "object": {"key": key, "size": size, "eTag": etag}},
                         "responseElements": {"requestId": "forged"}}]}
    resp = client.invoke_function("vigil", "vigil-indexer", payload=json.dumps(event))
    return dict(json.loads(resp.data)["indexed"][0])


def _wait_indexed(bucket: Any, device: str, n: int) -> list[Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        clips = reader.day_clips(bucket, device, DAY.date())
        if len(clips) >= n:
            return clips
        time.sleep(0.1)
    raise AssertionError("the trigger did not index the clip")


def test_forged_deletes_of_an_existing_clip_do_not_remove_it(cloud: Any, ts_clip: bytes) -> None:
    bucket = cloud.bucket()
    device = f"fd-{uuid.uuid4().hex[:10]}"
    key = clip_key(device, DAY, 0, "ts")
    etag = bucket.put_object(key, ts_clip).etag.upper()
    _wait_indexed(bucket, device, 1)
    # with the real ETag and a far-future time: OSS still holds that version → refused
    out = _invoke(cloud, "ObjectRemoved:DeleteObject", key, etag)
    assert out["result"] == "rejected" and "not confirmed" in out["reason"]
    # with no ETag: refused too (nothing to tell which version went)
    assert _invoke(cloud, "ObjectRemoved:DeleteObjects", key, "")["result"] == "rejected"
    # with a made-up ETag: recorded as a delete of *that* version only, which hides nothing
    assert _invoke(cloud, "ObjectRemoved:DeleteObject", key, "0" * 32)["result"] == "tombstoned"
    assert [c.key for c in reader.day_clips(bucket, device, DAY.date())] == [key]
    # the real delete still works
    bucket.delete_object(key)
    deadline = time.monotonic() + 30
    while reader.day_clips(bucket, device, DAY.date()) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert reader.day_clips(bucket, device, DAY.date()) == []


def test_a_forged_create_with_a_wrong_etag_is_not_indexed(cloud: Any, ts_clip: bytes) -> None:
    bucket = cloud.bucket()
    device = f"fc-{uuid.uuid4().hex[:10]}"
    real = clip_key(device, DAY, 0, "ts")
    bucket.put_object(real, ts_clip)
    _wait_indexed(bucket, device, 1)
    out = _invoke(cloud, "ObjectCreated:PutObject", real, "F" * 32, size=len(ts_clip))
    assert out["result"] == "rejected" and "ETag" in out["reason"]
    # a create for a key OSS does not hold at all
    ghost = clip_key(device, DAY + timedelta(seconds=10), 1, "ts")
    assert _invoke(cloud, "ObjectCreated:PutObject", ghost, "A" * 32, size=999)["result"] == "gone"
    clips = reader.day_clips(bucket, device, DAY.date())
    assert [c.key for c in clips] == [real] and clips[0].etag != "F" * 32
    # a forged size is not believed either: the size indexed is what OSS holds
    assert clips[0].size == len(ts_clip)
