"""Pictures (issue 24): a still for any instant, stills over a range, each camera's newest still."""

from __future__ import annotations

import base64
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from vigil_camera.keys import still_key_for_clip

from ...core.http import ApiError
from .. import stills
from ..app_support import camera_param
from ..models import NewestStill, NewestStills, StillList, StillRef
from ..queries import StillQuery, StillsQuery
from ..router import Call, Route, RouteTable
from .cameras import known_cameras

JPEG = stills.JPEG
STILL_CACHE = "private, max-age=3600"   # a recorded frame never changes; a deleted clip's still stays an hour


def _problem(exc: stills.StillProblem) -> ApiError:
    return ApiError.refused(exc, extra=exc.extra)   # the app's Refused mapping drops `extra`


def still(call: Call) -> dict[str, Any]:
    """The frame at or just before `at`: decoded here from a TS clip, or OSS's snapshot of an MP4 clip."""
    camera = camera_param(call)
    q = call.query_as(StillQuery)
    try:
        where = stills.locate(call.svc.bucket, camera, q.at)
        if where.clip.key.endswith(".mp4"):
            signed = call.svc.urls.sign(where.clip.key, process=stills.snapshot_process(where.offset_ms, q.w),
                                        content_type=JPEG, ttl=300)
            return {"statusCode": 302, "isBase64Encoded": False, "body": "",
                    "headers": {"Location": signed.url, "Cache-Control": "private, no-store"}}
        jpeg = stills.render(stills.read_clip(call.svc.bucket, where.clip), where.offset_ms, q.w)
    except stills.StillProblem as exc:
        raise _problem(exc) from None
    return {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(jpeg).decode(),
            "headers": {"Content-Type": JPEG, "Cache-Control": STILL_CACHE,
                        "X-Vigil-Still-Clip": where.clip.key}}


def still_range(call: Call) -> StillList:
    """Stills sampled over ≤ 300 s every ≥ 200 ms (KVS GetImages' bounds), ≤ 100 per answer."""
    camera = camera_param(call)
    q = call.query_as(StillsQuery)
    if q.end - q.start > stills.MAX_RANGE_MS:
        raise ApiError(400, "invalid_range", "a range of stills spans at most 300 seconds")
    points = stills.samples(q.start, q.end, q.interval)
    clips = stills.clips_over(call.svc.bucket, camera, q.start, q.end)
    out: list[StillRef] = []
    signed: dict[str, tuple[str, int]] = {}
    for at in points:
        clip = stills.holder(clips, at)
        if clip is None:
            continue
        if q.source == "decoded":
            out.append(StillRef(at=at, shows=at, clip=clip.key, expires=None,
                                url=f"/api/v1/cameras/{camera}/still?at={at}&w={q.w}"))
            continue
        if clip.key not in signed:
            url = call.svc.urls.sign(still_key_for_clip(clip.key) or "", content_type=JPEG)
            signed[clip.key] = (url.url, url.expires * 1000)
        url_text, expires = signed[clip.key]
        out.append(StillRef(at=at, shows=clip.start, clip=clip.key, url=url_text, expires=expires))
    last = points[-1] + q.interval if points else q.end
    return StillList(camera=camera, start=q.start, end=q.end, interval=q.interval, stills=out,
                     next=last if last < q.end else None)


def newest_stills(call: Call) -> NewestStills:
    """The camera still of each visible camera's newest clip (the grid's tiles)."""
    svc = call.svc
    visible = [c for c in known_cameras(svc) if call.user.may_see(c)]
    now = svc.now_ms()

    def one(camera: str) -> NewestStill | None:
        doc = stills.newest_still(svc.urls, camera, stills.newest(svc.bucket, camera, now))
        return NewestStill(**doc) if doc is not None else None

    with ThreadPoolExecutor(max_workers=16) as pool:
        found = [s for s in pool.map(one, visible) if s is not None]
    return NewestStills(stills=found)


def register(table: RouteTable) -> None:
    table.add(Route("GET", "/api/v1/cameras/{id}/still", still, "user",
                    "the frame at or just before `at` as a JPEG (an MP4 clip: a redirect to OSS's snapshot); "
                    "404 names the nearest recorded instants", query=StillQuery, media_type=JPEG,
                    tag="pictures", errors=(400, 403, 404, 422)))
    table.add(Route("GET", "/api/v1/cameras/{id}/stills", still_range, "user",
                    "stills over a range (≤ 300 s, every ≥ 200 ms, ≤ 100 per answer), like KVS GetImages",
                    query=StillsQuery, response=StillList, tag="pictures", errors=(400, 403)))
    table.add(Route("GET", "/api/v1/stills/newest", newest_stills, "user",
                    "each visible camera's newest still (the cameras grid)", response=NewestStills, tag="pictures"))
