"""Events (issue 23): what happened in front of the cameras, reviewed per user, and their settings.

Events come from `vigil_fn.indexer.activity` (built from the index's rows; nothing else stores
them), so the api never disagrees with the timeline. A camera-limited viewer sees only its cameras:
the one-camera routes go through `camera_param` (403) and the fleet route lists only cameras the
user may see.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from vigil_camera.activity.settings import ActivitySettings, ActivitySettingsError
from vigil_camera.keys import validate_device_id

from ...core.devices import UnknownDevice
from ...core.http import ApiError
from ...core.i18n import as_text
from ...indexer import activity
from .. import reviews
from ..app_support import audit, camera_param, require_camera
from ..event_models import (
    ActivitySettingsBody,
    ActivitySettingsOut,
    EventList,
    EventsQuery,
    FleetEventsQuery,
    Histogram,
    HistogramQuery,
    NearEvent,
    NearQuery,
    Review,
)
from ..router import Call, Route, RouteTable, Trusted
from ..sessions import SessionToken
from .cameras import check_span, known_cameras, require_known

MAX_EVENTS_SPAN_MS = 7 * 24 * 3600 * 1000
NEAR_SEARCH_DAYS = 31
DAY_MS = 86_400_000


def _keep(e: activity.Event, zone: str | None, min_score: float) -> bool:
    return e.peak >= min_score and (zone is None or zone in e.zones)


def _range_days(start: int, end: int) -> set[date]:
    first, last = reviews.day_of(start), reviews.day_of(end - 1)
    return {first + timedelta(days=i) for i in range((last - first).days + 1)}


@dataclass(frozen=True)
class _Ahead:
    """A camera's day reads and the caller's review marks for a range, started before the caller's
    user record was read (`read_ahead`)."""

    camera: str
    start: int
    end: int
    days: activity.Ahead
    marks: Future[set[int]]


def _int(raw: str | None) -> int | None:
    return int(raw) if raw is not None and raw.isdigit() and len(raw) <= 15 else None


def _raw_range(call: Call) -> tuple[str, int, int] | None:
    """(camera, start, end) as the handler will read them, or None where it will refuse the request."""
    try:
        camera = validate_device_id(call.params.get("id", ""))
    except ValueError:
        return None
    start, end = _int(call.event.query.get("start")), _int(call.event.query.get("end"))
    if start is None or end is None or not 0 < end - start <= MAX_EVENTS_SPAN_MS:
        return None
    return camera, start, end


def read_ahead(call: Call, token: SessionToken) -> _Ahead | None:
    """The route's reads (the range's days, the caller's review marks), started while the user record
    is read: a day's events then cost one storage round trip of waiting, not two. Only a range the
    handler itself would read; anything else (bad input) is left to the handler to refuse."""
    asked = _raw_range(call)
    if asked is None:
        return None
    camera, start, end = asked
    bucket = call.svc.bucket
    marks = activity.POOL.submit(reviews.reviewed_on, bucket, token.user, camera, _range_days(start, end))
    return _Ahead(camera, start, end, activity.read_ahead(bucket, camera, start, end), marks)


def _histogram_ahead(call: Call, token: SessionToken) -> tuple[tuple[str, int, int], activity.Ahead] | None:
    """The histogram's days, started while the user record is read (as `read_ahead`)."""
    asked = _raw_range(call)
    if asked is None:
        return None
    return asked, activity.read_ahead(call.svc.bucket, *asked, neighbours=False)


