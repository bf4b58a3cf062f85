"""Cameras side by side (issue 26): 2-9 cameras on one timeline, for the page's synchronised players.

One request gives every camera's recorded spans and gaps over a range, so the shared timeline draws
them together and each player knows where its camera has no recording (the page shows the gap there,
not a frozen frame). Every camera is checked as the single-camera routes check it: a camera-limited
viewer asking for one that is not theirs gets a 403 naming it; an unknown one a 404 naming it.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

from pydantic import Field, field_validator

from ...core.http import ApiError
from .. import index_view
from ..queries import TimeRange
from ..router import Call, Route, RouteTable, Trusted
from .cameras import check_span, require_known

MIN_CAMERAS, MAX_CAMERAS = 2, 9
MAX_SPAN_MS = 24 * 3_600_000
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{2,62}$")


class SyncQuery(TimeRange):
    cameras: Annotated[str, Field(max_length=600, description="2-9 camera ids, comma-separated, in layout order")]

    @field_validator("cameras")
    @classmethod
    def _ids(cls, value: str) -> str:
        ids = [c.strip() for c in value.split(",") if c.strip()]
        bad = [c for c in ids if not _ID.fullmatch(c)]
        if bad:
            raise ValueError(f"not a camera id: {bad[0][:64]!r}")
        if len(set(ids)) != len(ids):
            raise ValueError("a camera is listed twice")
        if not MIN_CAMERAS <= len(ids) <= MAX_CAMERAS:
            raise ValueError(f"side by side shows {MIN_CAMERAS} to {MAX_CAMERAS} cameras; {len(ids)} were given")
        return ",".join(ids)


def sync(call: Call) -> Trusted:
    q = call.query_as(SyncQuery)
    check_span(q.start, q.end, MAX_SPAN_MS, "side by side")
    ids = q.cameras.split(",")
    for camera in ids:                      # 403 before 404: a viewer learns nothing of others' cameras
        if not call.user.may_see(camera):
            raise ApiError(403, "forbidden", "camera {camera} is not among yours", camera=camera)
    records = {camera: require_known(call.svc, camera) for camera in ids}

    def one(camera: str) -> dict[str, Any]:
        items = index_view.timeline(call.svc.bucket, camera, q.start, q.end).spans()
        record = records[camera]
        return {"id": camera, "name": (record.name if record is not None else "") or camera, "items": items}

    with ThreadPoolExecutor(max_workers=min(len(ids), 4)) as pool:
        cameras = list(pool.map(one, ids))
    if not any(i.get("type") != "gap" for c in cameras for i in c["items"]):
        raise ApiError(404, "nothing_recorded", "none of these cameras recorded anything in this range")
    return Trusted({"start": q.start, "end": q.end, "cameras": cameras})


def register(table: RouteTable) -> None:
    table.add(Route("GET", "/api/v1/sync", sync, "user",
                    "2-9 cameras' recorded spans and gaps over one range (≤ 24 h), for watching them side by side",
                    query=SyncQuery, tag="cameras", errors=(400, 403, 404)))
