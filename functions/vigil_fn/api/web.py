"""The viewer page, served from the web root (`VIGIL_WEB_ROOT`, built by `make web`).

`/` → index.html; `/assets/*` → files with a year-long immutable cache (Vite puts a content hash
in their names); any other GET outside `/api/` → index.html (the single-page app routes itself).
Paths never leave the web root. Not built → 503 telling how to build it.
"""

from __future__ import annotations

import base64
import functools
import json
import mimetypes
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import unquote, urlsplit

import oss2
from vigil_camera.protocol import validate_device_id

from ..core.http import ApiError, Response


def oss_origin(endpoint: str, bucket: str) -> str:
    """The origin of the presigned URLs the page fetches: oss2 builds them (path style for an IP or
    localhost endpoint, `bucket.endpoint` otherwise), so ask it for one unsigned URL."""
    url = oss2.Bucket(oss2.AnonymousAuth(), endpoint, bucket).sign_url("GET", "x", 60)
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def csp(oss: str) -> str:
    """The page's Content-Security-Policy: the site itself and the bucket's origin, nothing else.

    Before security round three (item 8) connect-src, img-src and media-src allowed any `https:`
    and `http:` origin, so injected script could send what it read anywhere. Playlists come from
    the api ('self'), segments and exports from OSS (`oss`); `blob:` stays in media-src because
    hls.js plays through Media Source Extensions, whose object URLs are blob: (a local object, not
    an origin). hls.js's transmuxer worker is a same-origin file (web/src/player/hls-worker.ts), so
    workers need only 'self' — never blob:, which would let any script that builds a blob start one."""
    return (f"default-src 'self'; script-src 'self'; worker-src 'self'; img-src 'self' data: {oss}; "
            f"media-src 'self' blob: {oss}; connect-src 'self' {oss}; "
            "style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")

GRID_PATHS = ("/", "")
# the grid's list (each camera with its newest still) asked with the page, not after its script has
# loaded and run (issue 24: that was about half a second on a loaded machine). `crossorigin` makes the
# preload's mode and credentials those of the page's own fetch (cors, same-origin), so Chrome hands
# the preloaded answer to it instead of asking twice.
GRID_PRELOAD = "</api/v1/cameras>; rel=preload; as=fetch; crossorigin=anonymous"

_CAMERA_PAGE = re.compile(r"/cameras/([^/]+)/?")
_PLAIN_MS = re.compile(r"[0-9]{1,16}")


# A camera page opened at a time (`/cameras/<id>?t=<ms>`, the links the grid, alerts and shares make)
# gets its first picture from a `<video>` in the page's own HTML: it plays the recording from `t`
# (api/preview.py: a small MP4 made from the clip) while the script, the session, the playlist and
# hls.js are still on their way; the player takes over once it plays (web/src/player/preview.ts).
# The page's `Link` header names no /playback preload: Chromium has 6 connections per host over
# HTTP/1.1, the entry's scripts, the camera page's and its CSS take 5, and a 7th request made the
# preview wait for one (asked at ~270 ms, not ~190: the bench's first frame 0.9-1.2 s against
# 0.3-0.9 s without it, same minutes). The entry script asks for the plan itself (main.tsx).
# The browser asks for it with the session cookie like any same-origin request: a signed-out or
# not-allowed visitor gets an error, and the page drops the element. It comes after the app's root, so
# once the page has rendered its player, the player's `<video>` is the page's first.
PREVIEW_ANCHOR = '<div id="app"></div>'


def preview_tag(path: str, query: Mapping[str, str]) -> str | None:
    """The preview `<video>` of a camera page opened at a time, or None (validated id and a plain
    integer only: nothing unvalidated goes into the page)."""
    opened = _camera_at(path, query)
    if opened is None:
        return None
    camera, at = opened
    return (f'<video id="vigil-preview" class="player-preview" data-camera="{camera}" data-at="{at}" '
            f'src="/api/v1/cameras/{camera}/preview.mp4?at={at}" muted autoplay playsinline '
            'disablepictureinpicture aria-hidden="true"></video>')


def _camera_at(path: str, query: Mapping[str, str]) -> tuple[str, int] | None:
    """(camera id, t) of a camera page opened at a time, both validated; None otherwise."""
    camera = _camera_page(path)
    t = query.get("t", "")
    if camera is None or not _PLAIN_MS.fullmatch(t):
        return None
    return camera, int(t)


