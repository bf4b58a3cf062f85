"""The viewer page, served from the web root (`VIGIL_WEB_ROOT`, built by `make web`).

`/` → index.html; `/assets/*` → files with a year-long immutable cache (Vite puts a content hash
in their names); any other GET outside `/api/` → index.html (the single-page app routes itself).
Paths never leave the web root. Not built → 503 telling how to build it.
"""

from __future__ import annotations

import base64
import mimetypes
from pathlib import Path
from urllib.parse import unquote

from ..core.http import ApiError, Response

# hls.js's transmuxer worker is a same-origin file (web/src/player/hls-worker.ts), so workers need
# only 'self' — never blob:, which would let any script that builds a blob start a worker
CSP = ("default-src 'self'; script-src 'self'; worker-src 'self'; img-src 'self' data: blob: https: http:; "
       "media-src 'self' blob: https: http:; connect-src 'self' https: http:; "
       "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'")
MAX_FILE_BYTES = 5 * 1024 * 1024  # FC responses are capped; the built assets are far smaller
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html; charset=utf-8",
          ".svg": "image/svg+xml", ".json": "application/json", ".map": "application/json", ".wasm": "application/wasm",
          ".woff2": "font/woff2", ".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain; charset=utf-8"}


def content_type(path: Path) -> str:
    return _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _is_text(ctype: str) -> bool:
    return ctype.startswith("text/") or ctype in ("application/json", "image/svg+xml")


def _file_response(path: Path, cache: str) -> Response:
    data = path.read_bytes()
    if len(data) > MAX_FILE_BYTES:
        raise ApiError(500, "internal_error", "a web file is too large to serve")
    ctype = content_type(path)
    try:  # text goes out as text, so the app's gzip step compresses it (the JS is ~3x smaller)
        body, encoded = (data.decode("utf-8"), False) if _is_text(ctype) else (base64.b64encode(data).decode(), True)
    except UnicodeDecodeError:
        body, encoded = base64.b64encode(data).decode(), True
    return {"statusCode": 200, "isBase64Encoded": encoded, "body": body,
            "headers": {"Content-Type": ctype, "Cache-Control": cache,
                        "Content-Security-Policy": CSP,
                        "Referrer-Policy": "no-referrer"}}


def serve(root_text: str, raw_path: str) -> Response:
    root = Path(root_text)
    index = root / "index.html"
    if not index.is_file():
        raise ApiError(503, "unavailable", "the web page is not built: run `make web`")
    path = unquote(raw_path)
    if path.startswith("/assets/"):
        try:
            root_resolved = root.resolve()
            target = (root / path.lstrip("/")).resolve()
        except (OSError, ValueError):
            raise ApiError(404, "not_found", "no such file") from None
        if root_resolved not in target.parents or not target.is_file() or "\x00" in path:
            raise ApiError(404, "not_found", "no such file")
        return _file_response(target, "public, max-age=31536000, immutable")
    return _file_response(index, "no-cache")
