"""Instants at the API edge: ISO-8601 with an offset or epoch milliseconds in, epoch ms out."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

_MS_RE = re.compile(r"-?[0-9]{1,15}")
MIN_MS = 0
MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z
MIN_YEAR, MAX_YEAR = 1970, 9998
"""Months a calendar may ask for: every local day of them, with the day on either side that a
zone's offset reaches, stays inside [MIN_MS, MAX_MS] and inside what `date` can hold (year 0 and
the day after 9999-12-31 raised, a 500 before security round three, item 4)."""


def parse_instant(value: object) -> int:
    """`2026-12-01T10:00:00Z` / `...+08:00` / epoch ms (int or digits) → epoch ms; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError("an instant is ISO-8601 with an offset or epoch milliseconds")
    if isinstance(value, int):
        ms = value
    elif isinstance(value, str) and _MS_RE.fullmatch(value.strip()):
        ms = int(value.strip())
    elif isinstance(value, str):
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError("an instant is ISO-8601 with an offset (2026-12-01T10:00:00Z) "
                             "or epoch milliseconds") from None
        if moment.tzinfo is None:
            raise ValueError("an ISO-8601 instant needs an offset (Z or +HH:MM)")
        ms = int(moment.timestamp() * 1000)
    else:
        raise ValueError("an instant is ISO-8601 with an offset or epoch milliseconds")
    if not MIN_MS <= ms <= MAX_MS:
        raise ValueError("the instant is out of range")
    return ms


def to_datetime(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)


def iso(ms: int) -> str:
    """`2026-12-01T10:00:00.000Z` (what EXT-X-PROGRAM-DATE-TIME and the audit log use)."""
    moment = to_datetime(ms)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def day_of(ms: int) -> date:
    return to_datetime(ms).date()


def day_start_ms(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp() * 1000)


def month_days(month: str) -> list[date]:
    """`YYYY-MM` → its days; ValueError for anything else."""
    m = re.fullmatch(r"([0-9]{4})-([0-9]{2})", month)
    if not m:
        raise ValueError("month must be YYYY-MM")
    if not MIN_YEAR <= int(m[1]) <= MAX_YEAR:
        raise ValueError(f"the year must be between {MIN_YEAR} and {MAX_YEAR}")
    first = date(int(m[1]), int(m[2]), 1)  # raises for month 13
    days = []
    day = first
    while day.month == first.month:
        days.append(day)
        day += timedelta(days=1)
    return days