def _camera_page(path: str) -> str | None:
    """The camera id of a camera page's path (validated), or None."""
    page = _CAMERA_PAGE.fullmatch(path)
    if page is None:
        return None
    try:
        return validate_device_id(page.group(1))
    except ValueError:
        return None


# The camera page's own script and the player's (hls.js) are asked by the entry script only once it
# has loaded and run (web/src/main.tsx): ~300 ms after the page on a loaded machine, and then they
# still have to download and compile. Named in the page's answer, they download (and compile, as
# module preloads) beside the entry script instead. Vite's manifest says which files they are.
CAMERA_SCRIPT = "src/screens/CameraPage.tsx"
ENTRY_SCRIPT = "index.html"
MANIFEST = Path(".vite") / "manifest.json"


def page_scripts(root: Path, entry: str) -> tuple[str, ...]:
    """The `/assets/...` scripts that `entry` (a source path in Vite's manifest) runs: its own and all
    it imports statically. Empty when the build has no manifest or no such entry (the page then
    loads them as before)."""
    try:
        stamp = (root / MANIFEST).stat().st_mtime_ns
    except OSError:
        return ()
    return _page_scripts(str(root), stamp, entry)


@functools.lru_cache(maxsize=8)
def _page_scripts(root: str, stamp: int, entry: str) -> tuple[str, ...]:
    """page_scripts for one version of the manifest (`stamp`: a rebuild is read again)."""
    del stamp
    try:
        manifest = json.loads((Path(root) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ()
    files: list[str] = []
    todo, seen = [entry], set()
    while todo:
        key = todo.pop(0)
        chunk = manifest.get(key) if isinstance(manifest, dict) else None
        if key in seen or not isinstance(chunk, dict) or not isinstance(chunk.get("file"), str):
            continue
        seen.add(key)
        if _ASSET.fullmatch(chunk["file"]):  # nothing odd goes into a header
            files.append("/" + chunk["file"])
        todo.extend(k for k in chunk.get("imports", []) if isinstance(k, str))
    return tuple(files)


_ASSET = re.compile(r"assets/[A-Za-z0-9_.-]+\.js")

MAX_FILE_BYTES = 5 * 1024 * 1024  # FC responses are capped; the built assets are far smaller
_TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".html": "text/html; charset=utf-8",
          ".svg": "image/svg+xml", ".json": "application/json", ".map": "application/json", ".wasm": "application/wasm",
          ".woff2": "font/woff2", ".png": "image/png", ".ico": "image/x-icon", ".txt": "text/plain; charset=utf-8"}


def content_type(path: Path) -> str:
    return _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def _is_text(ctype: str) -> bool:
    return ctype.startswith("text/") or ctype in ("application/json", "image/svg+xml")


def _file_response(path: Path, cache: str, policy: str) -> Response:
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
                        "Content-Security-Policy": policy,
                        "Referrer-Policy": "no-referrer"}}


def serve(root_text: str, raw_path: str, policy: str, query: Mapping[str, str] | None = None) -> Response:
    root = Path(root_text)
    index = root / "index.html"
    if not index.is_file():
        raise ApiError(503, "unavailable", "the web page is not built: run `make web`")
    path = unquote(raw_path)
    if path.startswith("/assets/"):
        return _file_response(_asset(root, path), "public, max-age=31536000, immutable", policy)
    page = _file_response(index, "no-cache", policy)
    if path in GRID_PATHS:
        page["headers"]["Link"] = GRID_PRELOAD
    elif _camera_page(path) is not None:
        entry = set(page_scripts(root, ENTRY_SCRIPT))  # the page's own <script> tags ask for these
        links = [f"<{js}>; rel=modulepreload" for js in page_scripts(root, CAMERA_SCRIPT) if js not in entry]
        if (tag := preview_tag(path, query or {})) is not None and PREVIEW_ANCHOR in page["body"]:
            page["body"] = page["body"].replace(PREVIEW_ANCHOR, PREVIEW_ANCHOR + tag, 1)
        if links:
            page["headers"]["Link"] = ", ".join(links)
    return page


def _asset(root: Path, path: str) -> Path:
    """The file under the web root that `path` names; any failure to find it is a 404.

    `is_file()` raises OSError for a name past the file system's limit (5,000 × `a` was an
    anonymous 500 before security round three, item 5), so every step is inside the try."""
    try:
        if "\x00" in path:
            raise ValueError("NUL in a path")
        root_resolved = root.resolve()
        target = (root / path.lstrip("/")).resolve()
        if root_resolved in target.parents and target.is_file():
            return target
    except (OSError, ValueError):
        pass
    raise ApiError(404, "not_found", "no such file")
