"""Security round three (issue 27), items 5, 8 and 9, in Chromium against the real api function:
the page may fetch, show and play only from itself and the bucket's OSS origin; it says
`X-Frame-Options: DENY` beside `frame-ancestors 'none'`, and HSTS when the request came over https;
an asset name too long for the file system is a 404. Each check failed on 7c00dd7 (CSP allowed any
`http:`/`https:` origin, no X-Frame-Options, no HSTS, a 500 for the long name)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

pytestmark = pytest.mark.e2e

VIOLATIONS = """async ([url, kind]) => {
  const seen = [];
  const listener = (e) => seen.push({directive: e.effectiveDirective, blocked: e.blockedURI});
  document.addEventListener('securitypolicyviolation', listener);
  if (kind === 'fetch') {
    try { await fetch(url, {mode: 'no-cors'}); } catch (e) { /* refused */ }
  } else {
    await new Promise((done) => { const img = new Image(); img.onload = img.onerror = done; img.src = url; });
  }
  await new Promise((r) => setTimeout(r, 0));   // violation events are queued as tasks
  document.removeEventListener('securitypolicyviolation', listener);
  return seen;
}"""


def _base(cloud: Any) -> str:
    return str(cloud.functions["vigil-api"]).rstrip("/")


def test_r3_item8_page_reaches_only_itself_and_the_bucket(cloud: Any, browser: Any) -> None:
    base = _base(cloud)
    oss = urlsplit(cloud.oss_endpoint)
    bucket_origin = f"{oss.scheme}://{oss.netloc}"   # localcloud listens on an IP: oss2 signs path-style URLs
    elsewhere = cloud.sts_endpoint.rstrip("/")     # a live origin that is neither the site nor OSS
    ctx = browser.new_context()
    page = ctx.new_page()
    try:
        doc = page.goto(f"{base}/login")
        assert doc is not None and doc.status == 200
        policy = doc.headers["content-security-policy"]
        directives = {p.split()[0]: p.split()[1:] for p in (x.strip() for x in policy.split(";")) if p}
        for name in ("connect-src", "img-src", "media-src"):
            assert "http:" not in directives[name] and "https:" not in directives[name], policy
            assert bucket_origin in directives[name], policy
        page.get_by_role("button", name="Sign in").wait_for(timeout=15_000)
        blocked_fetch = page.evaluate(VIOLATIONS, [f"{elsewhere}/exfiltrate?d=1", "fetch"])
        assert [v["directive"] for v in blocked_fetch] == ["connect-src"], blocked_fetch
        blocked_img = page.evaluate(VIOLATIONS, [f"{elsewhere}/pixel.png", "img"])
        assert [v["directive"] for v in blocked_img] == ["img-src"], blocked_img
        to_bucket = page.evaluate(VIOLATIONS, [f"{bucket_origin}/{cloud.bucket_name}/nothing", "fetch"])
        assert to_bucket == []                      # the bucket stays reachable (segments, exports)
    finally:
        ctx.close()


class _Framer(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        body = f'<!doctype html><iframe id="f" src="{self.target}/login"></iframe>'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_r3_item9_frame_options_and_hsts_on_the_page(cloud: Any, browser: Any) -> None:
    base = _base(cloud)
    _Framer.target = base
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Framer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    ctx = browser.new_context()
    tls = browser.new_context(extra_http_headers={"X-Forwarded-Proto": "https"})   # as FC's gateway says it
    try:
        page = ctx.new_page()
        doc = page.goto(f"{base}/login")
        assert doc is not None and doc.headers["x-frame-options"] == "DENY"
        assert "strict-transport-security" not in doc.headers              # plain http: no HSTS
        framed: list[Any] = []
        page.on("response", lambda r: framed.append(r) if r.url == f"{base}/login" else None)
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        page.wait_for_load_state("load")
        frame = page.frame_locator("#f")
        assert frame.get_by_role("button", name="Sign in").count() == 0    # never rendered inside a frame
        assert framed and framed[-1].headers["x-frame-options"] == "DENY"
        over_tls = tls.new_page().goto(f"{base}/login")
        assert over_tls is not None and over_tls.headers["strict-transport-security"] == "max-age=31536000"
        assert over_tls.headers["x-frame-options"] == "DENY"
    finally:
        ctx.close()
        tls.close()
        server.shutdown()


def test_r3_item5_an_asset_name_too_long_for_the_file_system_is_a_404(cloud: Any) -> None:
    base = _base(cloud)
    for path in ("/assets/" + "a" * 5000, "/assets/" + "a/" * 2100 + "x.js", "/assets/%00.js"):
        resp = requests.get(base + path, timeout=30)
        assert resp.status_code == 404, (len(path), resp.status_code, resp.text[:200])
        assert resp.json()["error"]["code"] == "not_found"
    index = requests.get(f"{base}/", timeout=30)
    asset = index.text.split('src="')[1].split('"')[0]
    assert asset.startswith("/assets/") and requests.get(base + asset, timeout=30).status_code == 200
