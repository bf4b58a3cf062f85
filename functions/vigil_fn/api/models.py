"""Typed request and response bodies, validated at the edge; the OpenAPI document is built from them.

Requests forbid unknown fields (a typo is a 400, not a silently ignored option). Instants in
requests are ISO-8601 with an offset or epoch ms (`Instant`); in responses always epoch ms (UTC).
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer

from ..core.audit import AuditEntry
from .times import parse_instant

Instant = Annotated[int, BeforeValidator(parse_instant), PlainSerializer(int),
                    Field(description="ISO-8601 with an offset (2026-12-01T10:00:00Z) or epoch milliseconds",
                          json_schema_extra={"examples": ["2026-12-01T10:00:00Z", 1796119200000]})]
Ms = Annotated[int, Field(description="milliseconds since the Unix epoch, UTC")]
USER_NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"
CAMERA_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{2,62}$"
UserName = Annotated[str, Field(pattern=USER_NAME_PATTERN, description="lower-case login name")]
CameraId = Annotated[str, Field(pattern=CAMERA_ID_PATTERN)]
Password = Annotated[str, Field(min_length=12, max_length=1024, description="at least 12 characters")]
Role = Literal["admin", "viewer"]


class Request(BaseModel):
    """JSON bodies: unknown fields refused, no type coercion ("7" is not a number of days)."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Query strings: every value arrives as text, so numbers are parsed from it; unknown names refused."""

    model_config = ConfigDict(extra="forbid")


class Response(BaseModel):
    model_config = ConfigDict(extra="forbid")


# -- errors --------------------------------------------------------------------------------------
class ErrorDetail(Response):
    model_config = ConfigDict(extra="allow")
    code: str = Field(description="stable snake_case code")
    message: str = Field(description="a human sentence")


class ErrorBody(Response):
    error: ErrorDetail


# -- accounts ------------------------------------------------------------------------------------
class LoginRequest(Request):
    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Annotated[str, Field(min_length=1, max_length=1024)]


class UserOut(Response):
    name: str
    role: Role
    cameras: list[str] | None = Field(description="cameras a viewer is limited to; null = all")


Language = Literal["en", "zh-CN"]


class Preferences(Response):
    language: Language | None = Field(default=None, description="the page's language; null = not chosen yet")


class PreferencesUpdate(Request):
    language: Language = Field(description="the page's language for this user")


class Session(Response):
    user: UserOut
    csrf_token: str = Field(description="send it back as the X-Vigil-CSRF header on every change")
    preferences: Preferences = Field(default_factory=Preferences, description="this user's own settings")


class UserCreate(Request):
    name: UserName
    password: Password
    role: Role = "viewer"
    cameras: list[CameraId] | None = None


class UserPatch(Request):
    password: Password | None = None
    role: Role | None = None
    cameras: list[CameraId] | None = Field(default=None, description="[] or a list limits; omit to keep")
    all_cameras: bool = Field(default=False, description="true lifts a camera limit")


class UserList(Response):
    users: list[UserOut]
    unreadable: list[str] = Field(default_factory=list, description=(
        "names whose stored user record cannot be read (corrupt): left out of `users`; DELETE /users/{name} "
        "removes one"))


# -- cameras -------------------------------------------------------------------------------------
class CameraHealth(Response):
    spool_depth: int | None
    dropped_clips: int | None
    token_errors: int | None
    reported_at: Ms | None
    live_view: bool | None = Field(default=None, description="the camera sends live video when watched "
                                   "(runs with --live-view); null: it has not said (older camera software)")


class NewestStill(Response):
    camera: str
    shows: Ms = Field(description="the instant the still shows (the newest clip's first frame)")
    clip_end: Ms
    url: str = Field(description="presigned GET of the camera's still (320 px JPEG)")
    expires: Ms


class Camera(Response):
    id: str
    name: str
    status: Literal["enabled", "disabled", "removed"] = Field(
        description="removed: no registry record, recordings remain")
    online: bool = Field(description="a clip ended within the online threshold")
    last_clip_end: Ms | None
    upload_lag_ms: int | None = Field(description="indexed time minus clip end of the newest clip")
    clips_today: int
    bytes_today: int
    newest_clip_start: Ms | None
    health: CameraHealth | None
    gateway: str | None = Field(None, description="a gateway's camera: the gateway that records it (its "
                                "status and enablement stand for the camera's)")
    cameras: list[str] = Field(default_factory=list, description="a gateway: the cameras it records")
    still: NewestStill | None = Field(None, description="the camera's still of its newest readable clip of today "
                                      "(else yesterday), UTC: the grid's picture, so the grid needs this route alone")