def _camera_events(call: Call, camera: str, q: EventsQuery) -> list[dict[str, Any]]:
    """The events with this user's review state. The review marks of the range's days are listed
    while the index is read (two round trips at once, not one after the other; both already started
    by `read_ahead` when the route has one); a day an event starts on outside the range (it began
    before) is listed afterwards."""
    bucket, user = call.svc.bucket, call.user.name
    listed = _range_days(q.start, q.end)
    ahead = call.ahead if isinstance(call.ahead, _Ahead) and \
        (call.ahead.camera, call.ahead.start, call.ahead.end) == (camera, q.start, q.end) else None
    marks = ahead.marks if ahead else activity.POOL.submit(reviews.reviewed_on, bucket, user, camera, listed)
    found = [(e, doc) for e, doc in activity.day_events(bucket, camera, q.start, q.end, ahead.days if ahead else None)
             if _keep(e, q.zone, q.min_score)]
    done = marks.result()
    # only an event first active before the range's start can start on a day not listed
    missing = {reviews.day_of(e.start + activity.PRE_ROLL_MS) for e, _ in found
               if e.start + activity.PRE_ROLL_MS < q.start} - listed
    if missing:
        done |= reviews.reviewed_on(bucket, user, camera, missing)
    docs = [{**doc, "reviewed": e.start + activity.PRE_ROLL_MS in done} for e, doc in found]
    if q.reviewed is not None:
        docs = [d for d in docs if d["reviewed"] == q.reviewed]
    return docs


def camera_events(call: Call) -> Trusted:
    camera = camera_param(call)
    q = call.query_as(EventsQuery)
    check_span(q.start, q.end, MAX_EVENTS_SPAN_MS, "an events query")
    return Trusted({"start": q.start, "end": q.end, "events": _camera_events(call, camera, q)})


def fleet_events(call: Call) -> Trusted:
    q = call.query_as(FleetEventsQuery)
    check_span(q.start, q.end, MAX_EVENTS_SPAN_MS, "an events query")
    if q.camera is not None:
        require_camera(call, q.camera)          # the query model checked the id's form
        cameras = [q.camera]
    else:
        cameras = [c for c in known_cameras(call.svc) if call.user.may_see(c)]
    docs = [d for c in cameras for d in _camera_events(call, c, q)]
    docs.sort(key=lambda d: (d["start"], d["camera"]))
    return Trusted({"start": q.start, "end": q.end, "events": docs})


def _day_start(ms: int) -> int:
    return ms - ms % DAY_MS


def near_event(call: Call) -> Trusted:
    """The first event starting after `at` (next) or the last starting before it (previous), searched
    a day at a time up to NEAR_SEARCH_DAYS away."""
    camera = camera_param(call)
    q = call.query_as(NearQuery)
    step = DAY_MS if q.direction == "next" else -DAY_MS
    day = _day_start(q.at)
    for _ in range(NEAR_SEARCH_DAYS):
        found = [e for e in activity.events(call.svc.bucket, camera, day, day + DAY_MS)
                 if _keep(e, q.zone, q.min_score)]
        if q.direction == "next":
            hit = next((e for e in found if e.start > q.at), None)
        else:
            hit = next((e for e in reversed(found) if e.start < q.at), None)
        if hit is not None:
            done = reviews.reviewed(call.svc.bucket, call.user.name, camera, [hit.start + activity.PRE_ROLL_MS])
            return Trusted({"event": {**hit.to_dict(), "reviewed": hit.start + activity.PRE_ROLL_MS in done}})
        day += step
    return Trusted({"event": None})


def _first_ms(call: Call) -> int:
    raw = call.params.get("event", "")
    if not raw.isdigit() or len(raw) > 15:
        raise ApiError(400, "invalid_event", "an event is named by its first active second in epoch ms")
    return int(raw)


def review(call: Call, flag: bool) -> Review:
    camera = camera_param(call)
    first = _first_ms(call)
    hits = [e for e in activity.events(call.svc.bucket, camera, first, first + 1)
            if e.start + activity.PRE_ROLL_MS == first]
    if not hits:
        raise ApiError(404, "not_found", "no event of camera {camera} starts at {start}", camera=camera,
                       start=first)
    reviews.mark(call.svc.bucket, call.user.name, camera, first, flag)
    return Review(id=hits[0].id, reviewed=flag)


