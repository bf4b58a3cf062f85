"""Bodies and queries of the events routes (issue 23), beside `models.py` in its conventions."""

from typing import Annotated, Any, Literal

from pydantic import Field

from .models import Instant, Ms, Query, Request, Response
from .queries import TimeRange

ZoneName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,31}$")]
Score = Annotated[float, Field(ge=0.0, le=1.0)]


class EventsQuery(TimeRange):
    zone: ZoneName | None = Field(default=None, description="only events that touched this named zone")
    min_score: Score = Field(default=0.0, description="only events whose peak score is at least this (0–1)")
    reviewed: bool | None = Field(default=None, description="true: reviewed by you; false: not yet; absent: all")


class FleetEventsQuery(EventsQuery):
    camera: Annotated[str | None, Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{2,62}$",
                                        description="one camera; absent: every camera you may see")]


class NearQuery(Query):
    at: Instant
    direction: Literal["next", "previous"] = "next"
    zone: ZoneName | None = None
    min_score: Score = 0.0


class HistogramQuery(TimeRange):
    bins: Annotated[int, Field(ge=1, le=2880, description="bins over [start, end) (default 288: 5 min a day)")] = 288


class EventOut(Response):
    id: str = Field(description="<camera>:<first active second, epoch ms>; stable while the event grows")
    camera: str
    start: Ms
    end: Ms
    peak: Score
    zones: list[str]
    box: list[float] | None = Field(description="[x0, y0, x1, y1] of what changed, 0–1 of the frame")
    first_clip: str
    active_seconds: int
    reviewed: bool


class EventList(Response):
    start: Ms
    end: Ms
    events: list[EventOut]


class NearEvent(Response):
    event: EventOut | None


class Histogram(Response):
    camera: str
    start: Ms
    end: Ms
    bins: int
    peaks: list[float] = Field(description="the highest activity score in each bin, 0–1")


class Review(Response):
    id: str
    reviewed: bool


class ActivitySettingsBody(Request):
    sensitivity: Score = 0.5
    min_object: Annotated[float, Field(ge=0.0001, le=0.5)] = 0.002
    ignore_zones: list[list[list[float]]] = Field(default_factory=list, description="polygons of [x, y] in 0–1")
    zones: list[dict[str, Any]] = Field(default_factory=list, description='[{"name": ..., "points": [[x, y], ...]}]')


class ActivitySettingsOut(Response):
    camera: str
    sensitivity: float
    min_object: float
    ignore_zones: list[list[list[float]]]
    zones: list[dict[str, Any]]
