"""Cameras (list, one) and their recordings in time: timeline and month calendar."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from vigil_camera.protocol import validate_device_id

from ...core.devices import DeviceRecord
from ...core.http import ApiError
from ...core.logging import get_logger
from ...core.sts import StsUnavailable
from ...indexer.log import Clip
from ...indexer.reader import Timeline as IndexTimeline
from .. import index_view, stills
from ..app_support import camera_param
from ..models import CalendarDay, Camera, CameraDetail, CameraList, Timeline, ZonedCalendar
from ..queries import CalendarQuery, TimelineQuery
from ..router import Call, ReadAhead, Route, RouteTable, Trusted, parse_model
from ..services import Services
from ..sessions import SessionToken

log = get_logger("vigil.api.cameras")
MAX_CLIP_ITEMS = 70_000  # 7 days of 10 s clips is 60,480 (~14 MB of JSON, ~0.8 MB gzipped; FC allows 32 MB)
# the timeline's and the calendar's reads, started while the caller's user record is read (`ahead`):
# the answer then costs the longer of the two round trips, not both. Their own fan-out runs on the
# reader's pools, so these threads mostly wait.
AHEAD = ThreadPoolExecutor(4, thread_name_prefix="vigil-cameras-ahead")


@dataclass(frozen=True)
class _Ahead:
    """A read a route started before authentication, for exactly this camera and query."""

    camera: str
    query: BaseModel
    result: Future[Any]


def ahead(model: type[BaseModel], read: Callable[[Any, str, Any], Any],
           bounded: Callable[[Any], bool] = lambda q: True) -> ReadAhead:
    """A `read_ahead` for a route whose answer is one read, `read(bucket, camera, query)`. The camera
    id and the query are validated as the handler does (anything odd: None, and the handler refuses
    it); `bounded(query)` keeps the read within what the handler itself would read. The answer is used
    only once the handler's own checks have passed (the camera is this user's)."""
    def start(call: Call, token: SessionToken) -> _Ahead | None:
        del token
        try:
            camera = validate_device_id(call.params.get("id", ""))
            q = parse_model(model, dict(call.event.query), "query")
        except (ValueError, ApiError):
            return None
        if not bounded(q):
            return None
        return _Ahead(camera, q, AHEAD.submit(read, call.svc.bucket, camera, q))
    return start


def taken(call: Call, camera: str, q: BaseModel) -> Future[Any] | None:
    """The read `ahead` started for this camera and query, if it did."""
    ahead = call.ahead
    return ahead.result if isinstance(ahead, _Ahead) and (ahead.camera, ahead.query) == (camera, q) else None


def camera_doc(svc: Services, camera: str, record: DeviceRecord | None,
               health: dict[str, Any] | None = None, *, gateway: DeviceRecord | None = None) -> dict[str, Any]:
    """`gateway`: for a gateway's camera (no record of its own), the gateway whose status it has."""
    now = svc.now_ms()
    activity = index_view.camera_activity(svc.bucket, camera, now)
    still = tile_still(svc, camera, activity.pop("newest_readable"))
    last_end = activity["last_clip_end"]
    online = last_end is not None and now - last_end <= svc.api.online_threshold_seconds * 1000
    owner = record or gateway
    return {"id": camera, "name": record.name if record else "",
            "status": owner.status if owner else "removed", "online": bool(online and owner and owner.enabled),
            "health": health, **activity, "still": still, "created": record.created if record else None,
            "key_version": record.key_version if record else None,
            "gateway": gateway.device_id if gateway is not None and record is None else None,
            "cameras": list(record.cameras) if record else []}


def tile_still(svc: Services, camera: str, clip: Clip | None) -> dict[str, Any] | None:
    """The camera's newest still, signed; None when the URL cannot be signed (the viewer role could
    not be assumed): the list of cameras, their status and health, outlives a signer in trouble."""
    try:
        return stills.newest_still(svc.urls, camera, clip)
    except (StsUnavailable, RuntimeError) as exc:
        log.warning("still not signed", extra={"camera": camera, "error": type(exc).__name__,
                                                "sts_code": getattr(exc, "code", None)})
        return None


