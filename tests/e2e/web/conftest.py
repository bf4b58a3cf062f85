"""Browser fixtures for the web page tests: Debian's Chromium driven by Playwright (PyPI).

Playwright's own browser download does not work on these machines, so the tests launch
/usr/bin/chromium (`make chromium` installs it). Screenshots go under `.vigil/artifacts/web/`."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.loading import load_path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
WEBROOT = ROOT / "functions" / "webroot"
ARTIFACTS = Path(os.environ.get("VIGIL_ARTIFACTS", ROOT / ".vigil" / "artifacts")) / "web"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session; each test opens its own context (cookies apart)."""
    from playwright.sync_api import sync_playwright

    assert (WEBROOT / "index.html").exists(), "the web page is not built: run `make web`"
    with sync_playwright() as pw:
        b = load_support().launch_chromium(pw)
        try:
            yield b
        finally:
            b.close()


@contextmanager
def browser_context(browser: Any, *, width: int = 1280, height: int = 900, timeout_ms: int = 30_000,
                    **options: Any) -> Iterator[Any]:
    """A fresh browser context (cold cache, no cookies), English (UK) unless `options` say otherwise
    (a time zone, downloads), closed when done."""
    c = browser.new_context(**{"locale": "en-GB", "viewport": {"width": width, "height": height}, **options})
    c.set_default_timeout(timeout_ms)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def ctx(browser: Any) -> Iterator[Any]:
    """The plain context per test; a file that needs another viewport, a time zone or downloads defines its
    own `ctx` over `browser_context`."""
    with browser_context(browser) as c:
        yield c


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def load_support() -> Any:
    """support.py by path: test folders are not packages under --import-mode=importlib."""
    return load_path("vigil_web_test_support", HERE / "support.py")


@dataclass
class Site:
    """The stack with two simulated cameras, an admin and a viewer, as the browser tests see it."""

    cloud: Any
    base: str  # the api function's URL: it serves the page and /api/v1
    cam_a: str
    cam_b: str
    run1: list[str]  # camera A's first run of clips; then a pause; then run2
    run2: list[str]
    clips_b: list[str]
    cam_c: str  # for range deletion
    clips_c: list[str]
    admin: tuple[str, str]
    viewer: tuple[str, str]
    sessions: dict[str, str]  # user name -> session cookie, signed in once (the per-user login limit is 10/min)

    @property
    def keys_a(self) -> list[str]:
        return self.run1 + self.run2


@pytest.fixture(scope="session")
def site(cloud: Any, tmp_path_factory: pytest.TempPathFactory) -> Site:
    s = load_support()
    tag = uuid.uuid4().hex[:6]
    cam_a, cam_b, cam_c = f"web-a-{tag}", f"web-b-{tag}", f"web-c-{tag}"
    s.provision(cloud, cam_a, "Front door")
    s.provision(cloud, cam_b, "Yard")
    s.provision(cloud, cam_c, "Shed")
    work = tmp_path_factory.mktemp("web-cams")
    run1 = s.simulate(cloud, cam_a, work / "a", 3)
    # the simulator stamps frames from when it starts: wait so the second run leaves a real gap
    s.wait_until_wall(s.clip_start_ms(run1[-1]) + s.CLIP_SECONDS * 1000 + GAP_MS)
    run2 = s.simulate(cloud, cam_a, work / "a", 3)
    clips_b = s.simulate(cloud, cam_b, work / "b", 1)
    clips_c = s.simulate(cloud, cam_c, work / "c", 3)
    s.wait_indexed(cloud, cam_a, run1 + run2)
    s.wait_indexed(cloud, cam_b, clips_b)
    s.wait_indexed(cloud, cam_c, clips_c)
    admin = (f"admin-{tag}", "admin-password-" + tag)
    viewer = (f"viewer-{tag}", "viewer-password-" + tag)
    s.create_user(cloud, admin[0], admin[1], "admin")
    s.create_user(cloud, viewer[0], viewer[1], "viewer", [cam_a])
    assert len(run1) == 3 and len(run2) == 3 and len(clips_b) == 1
    base = cloud.functions["vigil-api"]
    sessions = {}
    for name, password in (admin, viewer):
        resp = requests.post(f"{base}/api/v1/login", json={"username": name, "password": password}, timeout=30)
        assert resp.status_code == 200, resp.text
        sessions[name] = resp.cookies["vigil_session"]
    return Site(cloud, base, cam_a, cam_b, run1, run2, clips_b, cam_c, clips_c, admin, viewer, sessions)


GAP_MS = 8_000
