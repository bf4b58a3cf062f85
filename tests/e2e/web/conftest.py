"""Browser fixtures for the web page tests: Debian's Chromium driven by Playwright (PyPI).

Playwright's own browser download does not work on these machines, so the tests launch
/usr/bin/chromium (`make chromium` installs it). Screenshots go under `.vigil/artifacts/web/`."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("VIGIL_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
ROOT = Path(__file__).resolve().parents[3]
WEBROOT = ROOT / "functions" / "webroot"
ARTIFACTS = Path(os.environ.get("VIGIL_ARTIFACTS", ROOT / ".vigil" / "artifacts")) / "web"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the session; each test opens its own context (cookies apart)."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: run `make chromium`"
    assert (WEBROOT / "index.html").exists(), "the web page is not built: run `make web`"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