def known_cameras(svc: Services) -> dict[str, DeviceRecord | None]:
    """Registered cameras, gateways' cameras (no record of their own) and cameras that only have
    recordings left (removed from the registry)."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        indexed = pool.submit(index_view.indexed_cameras, svc.bucket)   # the two listings side by side
        records: dict[str, DeviceRecord | None] = dict(svc.registry.records(pool.map))
        for camera in gateway_owners(records):
            records.setdefault(camera, None)
        for camera in indexed.result():
            records.setdefault(camera, None)
    return dict(sorted(records.items()))


def gateway_owners(records: dict[str, DeviceRecord | None]) -> dict[str, DeviceRecord]:
    """camera id -> the gateway record that lists it."""
    return {camera: rec for rec in records.values() if rec is not None for camera in rec.cameras}


def list_cameras(call: Call) -> CameraList:
    svc = call.svc
    with ThreadPoolExecutor(max_workers=1) as side:
        fleet = side.submit(index_view.reported_health, svc.bucket)   # one GET, beside the listings
        known = known_cameras(svc)
        health = fleet.result()
    owners = gateway_owners(known)
    visible = {k: v for k, v in known.items() if call.user.may_see(k)}
    with ThreadPoolExecutor(max_workers=16) as pool:
        docs = list(pool.map(lambda kv: camera_doc(svc, kv[0], kv[1], health.get(kv[0]), gateway=owners.get(kv[0])),
                             visible.items()))
    fields = set(Camera.model_fields)
    return CameraList(cameras=[Camera(**{k: v for k, v in _seen_by(call, d).items() if k in fields}) for d in docs])


def _seen_by(call: Call, doc: dict[str, Any]) -> dict[str, Any]:
    """A camera-limited viewer sees only its own cameras among a gateway's."""
    return {**doc, "cameras": [c for c in doc["cameras"] if call.user.may_see(c)]}


def require_known(svc: Services, camera: str) -> DeviceRecord | None:
    record = svc.registry.get(camera)
    if record is None and camera not in index_view.indexed_cameras(svc.bucket) \
            and svc.registry.owner(camera) is None:
        raise ApiError(404, "not_found", "no such camera: {camera}", camera=camera)
    return record


def gateway_of(svc: Services, camera: str, record: DeviceRecord | None) -> DeviceRecord | None:
    """The gateway record of a camera that has none of its own (None for a device or a removed camera)."""
    if record is not None:
        return None
    owner = svc.registry.owner(camera)
    return svc.registry.get(owner) if owner else None


def get_camera(call: Call) -> CameraDetail:
    camera = camera_param(call)
    record = require_known(call.svc, camera)
    health = index_view.reported_health(call.svc.bucket).get(camera)
    return CameraDetail(**_seen_by(call, camera_doc(call.svc, camera, record, health,
                                                    gateway=gateway_of(call.svc, camera, record))))


def check_span(start: int, end: int, max_ms: int, what: str) -> None:
    if end - start > max_ms:
        raise ApiError(400, "invalid_range", "{what} spans at most {hours} hours", what=what,
                       hours=max_ms // 3_600_000)


def _read_timeline(bucket: Any, camera: str, q: TimelineQuery) -> IndexTimeline:
    return index_view.timeline(bucket, camera, q.start, q.end)


def timeline(call: Call) -> Trusted:
    camera = camera_param(call)
    q = call.query_as(TimelineQuery)
    check_span(q.start, q.end, index_view.MAX_SPAN_MS, "a timeline")
    started = taken(call, camera, q)
    read = started.result() if started else _read_timeline(call.svc.bucket, camera, q)
    if q.detail == "spans":
        items = read.spans()
    elif len(read) > MAX_CLIP_ITEMS:   # refused before a clip item is built
        raise ApiError(413, "range_too_large", "more than {limit} items; ask for detail=spans "
                       "or a shorter range", limit=MAX_CLIP_ITEMS)
    else:
        items = index_view.items(read)
    return Trusted({"camera": camera, "start": q.start, "end": q.end, "detail": q.detail, "items": items})


def _read_calendar(bucket: Any, camera: str, q: CalendarQuery) -> list[dict[str, Any]]:
    return index_view.month_calendar(bucket, camera, q.month, q.tz)


def calendar(call: Call) -> ZonedCalendar:
    camera = camera_param(call)
    q = call.query_as(CalendarQuery)
    started = taken(call, camera, q)
    days = started.result() if started else _read_calendar(call.svc.bucket, camera, q)
    return ZonedCalendar(camera=camera, month=q.month, tz=q.tz, days=[CalendarDay(**d) for d in days])


def register(table: RouteTable) -> None:
    table.add(Route("GET", "/api/v1/cameras", list_cameras, "user", "cameras you may see, with status and health",
                    response=CameraList, tag="cameras"))
    table.add(Route("GET", "/api/v1/cameras/{id}", get_camera, "user", "one camera", response=CameraDetail,
                    tag="cameras", errors=(400, 403, 404)))
    table.add(Route("GET", "/api/v1/cameras/{id}/timeline", timeline, "user",
                    "clips (or spans) and gaps between two instants (≤ 7 days)", query=TimelineQuery, response=Timeline,
                    tag="recordings", errors=(400, 403, 413),
                    read_ahead=ahead(TimelineQuery, _read_timeline,
                                      lambda q: q.end - q.start <= index_view.MAX_SPAN_MS)))
    table.add(Route("GET", "/api/v1/cameras/{id}/calendar", calendar, "user",
                    "days of a month with recordings, in the time zone `tz`",
                    query=CalendarQuery, response=ZonedCalendar, tag="recordings", errors=(400, 403),
                    read_ahead=ahead(CalendarQuery, _read_calendar)))