def histogram(call: Call) -> Histogram:
    camera = camera_param(call)
    q = call.query_as(HistogramQuery)
    check_span(q.start, q.end, MAX_EVENTS_SPAN_MS, "a histogram")
    ahead = call.ahead[1] if call.ahead is not None and call.ahead[0] == (camera, q.start, q.end) else None
    peaks = activity.histogram(call.svc.bucket, camera, q.start, q.end, q.bins, ahead)
    return Histogram(camera=camera, start=q.start, end=q.end, bins=q.bins, peaks=peaks)


def _settings_out(camera: str, settings: ActivitySettings) -> ActivitySettingsOut:
    return ActivitySettingsOut(camera=camera, **settings.to_dict())


def get_settings(call: Call) -> ActivitySettingsOut:
    camera = camera_param(call)
    require_known(call.svc, camera)
    try:
        doc = call.svc.registry.activity_of(camera)   # a gateway camera's live in its gateway's record
    except UnknownDevice:
        doc = None                                    # a camera known only by its recordings
    return _settings_out(camera, ActivitySettings.from_dict(doc))


def put_settings(call: Call) -> ActivitySettingsOut:
    camera = camera_param(call)
    body = call.body_as(ActivitySettingsBody)
    try:
        settings = ActivitySettings.from_dict(body.model_dump())
    except ActivitySettingsError as exc:
        # its template and fields (the zone, itself a template) in the request's language
        text = as_text(exc)
        raise ApiError(exc.status, exc.code, text.template, **text.fields) from None
    call.svc.registry.set_activity(camera, settings.to_dict())   # UnknownDevice: 404 not_found
    audit(call, "activity_settings_set", target=camera,
          detail=f"{len(settings.zones)} zones, {len(settings.ignore_zones)} ignore zones")
    return _settings_out(camera, settings)


def register(table: RouteTable) -> None:
    table.add(Route("GET", "/api/v1/cameras/{id}/events", camera_events, "user",
                    "a camera's events overlapping a range (≤ 7 days), filtered by zone, score, review",
                    query=EventsQuery, response=EventList, tag="events", errors=(400, 403),
                    read_ahead=read_ahead))
    table.add(Route("GET", "/api/v1/events", fleet_events, "user",
                    "events of every camera you may see (or `camera`) overlapping a range (≤ 7 days)",
                    query=FleetEventsQuery, response=EventList, tag="events", errors=(400, 403)))
    table.add(Route("GET", "/api/v1/cameras/{id}/events/near", near_event, "user",
                    "the next or previous event from an instant (searched up to 31 days away)",
                    query=NearQuery, response=NearEvent, tag="events", errors=(400, 403)))
    table.add(Route("PUT", "/api/v1/cameras/{id}/events/{event}/review", lambda c: review(c, True), "user",
                    "mark an event reviewed (for you)", response=Review, tag="events", errors=(400, 403, 404)))
    table.add(Route("DELETE", "/api/v1/cameras/{id}/events/{event}/review", lambda c: review(c, False), "user",
                    "mark an event not reviewed (for you)", response=Review, tag="events",
                    errors=(400, 403, 404)))
    table.add(Route("GET", "/api/v1/cameras/{id}/activity", histogram, "user",
                    "peak activity per bin over a range: the timeline's activity strip in one request",
                    query=HistogramQuery, response=Histogram, tag="events", errors=(400, 403),
                    read_ahead=_histogram_ahead))
    table.add(Route("GET", "/api/v1/cameras/{id}/activity-settings", get_settings, "admin",
                    "a camera's activity settings: sensitivity, minimum object size, zones",
                    response=ActivitySettingsOut, tag="events", errors=(400, 403, 404)))
    table.add(Route("PUT", "/api/v1/cameras/{id}/activity-settings", put_settings, "admin",
                    "set a camera's activity settings (delivered with its next token)",
                    body=ActivitySettingsBody, response=ActivitySettingsOut, tag="events",
                    errors=(400, 403, 404, 413)))
