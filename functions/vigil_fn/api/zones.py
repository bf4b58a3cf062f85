"""The viewer's time zone at the API edge, and its local days as UTC instants.

The page shows local days (a viewer in Asia/Shanghai sees 00:00–24:00 UTC+8), while the index keeps
UTC days; the calendar converts between the two here, with the IANA database the runtime has
(Debian's tzdata, as in FC's python3.10 image)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,2}")


def zone_name(value: str) -> str:
    """A known IANA zone name, returned as is; ValueError (a 400 at the edge) otherwise."""
    if not _NAME_RE.fullmatch(value):
        raise ValueError("tz must be an IANA time zone name such as Asia/Shanghai")
    try:  # a folder of the database (`America`, `Etc`) raises IsADirectoryError, a broken file
        datetime(2000, 1, 1, tzinfo=ZoneInfo(value)).utcoffset()  # others: any failure is "unknown"
    except Exception:  # noqa: BLE001 - the zone did not load; a 400, never a 500 (round three, item 4)
        raise ValueError(f"unknown time zone: {value}") from None
    return value


def local_midnights(month_days: list[date], tz: str) -> list[int]:
    """Epoch ms of each day's local midnight in `tz`, and of the midnight after the last day.

    A midnight that a DST change skips is the first instant of that day (fold 0: the offset before
    the change), which is what a browser's `new Date(y, m, d)` gives too."""
    zone = ZoneInfo(tz)
    days = [*month_days, month_days[-1] + timedelta(days=1)]
    return [int(datetime(d.year, d.month, d.day, tzinfo=zone).timestamp() * 1000) for d in days]
