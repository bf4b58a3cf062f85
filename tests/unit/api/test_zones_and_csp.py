"""The viewer's time zone at the API edge (names, local midnights across DST) and the page's CSP
(workers and scripts from 'self' only: hls.js's worker is a same-origin file)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from pydantic import ValidationError
from vigil_fn.api.queries import CalendarQuery
from vigil_fn.api.times import month_days
from vigil_fn.api.web import csp, oss_origin, serve
from vigil_fn.api.zones import local_midnights, zone_name

pytestmark = pytest.mark.unit


def ms(*args: int) -> int:
    return int(datetime(*args, tzinfo=timezone.utc).timestamp() * 1000)


def test_local_midnights_ahead_of_utc_and_across_a_dst_change() -> None:
    shanghai = local_midnights(month_days("2026-12"), "Asia/Shanghai")
    assert len(shanghai) == 32 and shanghai[0] == ms(2026, 11, 30, 16) and shanghai[-1] == ms(2026, 12, 31, 16)
    assert {b - a for a, b in zip(shanghai, shanghai[1:], strict=False)} == {86_400_000}
    berlin = local_midnights(month_days("2026-03"), "Europe/Berlin")  # summer time from 29 March
    lengths = [(b - a) // 3_600_000 for a, b in zip(berlin, berlin[1:], strict=False)]
    assert lengths[28] == 23 and lengths.count(24) == 30
    assert berlin[29] == ms(2026, 3, 29, 22)  # 30 March 00:00 CEST
    assert local_midnights([date(2026, 11, 10)], "UTC") == [ms(2026, 11, 10), ms(2026, 11, 11)]


def test_zone_names_are_checked_before_use() -> None:
    assert zone_name("Asia/Shanghai") == "Asia/Shanghai"
    assert zone_name("America/Argentina/Buenos_Aires") == "America/Argentina/Buenos_Aires"
    for bad in ("Mars/Olympus", "../../etc/passwd", "/etc/localtime", "Asia//Shanghai", "Asia/Shang hai"):
        with pytest.raises(ValueError):
            zone_name(bad)
    assert CalendarQuery(month="2026-11").tz == "UTC"
    with pytest.raises(ValidationError, match="unknown time zone"):
        CalendarQuery(month="2026-11", tz="Nowhere/Atall")


def test_csp_allows_workers_and_scripts_from_self_only(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text("<!doctype html>")
    policy = csp(oss_origin("https://oss-cn-hangzhou.aliyuncs.com", "vigil-demo"))
    policy_text = serve(str(tmp_path), "/", policy)["headers"]["Content-Security-Policy"]
    directives = {p.split()[0]: p.split()[1:] for p in (x.strip() for x in policy_text.split(";")) if p}
    assert directives["worker-src"] == ["'self'"] and directives["script-src"] == ["'self'"]
    assert "blob:" not in directives["default-src"] and directives["frame-ancestors"] == ["'none'"]
    bucket = "https://vigil-demo.oss-cn-hangzhou.aliyuncs.com"   # virtual-hosted, as oss2 signs for a domain
    assert directives["connect-src"] == ["'self'", bucket] and directives["img-src"] == ["'self'", "data:", bucket]
    assert directives["media-src"] == ["'self'", "blob:", bucket]
    assert oss_origin("http://127.0.0.1:9000", "vigil-local") == "http://127.0.0.1:9000"   # path style for an IP
