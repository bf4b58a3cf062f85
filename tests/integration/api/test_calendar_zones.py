"""The month calendar in the viewer's time zone: a day is marked exactly when that zone's day
timeline shows recordings (Asia/Shanghai, UTC+8, and New York across its DST change), over real
clips indexed by the real indexer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from vigil_fn.api.models import ZonedCalendar

BASE = datetime(2026, 11, 10, 15, 59, 50, tzinfo=timezone.utc)  # 23:59:50 in Shanghai
H = 3600
# (seconds from BASE, simulator clip, seq): each clip is 2 s long
LAYOUT = [
    (0, 0, 0),                        # A: Nov 10 23:59:50 Shanghai
    (9, 1, 1),                        # B: 23:59:59 → 00:00:01, on both Shanghai days
    (40, 2, 2),                       # C: Nov 11 00:00:30 Shanghai, still Nov 10 in UTC
    (2 * 24 * H + 9 * H + 10, 3, 3),  # D: Nov 13 01:00 UTC = 09:00 Shanghai
    (4 * 24 * H + 4 * H + 10, 0, 4),  # E: Nov 14 20:00 UTC = Nov 15 04:00 Shanghai
    (20 * 24 * H + H + 10, 1, 5),     # F: Nov 30 17:00 UTC = Dec 1 01:00 Shanghai
    (-10 * 24 * H + 30 * 60 + 10, 2, 6),  # G: Oct 31 16:30 UTC = Nov 1 00:30 Shanghai
]




def month_of(month: str, tz: str) -> list[tuple[str, int, int]]:
    """(day, local midnight, next local midnight) of every day of `month` in `tz`."""
    zone = ZoneInfo(tz)
    y, m = map(int, month.split("-"))
    d, out = date(y, m, 1), []
    while d.month == m:
        nxt = d + timedelta(days=1)
        start = int(datetime(d.year, d.month, d.day, tzinfo=zone).timestamp() * 1000)
        end = int(datetime(nxt.year, nxt.month, nxt.day, tzinfo=zone).timestamp() * 1000)
        out.append((d.isoformat(), start, end))
        d = nxt
    return out


def test_days_are_the_viewers_days_and_match_their_timelines(camera_with_clips: Callable[..., Any],
                                                              make_user: Callable[..., Any],
                                                              client: Callable[..., Any]) -> None:
    camera, _ = camera_with_clips(LAYOUT, base=BASE)
    api = client(make_user())

    def calendar(month: str, tz: str | None) -> dict[str, Any]:
        resp = api.get(f"/api/v1/cameras/{camera}/calendar", params={"month": month, **({"tz": tz} if tz else {})})
        assert resp.status_code == 200, resp.text
        ZonedCalendar.model_validate(resp.json())
        assert resp.json()["tz"] == (tz or "UTC")
        return {d["day"]: d for d in resp.json()["days"]}

    shanghai = calendar("2026-11", "Asia/Shanghai")
    assert {d: v["clips"] for d, v in shanghai.items()} == {
        "2026-11-01": 1, "2026-11-10": 2, "2026-11-11": 2, "2026-11-13": 1, "2026-11-15": 1}
    assert list(calendar("2026-12", "Asia/Shanghai")) == ["2026-12-01"]
    # the same clips by UTC days (no tz, as before): Nov 14 has E, Nov 1 has nothing
    assert {d: v["clips"] for d, v in calendar("2026-11", None).items()} == {
        "2026-11-10": 3, "2026-11-13": 1, "2026-11-14": 1, "2026-11-30": 1}
    assert list(calendar("2026-10", "UTC")) == ["2026-10-31"]

    # the invariant the page relies on, in a zone ahead of UTC and one behind it across a DST change
    for tz in ("Asia/Shanghai", "America/New_York"):
        cal = calendar("2026-11", tz)
        for day, start, end in month_of("2026-11", tz):
            tl = api.get(f"/api/v1/cameras/{camera}/timeline", params={"start": start, "end": end})
            assert tl.status_code == 200, tl.text
            shown = [i for i in tl.json()["items"] if i["type"] == "clip"]
            assert len(shown) == (cal[day]["clips"] if day in cal else 0), (tz, day, shown, cal.get(day))
            # recorded time inside the day: B, across the Shanghai midnight, counts on each side once
            inside = sum(max(0, min(c["end"], end) - max(c["start"], start)) for c in shown)
            assert (cal[day]["recorded_ms"] if day in cal else 0) == inside, (tz, day)


@pytest.mark.parametrize("tz", ["Mars/Olympus_Mons", "../../etc/passwd", "/usr/share/zoneinfo/UTC", "", "x" * 65])
def test_an_unknown_or_malformed_zone_is_a_clear_400(camera_with_clips: Callable[..., Any],
                                                     make_user: Callable[..., Any], client: Callable[..., Any],
                                                     tz: str) -> None:
    camera, _ = camera_with_clips([(0, 0, 0)], base=BASE)
    resp = client(make_user()).get(f"/api/v1/cameras/{camera}/calendar", params={"month": "2026-11", "tz": tz})
    assert resp.status_code == 400, resp.text
    err = resp.json()["error"]
    assert err["code"] == "invalid_request" and "tz" in err["message"]
