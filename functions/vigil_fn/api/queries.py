"""Query-string models (validated like bodies; unknown parameters are refused)."""

from typing import Annotated

from pydantic import Field, model_validator

from .models import Instant, Request


class TimeRange(Request):
    start: Instant
    end: Instant

    @model_validator(mode="after")
    def _ordered(self) -> "TimeRange":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class MonthQuery(Request):
    month: Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")]


class KeyQuery(Request):
    key: Annotated[str, Field(min_length=1, max_length=1024, description="a clip key (videos/...)")]


class AuditQuery(Request):
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    before: Instant | None = None
