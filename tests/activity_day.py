"""A camera's day with activity, written as the indexer leaves it (rows carrying the packed activity
header, optionally compacted): the one setup the events route tests and the activity bench share, so
the day they measure and the day they check are built the same way."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from vigil_camera.activity.meta import ClipActivity, pack
from vigil_camera.keys import clip_key, index_key, index_segments_key, index_sums_key
from vigil_fn.core.devices import DeviceRecord, Registry
from vigil_fn.indexer.compact import DEFAULT_SEGMENT_BYTES, segments_of
from vigil_fn.indexer.log import encode_entry

CROSSING = pack(ClipActivity((0.0, 0.0, 0.7, 0.9, 0.9, 0.6, 0.0, 0.0, 0.0, 0.0),
                             (None, None, *[(0.2, 0.4, 0.3, 0.9)] * 4, None, None, None, None),
                             (0, 0, 1, 1, 1, 1, 0, 0, 0, 0), ("gate",)))
"""A 10-second clip in which something crosses zone `gate` during seconds 2–5 (peak 0.9)."""


def new_camera(bucket: Any, prefix: str) -> str:
    """A registered camera with a fresh id (`prefix`-xxxxxx)."""
    camera = f"{prefix}-{uuid.uuid4().hex[:6]}"
    Registry(bucket).create(DeviceRecord(camera, name=prefix))
    return camera


def write_day(bucket: Any, camera: str, origin: datetime, *, clips: int, activity: Mapping[int, str],
              compact: bool = False) -> None:
    """`clips` 10-second clips from `origin` (midnight UTC), clip i holding `activity[i]` if any;
    `compact`: the day's segments and sums written too, as the indexer leaves a closed day."""
    day_ms = int(origin.timestamp() * 1000)
    lines = b"".join(encode_entry({
        "op": "create", "key": clip_key(camera, origin + timedelta(seconds=10 * i), i, "ts"),
        "etag": "0123456789ABCDEF0123456789ABCDEF", "size": 1_250_000, "status": "ok",
        "start": day_ms + 10_000 * i, "duration": 10_000, "codec": "h264", "width": 1280, "height": 720,
        "has_keyframe": True, "event_time": day_ms + 10_000 * i + 12_000, "indexed_at": day_ms + 10_000 * i + 12_500,
        **({"activity": activity[i]} if i in activity else {}),
    }) for i in range(clips))
    bucket.append_object(index_key(camera, origin.date()), 0, lines)
    if compact:
        segs, sums = segments_of(lines, DEFAULT_SEGMENT_BYTES, origin.date(), now_ms=day_ms + 86_400_000)
        bucket.append_object(index_segments_key(camera, origin.date()), 0, segs)
        bucket.append_object(index_sums_key(camera, origin.date()), 0, sums)
