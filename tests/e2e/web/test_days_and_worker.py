"""The web page in a viewer's own time zone (Asia/Shanghai, UTC+8) around its midnight, which is
16:00 UTC: the calendar marks exactly the local days whose timeline shows recordings, previous /
next clip go on across days (skipping empty ones) and say when there is nothing further; and
hls.js plays with its transmuxer worker under the page's CSP (`worker-src 'self'`, no blob:)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from vigil_camera.keys import clip_key

from .conftest import Site, browser_context, load_support
from .test_web_page import TZ, login, pause, shown_ms, wait_shown_near

pytestmark = pytest.mark.e2e
S = load_support()
ZONE = ZoneInfo(TZ)


@pytest.fixture
def ctx(browser: Any) -> Iterator[Any]:
    with browser_context(browser, timezone_id=TZ) as c:
        yield c


@dataclass
class Days:
    """A camera whose clips lie around Shanghai midnights; `x` is the first local day."""

    camera: str
    x: date
    starts: dict[str, int]  # A, C, D, E → start ms

    def local(self, n: int) -> str:
        return (self.x + timedelta(days=n)).isoformat()


@pytest.fixture(scope="module")
def days(site: Site) -> Days:
    """Clips copied from a simulated one (real H.264 TS) to keys around the Shanghai midnight:
    A 23:59:50 on day X, C 00:00:30 on X+1 (both UTC day X), D 09:00 on X+2, E 04:00 on X+4 (UTC
    X+3, so UTC-day marking would mark X+3 and miss X+1 and X+4). X is the 10th of last month."""
    today = datetime.now(ZONE).date()
    x = (today.replace(day=1) - timedelta(days=1)).replace(day=10)
    utc = datetime(x.year, x.month, x.day, 15, 59, 50, tzinfo=timezone.utc)
    at = {"A": utc, "C": utc + timedelta(seconds=40), "D": utc + timedelta(days=1, hours=9, seconds=10),
          "E": utc + timedelta(days=3, hours=4, seconds=10)}
    camera = f"web-d-{site.cam_a[-6:]}"
    S.provision(site.cloud, camera, "Gate")
    bucket = site.cloud.bucket()
    data = bucket.get_object(site.clips_b[0]).read()
    keys = []
    for seq, moment in enumerate(at.values()):
        keys.append(clip_key(camera, moment, seq, "ts"))
        bucket.put_object(keys[-1], data, headers={"Content-Type": "video/mp2t"})
    S.wait_indexed(site.cloud, camera, keys)
    return Days(camera, x, {k: int(v.timestamp() * 1000) for k, v in at.items()})


def local_field(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, ZONE).strftime("%Y-%m-%dT%H:%M:%S")


def clip_starts(page: Any) -> list[int]:
    page.wait_for_function("() => !document.querySelector('.tl-track').classList.contains('loading')")
    return [int(e.get_attribute("data-start")) for e in page.locator(".tl-clip").all()]


def open_paused_at(ctx: Any, site: Site, d: Days, t: int) -> Any:
    """The camera page paused at `t` (it autoplays; the clip is short, so go back to `t`)."""
    page = login(ctx, site, site.admin, f"/cameras/{d.camera}?t={t}")
    page.wait_for_function("() => { const v = document.querySelector('#app video'); return v && !v.paused }")
    pause(page)
    page.get_by_label("Date and time to jump to").fill(local_field(t))
    page.get_by_role("button", name="Go", exact=True).click()
    wait_shown_near(page, t // 1000 * 1000, 500)
    return page


def test_calendar_marks_the_viewers_days(ctx: Any, site: Site, days: Days, artifacts: Path) -> None:
    page = open_paused_at(ctx, site, days, days.starts["A"] + 1000)
    assert clip_starts(page) == [days.starts["A"]]  # C is 40 s later but after the local midnight
    page.get_by_role("button", name="Calendar").click()
    cal = page.get_by_role("dialog", name="Pick a day")
    want = {days.local(0), days.local(1), days.local(2), days.local(4)}
    page.wait_for_function("n => document.querySelectorAll('.calendar button.has').length === n", arg=len(want))
    marked = set(cal.locator("button.has").evaluate_all("els => els.map(e => e.dataset.day)"))
    assert marked == want  # not X+3, the UTC day of E
    page.screenshot(path=str(artifacts / "calendar-shanghai.png"), full_page=True)
    # a marked day opens on its recordings; an unmarked one (with recordings on its UTC day) is empty
    cal.locator(f'button[data-day="{days.local(1)}"]').click()
    page.wait_for_function("d => document.querySelector('.nav-row [aria-label=Calendar]').textContent.includes(d)",
                           arg=days.local(1))
    assert clip_starts(page) == [days.starts["C"]]
    page.get_by_role("button", name="Calendar").click()
    page.locator(f'.calendar button[data-day="{days.local(3)}"]').click()
    page.wait_for_function("d => document.querySelector('.nav-row [aria-label=Calendar]').textContent.includes(d)",
                           arg=days.local(3))
    assert clip_starts(page) == []
    page.get_by_role("button", name="Calendar").click()
    page.locator(f'.calendar button[data-day="{days.local(4)}"]').click()
    page.wait_for_function("d => document.querySelector('.nav-row [aria-label=Calendar]').textContent.includes(d)",
                           arg=days.local(4))
    assert clip_starts(page) == [days.starts["E"]]


def test_previous_and_next_clip_go_on_across_days(ctx: Any, site: Site, days: Days) -> None:
    page = open_paused_at(ctx, site, days, days.starts["A"] + 1000)
    status = page.get_by_role("status")

    def step(name: str, clip: str, day: int) -> None:
        page.get_by_role("button", name=name).click()
        wait_shown_near(page, days.starts[clip], 500)
        page.wait_for_function("d => document.querySelector('.nav-row [aria-label=Calendar]').textContent.includes(d)",
                               arg=days.local(day))
        assert clip_starts(page)[0 if name == "Next clip" else -1] == days.starts[clip]
        assert re.search(rf"[?&]t={days.starts[clip]}\b", page.url), page.url
        assert page.evaluate("() => document.querySelector('#app video').paused")  # paused, it stays paused

    calendars: list[str] = []
    page.on("request", lambda r: calendars.append(r.url) if "/calendar?" in r.url else None)
    # next: A (X) → C (X+1, 40 s later but the next local day) → D (X+2): the adjacent day's own
    # timeline has the clip, no calendar needed; → E (X+4): X+3 is empty, the calendar finds X+4
    for clip, day in (("C", 1), ("D", 2)):
        step("Next clip", clip, day)
    assert calendars == []
    step("Next clip", "E", 4)
    assert calendars and all("tz=Asia%2FShanghai" in u for u in calendars), calendars
    page.get_by_role("button", name="Next clip").click()
    status.filter(has_text=f"No recordings after {days.local(4)}.").wait_for()
    assert abs(shown_ms(page) - days.starts["E"]) <= 500  # still there
    # previous: back the same way, then nothing before day X
    for clip, day in (("D", 2), ("C", 1), ("A", 0)):
        step("Previous clip", clip, day)
    page.get_by_role("button", name="Previous clip").click()
    status.filter(has_text=f"No recordings before {days.local(0)} (looked back 24 months).").wait_for(timeout=120_000)
    assert abs(shown_ms(page) - days.starts["A"]) <= 500


def test_hls_plays_in_its_worker_with_no_csp_violation(ctx: Any, site: Site) -> None:
    ctx.add_init_script("""window.__csp = [];
      document.addEventListener('securitypolicyviolation',
        e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI), true);""")
    ctx.add_cookies([{"name": "vigil_session", "value": site.sessions[site.admin[0]], "url": site.base}])
    page = ctx.new_page()
    workers: list[str] = []
    page.on("worker", lambda w: workers.append(w.url))
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    start = S.clip_start_ms(site.run1[0])
    resp = page.goto(f"{site.base}/cameras/{site.cam_a}?t={start + 300}")
    csp = resp.headers["content-security-policy"]
    directives = {p.split()[0]: p.split()[1:] for p in (x.strip() for x in csp.split(";")) if p}
    assert directives["worker-src"] == ["'self'"] and directives["script-src"] == ["'self'"], csp
    page.locator(".tl-clip").first.wait_for()  # signed in, the page and its player rendered
    playing = "() => { const v = document.querySelector('#app video'); return v && !v.paused && v.currentTime > 0 }"
    page.wait_for_function(playing)
    t0 = page.evaluate("() => document.querySelector('#app video').currentTime")
    page.wait_for_function(f"() => document.querySelector('#app video').currentTime >= {t0 + 3}", timeout=60_000)
    assert page.evaluate("() => document.querySelector('#app video').dataset.fatalErrors") is None
    assert [w for w in workers if re.fullmatch(rf"{re.escape(site.base)}/assets/hls\.worker-[\w-]+\.js", w)], workers
    assert not [w for w in workers if w.startswith("blob:")], workers
    assert page.evaluate("() => window.__csp") == []
    assert problems == [], problems
