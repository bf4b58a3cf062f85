"""Serving the built web page from a configurable web root (a tiny fixture folder here)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import pytest
from vigil_fn.api.app import ApiFunction
from vigil_fn.core.config import ApiSettings, Settings

pytestmark = pytest.mark.unit


def event(path: str, method: str = "GET", query: dict[str, str] | None = None) -> dict[str, Any]:
    return {"rawPath": path, "headers": {}, "queryParameters": query or {}, "body": "", "isBase64Encoded": False,
            "requestContext": {"requestId": "r-1", "http": {"method": method, "path": path, "sourceIp": "10.0.0.1"}}}


def function(root: Path) -> ApiFunction:
    return ApiFunction(Settings.from_env({}), ApiSettings.from_env({"VIGIL_WEB_ROOT": str(root),
                                                                     "VIGIL_SESSION_KEY": "k" * 32}))


def body(resp: dict[str, Any]) -> bytes:
    return base64.b64decode(resp["body"]) if resp["isBase64Encoded"] else resp["body"].encode()


def test_index_assets_and_spa_fallback(tmp_path: Path) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>Vigil</title>")
    (tmp_path / "assets" / "app-1234.js").write_text("console.log(1)")
    (tmp_path.parent / "secret.txt").write_text("nope")
    fn = function(tmp_path)
    root = fn.handle(event("/"))
    assert root["statusCode"] == 200 and body(root).startswith(b"<!doctype html>")
    assert root["headers"]["Content-Type"].startswith("text/html") and root["headers"]["Cache-Control"] == "no-cache"
    js = fn.handle(event("/assets/app-1234.js"))
    assert js["statusCode"] == 200 and body(js) == b"console.log(1)"
    assert js["headers"]["Content-Type"] == "text/javascript" and "immutable" in js["headers"]["Cache-Control"]
    spa = fn.handle(event("/cameras/cam-a/2026-12-01"))
    assert spa["statusCode"] == 200 and body(spa) == body(root)
    # the grid's page preloads its one list (cameras with their stills); other screens do not ask for it
    assert root["headers"]["Link"] == "</api/v1/cameras>; rel=preload; as=fetch; crossorigin=anonymous"
    assert "Link" not in spa["headers"] and "Link" not in js["headers"]
    # a camera page at a time gets its first picture from its HTML (a preview <video>), not from a
    # /playback preload: a 7th request to the host would hold the preview back (web.py says why)
    (tmp_path / "index.html").write_text('<!doctype html><div id="app"></div>')
    cam = fn.handle(event("/cameras/cam-a", query={"t": "1765000000000"}))
    assert cam["statusCode"] == 200 and "Link" not in cam["headers"]
    assert b'src="/api/v1/cameras/cam-a/preview.mp4?at=1765000000000"' in body(cam)
    # no time, a time that is not plain digits, or an id that is not a camera id: no preview
    for path, query in (("/cameras/cam-a", {}), ("/cameras/cam-a", {"t": "1e12"}), ("/cameras/cam-a", {"t": "-5"}),
                        ("/cameras/Bad%3E%3Bx", {"t": "1765000000000"}), ("/cameras/a>;x", {"t": "1"}),
                        ("/cameras/cam-a/x", {"t": "1"})):
        resp = fn.handle(event(path, query=query))
        assert resp["statusCode"] == 200 and "Link" not in resp["headers"], (path, query)
        assert b"preview" not in body(resp), (path, query)
    for bad in ("/assets/missing.js", "/assets/../../secret.txt", "/assets/%2e%2e/%2e%2e/secret.txt", "/assets/"):
        resp = fn.handle(event(bad))
        assert resp["statusCode"] == 404, bad
    assert fn.handle(event("/", "POST"))["statusCode"] == 405
    head = fn.handle(event("/", "HEAD"))
    assert head["statusCode"] == 200 and head["body"] == ""


def test_a_camera_page_names_its_scripts_from_the_build_manifest(tmp_path: Path) -> None:
    """Issue 30: the camera page's script and the player's (hls.js) download with the page, not after
    the entry script has run; the entry's own files are left to its <script> tags."""
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    (tmp_path / ".vite").mkdir()
    manifest = {
        "index.html": {"file": "assets/index-1.js", "isEntry": True, "imports": ["_shared-2.js"]},
        "_shared-2.js": {"file": "assets/shared-2.js"},
        "_player-3.js": {"file": "assets/player-3.js", "imports": ["_shared-2.js", "index.html"]},
        "src/screens/CameraPage.tsx": {"file": "assets/CameraPage-4.js", "imports": ["_shared-2.js", "_player-3.js"]},
        "_odd": {"file": "assets/x.js>; rel=preload"},
    }
    (tmp_path / ".vite" / "manifest.json").write_text(json.dumps(manifest))
    fn = function(tmp_path)
    scripts = "</assets/CameraPage-4.js>; rel=modulepreload, </assets/player-3.js>; rel=modulepreload"
    assert fn.handle(event("/cameras/cam-a"))["headers"]["Link"] == scripts
    at = fn.handle(event("/cameras/cam-a", query={"t": "1765000000000"}))["headers"]["Link"]
    assert at == scripts   # no /playback preload beside the page's preview (web.py)
    assert "Link" not in fn.handle(event("/cameras/a>;x"))["headers"]   # not a camera id: nothing
    assert "Link" not in fn.handle(event("/exports"))["headers"]
    assert fn.handle(event("/.vite/manifest.json"))["headers"]["Content-Type"].startswith("text/html")  # never served
    # a file name that could break out of the header is left out
    manifest["src/screens/CameraPage.tsx"]["imports"].append("_odd")
    (tmp_path / ".vite" / "manifest.json").write_text(json.dumps(manifest))
    os.utime(tmp_path / ".vite" / "manifest.json", ns=(1, 10**18))   # a rebuild: read again
    assert fn.handle(event("/cameras/cam-a"))["headers"]["Link"] == scripts
    # a broken manifest: the page still serves, without script links
    (tmp_path / ".vite" / "manifest.json").write_text("{not json")
    os.utime(tmp_path / ".vite" / "manifest.json", ns=(1, 2 * 10**18))
    resp = fn.handle(event("/cameras/cam-a"))
    assert resp["statusCode"] == 200 and "Link" not in resp["headers"]


