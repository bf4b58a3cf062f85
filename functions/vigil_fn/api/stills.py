"""Stills for the viewer (issue 24): which clip holds an instant, the camera's own still of a clip,
and the frame at any instant decoded from the clip. Free of HTTP: the routes are routes/pictures.py.

How stills are made, and why (measured figures in docs/pictures.md):
- the camera uploads one 320-px JPEG of each clip's first keyframe under `stills/`
  (`keys.still_key`): the grid's newest still and the timeline's hover thumbnails are plain
  presigned GETs of those (one PUT per clip; no decode anywhere on the server);
- a still for an arbitrary instant is decoded here from the clip (one GET of the clip, read in
  one go, PyAV from the vigil-av layer), because OSS's video snapshot is not documented for
  MPEG-TS, and Vigil's clips are TS. An MP4 clip (H.264, documented) goes to OSS's snapshot
  instead (`snapshot_process` on a presigned URL): billed per snapshot, no decode in the function.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import oss2
from vigil_camera.keys import still_key_for_clip

from ..core.bodies import read_body
from ..core.errors import Refused
from ..indexer import reader
from ..indexer.log import Clip
from .times import day_of

MIN_WIDTH = 32
MAX_WIDTH = 1920
DEFAULT_WIDTH = 320
MAX_RANGE_MS = 300_000        # KVS GetImages: at most 300 s per request
MIN_INTERVAL_MS = 200         # KVS GetImages: sampling at most every 200 ms
MAX_STILLS = 100              # per response; `next` continues (KVS pages its images too)
MAX_CLIP_BYTES = 64 << 20     # a clip larger than this is not decoded inside the api function
JPEG = "image/jpeg"
UNREADABLE_SPAN_MS = 10_000   # a clip with no known length (unreadable) is taken to hold the default clip length


class StillProblem(Refused):
    """Why no still; each subclass names its status and code (`extra` goes into the error object)."""

    def __init__(self, message: str, /, *, extra: dict[str, Any] | None = None, **fields: Any) -> None:
        super().__init__(message, **fields)
        self.extra = dict(extra or {})


class NoRecording(StillProblem):
    """Nothing recorded at T; `extra` names the nearest recorded instants (issue 24's 404)."""

    status, code = 404, "no_recording"


class UndecodableClip(StillProblem):
    """The clip holding T is there but does not decode (or the indexer found it unreadable)."""

    status, code = 422, "undecodable_clip"


class ClipTooLarge(StillProblem):
    """Over MAX_CLIP_BYTES: not read into the api function's memory."""

    status, code = 422, "clip_too_large"


@dataclass(frozen=True)
class Located:
    clip: Clip
    offset_ms: int           # T − clip start
    # the clips of T's UTC day and the day before, as `locate` read them (`following` looks there first)
    around: list[Clip] = field(default_factory=list, repr=False, compare=False)

    @property
    def still_key(self) -> str:
        key = still_key_for_clip(self.clip.key)
        assert key is not None
        return key


def _day_clips(bucket: oss2.Bucket, camera: str, at: int) -> list[Clip]:
    """The clips of T's UTC day and the day before (a clip started before midnight may hold T)."""
    day = day_of(at)
    return reader.day_clips(bucket, camera, day - timedelta(days=1)) + reader.day_clips(bucket, camera, day)


def _end(c: Clip) -> int:
    return c.start + (c.duration or 0)


def locate(bucket: oss2.Bucket, camera: str, at: int) -> Located:
    """The readable clip showing T (start ≤ T < end, the latest such start); NoRecording with the
    nearest recorded instants before and after T otherwise, UndecodableClip for an unreadable one."""
    every = _day_clips(bucket, camera, at)
    clips = [c for c in every if c.status == "ok"]
    starts = [c.start for c in clips]
    i = bisect_right(starts, at)
    for c in reversed(clips[max(0, i - 4):i]):
        if c.start <= at < _end(c):
            return Located(c, at - c.start, every)
    for c in reversed(every[:bisect_right([c.start for c in every], at)][-4:]):
        if not c.duration and c.start <= at < c.start + UNREADABLE_SPAN_MS:
            if c.status == "ok":     # the indexer found no length: the decode says whether it plays
                return Located(c, at - c.start, every)
            raise UndecodableClip("the clip holding that instant cannot be decoded ({reason})",
                                  reason=c.reason or "unreadable")
    before = max((min(_end(c), at) for c in clips[:i]), default=None)
    after = clips[i].start if i < len(clips) else None
    if after is None:
        nxt = [c for c in reader.day_clips(bucket, camera, day_of(at) + timedelta(days=1)) if c.status == "ok"]
        after = nxt[0].start if nxt else None
    raise NoRecording("nothing was recorded at that instant; the error names the nearest recorded instants "
                      "before and after it (epoch ms, null when none within a day)",
                      extra={"nearest_before": before - 1 if before is not None else None, "nearest_after": after})


def following(bucket: oss2.Bucket, camera: str, where: Located) -> Clip | None:
    """The readable clip that carries the recording on from `where.clip`: the first to start after it,
    within GAP_TOLERANCE_MS of its end either way (the timeline draws no gap there). None when the
    recording stops (or the camera restarted later): a preview then ends with its clip. From the clips
    `locate` read, unless the clip ends on the next UTC day (then that day is read)."""
    clip, end = where.clip, _end(where.clip)
    same_day = where.around and day_of(end + reader.GAP_TOLERANCE_MS) == day_of(clip.start + where.offset_ms)
    for c in where.around if same_day else _day_clips(bucket, camera, end):
        if c.status == "ok" and c.start > clip.start and abs(c.start - end) <= reader.GAP_TOLERANCE_MS:
            return c
    return None


def newest_readable(clips: list[Clip]) -> Clip | None:
    """The readable clip of `clips` that starts last (ties by key): the one whose still the grid shows."""
    return max((c for c in clips if c.status == "ok"), key=lambda c: (c.start, c.key), default=None)


def newest(bucket: oss2.Bucket, camera: str, now_ms: int) -> Clip | None:
    """The newest readable clip of today (else yesterday), UTC."""
    today = day_of(now_ms)
    for day in (today, today - timedelta(days=1)):
        found = newest_readable(reader.day_clips(bucket, camera, day))
        if found is not None:
            return found
    return None


def newest_still(urls: Any, camera: str, clip: Clip | None) -> dict[str, Any] | None:
    """The grid's still of `clip` (a presigned GET of the camera's own JPEG; `urls`: the api's
    signer), as `NewestStill`'s fields; None without a clip or for a key that has no still."""
    key = still_key_for_clip(clip.key) if clip is not None else None
    if clip is None or key is None:
        return None
    url = urls.sign(key, content_type=JPEG)
    return {"camera": camera, "shows": clip.start, "clip_end": _end(clip), "url": url.url,
            "expires": url.expires * 1000}


def samples(start: int, end: int, interval: int) -> list[int]:
    """The instants a range is sampled at: start, start + interval, … < end, at most MAX_STILLS."""
    out: list[int] = []
    t = start
    while t < end and len(out) < MAX_STILLS:
        out.append(t)
        t += interval
    return out


def clips_over(bucket: oss2.Bucket, camera: str, start: int, end: int) -> list[Clip]:
    """Readable clips overlapping [start, end), ordered by start."""
    return [c for c in _day_clips(bucket, camera, start) + (reader.day_clips(bucket, camera, day_of(end - 1))
                                                              if day_of(end - 1) != day_of(start) else [])
            if c.status == "ok" and c.start < end and _end(c) > start]


def holder(clips: list[Clip], at: int) -> Clip | None:
    """The clip of `clips` (ordered by start) showing `at`."""
    i = bisect_right([c.start for c in clips], at)
    for c in reversed(clips[max(0, i - 4):i]):
        if c.start <= at < _end(c):
            return c
    return None


def read_clip(bucket: oss2.Bucket, clip: Clip) -> bytes:
    """The clip's bytes in one read (issue 30: never oss2's 8 KiB iteration)."""
    if clip.size > MAX_CLIP_BYTES:
        raise ClipTooLarge("the clip is larger than {limit} MiB; stills of it are not made by the api",
                           limit=MAX_CLIP_BYTES >> 20)
    try:
        result = bucket.get_object(clip.key)
    except oss2.exceptions.NoSuchKey:
        raise NoRecording("the clip holding that instant is gone (deleted or expired)",
                          extra={"nearest_before": None, "nearest_after": None}) from None
    return read_body(result)   # one read from urllib3 (requests' `.content` goes 10 KiB at a time)


def render(data: bytes, offset_ms: int, width: int) -> bytes:
    """The frame at or just before `offset_ms` into the clip, `width` px wide, as JPEG; 422 when the
    clip does not decode."""
    from vigil_camera.stills import StillError, encode, frame_at

    try:
        shot = frame_at(data, offset_ms / 1000)
    except StillError as exc:
        raise UndecodableClip("the clip holding that instant cannot be decoded: {reason}", reason=exc) from None
    return encode(shot.frame, width=min(width, shot.width))


def snapshot_process(offset_ms: int, width: int, *, fast: bool = False) -> str:
    """OSS's video snapshot for an MP4 clip: `video/snapshot,t_<ms>,w_<px>,f_jpg[,m_fast]`."""
    return f"video/snapshot,t_{max(0, offset_ms)},w_{width},f_jpg" + (",m_fast" if fast else "")
