"""Admin management of recordings: delete a clip or a time range, retention days."""

from __future__ import annotations

from ...core.http import ApiError
from .. import index_view, retention
from ..app_support import audit, camera_param
from ..models import Deleted, RangeDelete, Retention, RetentionOut
from ..queries import KeyQuery
from ..router import Call, Route, RouteTable
from ..times import iso
from .cameras import check_span
from .playback import parse_key

BATCH = 1000


def delete_clip(call: Call) -> None:
    q = call.query_as(KeyQuery)
    camera = parse_key(q.key)
    bucket = call.svc.bucket
    if not bucket.object_exists(q.key):
        raise ApiError(404, "not_found", "no such clip")
    bucket.delete_object(q.key)
    audit(call, "clip_delete", target=q.key, detail=f"camera {camera}")


def delete_range(call: Call) -> Deleted:
    camera = camera_param(call)
    body = call.body_as(RangeDelete)
    if body.end <= body.start:
        raise ApiError(400, "invalid_range", "end must be after start")
    check_span(body.start, body.end, index_view.MAX_SPAN_MS, "a deletion")
    keys = [c.key for c in index_view.clips(call.svc.bucket, camera, body.start, body.end)
            if body.start <= c.start < body.end]
    for i in range(0, len(keys), BATCH):
        call.svc.bucket.batch_delete_objects(keys[i:i + BATCH])
    audit(call, "clips_delete_range", target=camera,
          detail=f"{len(keys)} clips starting in [{iso(body.start)}, {iso(body.end)})")
    return Deleted(deleted=len(keys))


def get_retention(call: Call) -> RetentionOut:
    bucket = call.svc.bucket
    return RetentionOut(days=retention.get_retention(bucket), activity_days=retention.get_activity_retention(bucket))


def put_retention(call: Call) -> RetentionOut:
    body = call.body_as(Retention)
    days = retention.set_retention(call.svc.bucket, body.days, body.activity_days)
    activity_days = retention.get_activity_retention(call.svc.bucket)
    audit(call, "retention_set", target="bucket",
          detail=f"{days} days" + (f", {activity_days} days with activity" if activity_days else ""))
    return RetentionOut(days=days, activity_days=activity_days)


def register(table: RouteTable) -> None:
    table.add(Route("DELETE", "/api/v1/clips", delete_clip, "admin", "delete one clip", query=KeyQuery,
                    status=204, tag="manage", errors=(400, 403, 404)))
    table.add(Route("POST", "/api/v1/cameras/{id}/clips/delete", delete_range, "admin",
                    "delete the clips of a camera that start in a range (≤ 7 days)", body=RangeDelete,
                    response=Deleted, tag="manage", errors=(400, 403)))
    table.add(Route("GET", "/api/v1/settings/retention", get_retention, "user", "retention in days",
                    response=RetentionOut, tag="manage"))
    table.add(Route("PUT", "/api/v1/settings/retention", put_retention, "admin", "set retention in days",
                    body=Retention, response=RetentionOut, tag="manage", errors=(400, 403)))
