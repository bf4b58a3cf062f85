"""Query-string models (validated like bodies; unknown parameters are refused)."""

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from .models import Instant, Query
from .times import month_days
from .zones import zone_name


class TimeRange(Query):
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> "TimeRange":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class TimelineQuery(TimeRange):
    detail: Literal["clips", "spans"] = Field(
        default="clips", description="clips: every clip (≤ 70,000 items); spans: clips merged into recorded spans")


def _month(value: str) -> str:
    month_days(value)   # ValueError (a 400) for a year outside MIN_YEAR..MAX_YEAR
    return value


class MonthQuery(Query):
    month: Annotated[str, AfterValidator(_month), Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$",
                                                        description="YYYY-MM, years 1970-9998")]


class KeyQuery(Query):
    key: Annotated[str, Field(min_length=1, max_length=1024, description="a clip key (videos/...)")]


class AuditQuery(Query):
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    before: Instant | None = None


class CalendarQuery(MonthQuery):
    tz: Annotated[str, AfterValidator(zone_name), Field(
        default="UTC", max_length=64, description="IANA time zone of the days, e.g. Asia/Shanghai (default UTC)",
        json_schema_extra={"examples": ["Asia/Shanghai"]})]


Width = Annotated[int, Field(ge=32, le=1920, description="width in pixels, 32-1920 (height keeps the proportion)")]


class StillQuery(Query):
    at: Instant
    w: Width = 320


class PreviewQuery(Query):
    at: Instant


class StillsQuery(TimeRange):
    interval: Annotated[int, Field(ge=200, le=300_000, description="milliseconds between samples (≥ 200)")] = 1000
    w: Width = 320
    source: Literal["camera", "decoded"] = Field(
        default="camera", description="camera: the camera's 320-px still of each clip (cheap, shows the clip's "
        "first frame); decoded: this API's /still for each sample (the frame at the sample)")
