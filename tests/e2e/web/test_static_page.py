"""The built page loads in Chromium from functions/webroot with nothing fetched from elsewhere."""

from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from .conftest import WEBROOT

pytestmark = pytest.mark.e2e


class _Spa(SimpleHTTPRequestHandler):
    """Files from the web root; index.html for other paths; /api answers 401 as a signed-out API does."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        path = urlsplit(self.path).path
        if path.startswith("/api/"):
            body = b'{"error": {"code": "unauthenticated", "message": "Sign in first."}}'
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        if not (WEBROOT / path.lstrip("/")).is_file():
            self.path = "/index.html"
        super().do_GET()

    def log_message(self, *args: Any) -> None:
        pass


def test_login_screen_renders_from_the_built_files(browser: Any, artifacts: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Spa, directory=str(WEBROOT)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    ctx = browser.new_context(viewport={"width": 390, "height": 844})
    page = ctx.new_page()
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(base) else None)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(f"{base}/cameras/cam-1")
        page.get_by_role("button", name="Sign in").wait_for(timeout=15_000)
        assert page.url.startswith(f"{base}/login?next=")
        assert page.get_by_label("User name").is_visible()
        assert page.get_by_label("Password").is_visible()
        page.screenshot(path=str(artifacts / "static-login-phone.png"))
    finally:
        ctx.close()
        server.shutdown()
    assert outside == [] and errors == []