def test_text_assets_are_gzipped_for_clients_that_accept_it(tmp_path: Path) -> None:
    import gzip

    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html>")
    script = "export const x = 1;\n" * 2000
    (tmp_path / "assets" / "app-5678.js").write_text(script)
    (tmp_path / "assets" / "logo.png").write_bytes(bytes(range(256)) * 40)
    fn = function(tmp_path)
    ev = event("/assets/app-5678.js")
    ev["headers"] = {"Accept-Encoding": "gzip, br"}
    js = fn.handle(ev)
    assert js["headers"].get("Content-Encoding") == "gzip"
    assert gzip.decompress(body(js)).decode() == script and len(body(js)) < len(script) / 10
    plain = fn.handle(event("/assets/app-5678.js"))  # no Accept-Encoding: as it is
    assert "Content-Encoding" not in plain["headers"] and body(plain).decode() == script
    png = fn.handle(event("/assets/logo.png"))
    assert png["isBase64Encoded"] and body(png) == bytes(range(256)) * 40


def test_not_built_is_a_503_naming_make_web(tmp_path: Path) -> None:
    resp = function(tmp_path / "missing").handle(event("/"))
    assert resp["statusCode"] == 503 and "make web" in resp["body"]


def test_malformed_events_are_400_not_tracebacks(tmp_path: Path) -> None:
    fn = function(tmp_path)
    for raw in (b"not json", b"[1,2]", {"rawPath": 5}, {"rawPath": "/x", "body": "%%%", "isBase64Encoded": True}):
        resp = fn.handle(raw)
        assert resp["statusCode"] == 400 and "Traceback" not in resp["body"]


def test_the_default_web_root_is_where_make_web_builds() -> None:
    """`make web` builds into functions/webroot/; the default must point there (the house move put
    config.py one folder deeper and the page answered "not built" with the page built)."""
    repo = Path(__file__).resolve().parents[3]
    default = ApiSettings.from_env({"VIGIL_SESSION_KEY": "k" * 32}).web_root
    assert Path(default).resolve() == repo / "functions" / "webroot"