class CameraDetail(Camera):
    created: str | None
    key_version: int | None


class CameraList(Response):
    cameras: list[Camera]


class CameraCreate(Request):
    id: CameraId
    name: Annotated[str, Field(max_length=200)] = ""


class CameraConfig(Response):
    token_url: str
    device_id: str
    device_secret: str = Field(description="shown once; store it on the camera")


class CameraWithConfig(Response):
    camera: CameraDetail
    config: CameraConfig


# -- timeline ------------------------------------------------------------------------------------
class ClipItem(Response):
    type: Literal["clip"]
    key: str
    start: Ms
    end: Ms
    duration: int | None
    size: int
    status: Literal["ok", "unreadable"]
    reason: str | None
    codec: str | None
    width: int | None
    height: int | None
    format: Literal["ts", "mp4"]


class GapItem(Response):
    type: Literal["gap"]
    start: Ms
    end: Ms


class SpanItem(Response):
    type: Literal["span"]
    start: Ms
    end: Ms
    clips: int
    bytes: int
    unreadable: int


class Timeline(Response):
    camera: str
    start: Ms
    end: Ms
    detail: Literal["clips", "spans"]
    items: list[Annotated[ClipItem | GapItem | SpanItem, Field(discriminator="type")]]


class CalendarDay(Response):
    day: str
    clips: int
    recorded_ms: int


class Calendar(Response):
    camera: str
    month: str
    days: list[CalendarDay] = Field(description="only days with recordings")


# -- playback ------------------------------------------------------------------------------------
class PlaylistRef(Response):
    start: Ms
    end: Ms
    url: str = Field(description="root-relative URL of a VOD playlist.m3u8 (≤ 1 h)")


class DirectClip(Response):
    key: str
    start: Ms
    end: Ms
    url: str = Field(description="presigned GET of a progressive MP4")
    expires: Ms


class Playback(Response):
    camera: str
    start: Ms
    end: Ms
    mode: Literal["hls", "direct", "mixed"]
    playlists: list[PlaylistRef]
    direct: list[DirectClip]


class DownloadLink(Response):
    url: str
    expires: Ms
    filename: str


# -- manage --------------------------------------------------------------------------------------
class RangeDelete(Request):
    start: Instant
    end: Instant


class Deleted(Response):
    deleted: int


class Retention(Request):
    days: Annotated[int, Field(ge=1, le=3650)]
    activity_days: Annotated[int | None, Field(ge=1, le=3650, description=(
        "days to keep clips the camera tagged as holding activity (absent: unchanged)"))] = None


class RetentionOut(Response):
    days: int | None = Field(description="null when no retention rule is set")
    activity_days: int | None = Field(default=None, description="null: clips with activity follow `days`")


class AuditPage(Response):
    entries: list[AuditEntry]
    next: Ms | None = Field(description="pass as `before` for the next (older) page")


class Health(Response):
    status: Literal["ok"]
    version: str


def dump(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json")


# -- calendar in the viewer's time zone (web page) -----------------------------------------------
class ZonedCalendar(Calendar):
    """`days` are the zone's local days, counted as that zone's day timelines show them."""

    tz: str = Field(description="the IANA time zone the days are in (UTC when none was asked for)")


# -- pictures (issue 24) ---------------------------------------------------------------------------
class StillRef(Response):
    at: Ms = Field(description="the instant asked for (a sample of the range)")
    shows: Ms = Field(description="the instant the picture shows (a camera still shows its clip's first frame)")
    clip: str = Field(description="the key of the clip holding `at`")
    url: str = Field(description="a presigned GET of the camera's still, or this API's /still route (source=decoded)")
    expires: Ms | None = Field(description="when a presigned URL dies; null for API routes")


class StillList(Response):
    camera: str
    start: Ms
    end: Ms
    interval: int = Field(description="milliseconds between samples")
    stills: list[StillRef] = Field(description="one per sample that has a recording (samples with none are left out)")
    next: Ms | None = Field(description="the start of the next page when more than 100 samples were asked for")


class NewestStills(Response):
    stills: list[NewestStill] = Field(description="cameras you may see that have a clip today or yesterday (UTC)")
