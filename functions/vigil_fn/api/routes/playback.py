"""Playback: a plan of bounded HLS playlists and direct MP4 clips, the playlists, clip downloads."""

from __future__ import annotations

import base64
from typing import Any, Literal
from urllib.parse import quote

from vigil_camera.keys import parse_clip_key

from ...core.http import ApiError
from .. import index_view, playlist, stills
from .. import preview as previews
from ..app_support import camera_param, require_camera
from ..models import DirectClip, DownloadLink, Playback, PlaylistRef
from ..queries import KeyQuery, PreviewQuery, TimeRange
from ..router import Call, Route, RouteTable
from ..vod import TS_TYPE, VodError, build_vod
from .cameras import ahead, check_span, taken

MAX_PLAYBACK_MS = 24 * 3600 * 1000
MP4_TYPE = "video/mp4"
MAX_DIRECT = 300


def playlist_path(camera: str, start: int, end: int) -> str:
    return f"/api/v1/cameras/{camera}/playlist.m3u8?start={start}&end={end}"


def playback(call: Call) -> Playback:
    camera = camera_param(call)
    q = call.query_as(TimeRange)
    check_span(q.start, q.end, MAX_PLAYBACK_MS, "playback")
    clips = index_view.clips(call.svc.bucket, camera, q.start, q.end)
    segs = playlist.segments(clips)
    refs = [PlaylistRef(start=s, end=e, url=playlist_path(camera, s, e)) for s, e in playlist.windows(segs, q.start,
                                                                                                       q.end)]
    mp4 = [c for c in clips if c.ok and c.format == "mp4"]
    if len(mp4) > MAX_DIRECT:  # each is a ~1-2.5 KB presigned URL: keep the answer under 1 MB
        raise ApiError(413, "range_too_large", "more than {limit} MP4 clips to play directly; "
                       "ask for a shorter range", limit=MAX_DIRECT)
    direct = []
    for clip in mp4:
        signed = call.svc.urls.sign(clip.key, content_type=MP4_TYPE)
        direct.append(DirectClip(key=clip.key, start=clip.start, end=clip.end, url=signed.url,
                                 expires=signed.expires * 1000))
    mode: Literal["hls", "direct", "mixed"] = "mixed" if refs and direct else "direct" if direct else "hls"
    return Playback(camera=camera, start=q.start, end=q.end, mode=mode, playlists=refs, direct=direct)


def m3u8(call: Call) -> dict[str, object]:
    camera = camera_param(call)
    q = call.query_as(TimeRange)
    try:
        text, _ = build_vod(call.svc.bucket, call.svc.urls, camera, q.start, q.end)
    except VodError as exc:
        raise ApiError.of(exc, _VOD_STATUS[exc.code], exc.code) from None
    return {"statusCode": 200, "isBase64Encoded": False, "body": text,
            "headers": {"Content-Type": playlist.CONTENT_TYPE, "Cache-Control": "private, no-store"}}


def _clip_at(bucket: Any, camera: str, q: PreviewQuery) -> tuple[stills.Located, bytes, previews.Then | None]:
    """Where `at` is, its clip's bytes, and the next clip's when the preview runs past this one's end:
    reads only (it runs as the route's read-ahead; the remux is the handler's, after the caller is known)."""
    where = stills.locate(bucket, camera, q.at)
    clip = stills.read_clip(bucket, where.clip)
    if where.offset_ms + previews.PREVIEW_MS <= (where.clip.duration or 0):
        return where, clip, None
    nxt = stills.following(bucket, camera, where)
    try:   # a next clip gone or too large meanwhile: the preview ends with this one
        then = None if nxt is None else previews.Then(stills.read_clip(bucket, nxt), nxt.start - where.clip.start)
    except stills.StillProblem:
        then = None
    return where, clip, then


def preview(call: Call) -> dict[str, object]:
    """The recording from `at` for PREVIEW_MS as a small MP4 (time 0 = `at`): what a camera page's
    own `<video>` plays before the player has loaded (api/preview.py says why)."""
    camera = camera_param(call)
    q = call.query_as(PreviewQuery)
    started = taken(call, camera, q)
    try:
        where, clip, then = started.result() if started is not None else _clip_at(call.svc.bucket, camera, q)
        mp4 = previews.preview_mp4(clip, where.offset_ms, then=then)
    except stills.StillProblem as exc:
        raise ApiError.refused(exc, extra=exc.extra) from None
    return {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(mp4).decode(),
            "headers": {"Content-Type": previews.MP4, "Cache-Control": PREVIEW_CACHE}}


PREVIEW_CACHE = "private, max-age=300"   # recorded frames never change; a deleted clip's stay only minutes
_VOD_STATUS = {"invalid_range": 400, "no_recordings": 404, "range_too_large": 413}


def download_name(key: str) -> str:
    parsed = parse_clip_key(key)
    assert parsed is not None
    return f"{parsed.device_id}_{parsed.start:%Y-%m-%dT%H-%M-%S}Z.{parsed.ext}"


def parse_key(key: str) -> str:
    parsed = parse_clip_key(key)
    if parsed is None:
        raise ApiError(400, "invalid_key", "key must be a clip key: videos/<camera>/YYYY/MM/DD/HHMMSSmmmZ-<seq>.ts|mp4")
    return parsed.device_id


def download(call: Call) -> DownloadLink:
    q = call.query_as(KeyQuery)
    camera = parse_key(q.key)
    require_camera(call, camera)
    if not call.svc.bucket.object_exists(q.key):
        raise ApiError(404, "not_found", "no such clip")
    name = download_name(q.key)
    signed = call.svc.urls.sign(q.key, disposition=f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
                                content_type=MP4_TYPE if q.key.endswith(".mp4") else TS_TYPE)
    return DownloadLink(url=signed.url, expires=signed.expires * 1000, filename=name)


def register(table: RouteTable) -> None:
    table.add(Route("GET", "/api/v1/cameras/{id}/playback", playback, "user",
                    "how to play a range (≤ 24 h): HLS playlists (≤ 1 h each) and/or direct MP4 clips",
                    query=TimeRange, response=Playback, tag="playback", errors=(400, 403, 413)))
    table.add(Route("GET", "/api/v1/cameras/{id}/playlist.m3u8", m3u8, "user",
                    "HLS VOD playlist (≤ 1 h) with presigned segment URLs", query=TimeRange,
                    media_type=playlist.CONTENT_TYPE, tag="playback", errors=(400, 403, 404, 413)))
    table.add(Route("GET", "/api/v1/cameras/{id}/preview.mp4", preview, "user",
                    "the recording from `at` for 3 s as an MP4 whose time 0 is `at` (H.264 copied, video "
                    "only): what a camera page plays before its player has loaded; 404 names the nearest "
                    "recorded instants", query=PreviewQuery, media_type=previews.MP4, tag="playback",
                    errors=(400, 403, 404, 422), read_ahead=ahead(PreviewQuery, _clip_at)))
    table.add(Route("GET", "/api/v1/clips/download", download, "user",
                    "a presigned download URL for one clip", query=KeyQuery, response=DownloadLink,
                    tag="playback", errors=(400, 403, 404)))
