"""The gateway's config: one JSON file, the gateway's own device settings plus its cameras.

    {
      "token_url": "https://...", "device_id": "gw-shop", "device_secret": "<64 hex>",
      "spool_dir": "/var/lib/vigil-gateway/spool",
      "cameras": [
        {"id": "front-door", "url": "rtsp://10.0.0.21:554/stream1",
         "substream": "rtsp://10.0.0.21:554/stream2",
         "username": "admin", "password_file": "/etc/vigil-gateway/front-door.pw",
         "clip_seconds": 10, "max_spool_mb": 2048, "audio": false, "transport": "tcp", "live": true}
      ]
    }

Credentials: `username` plus one of `password_file` (a file only the service user reads),
`password_env` (an environment variable, e.g. from systemd's `LoadCredential`/`EnvironmentFile`) or
`password` in this file (0600). They are put into the URL in memory only: never on a command line
(so never in a process list) and never in a log line (`sources.redact`). A URL that already holds
`user:password@` works too and is redacted the same way.

`live` (true/false) turns the hourly append log (`live/<camera>/<YYYY>/<MM>/<DD>/<HH>.ts`) on or off
for that camera; without it the camera follows `gateway --live`.

`activity` (true/false) turns activity analysis on or off for that camera; without it the camera
follows `gateway --activity`. A camera with a `substream` is analysed on the substream
(`substream.py`); one without on its main stream's keyframes, as `record --activity` does
(docs/gateway.md has the CPU figures of both).

Validation names the camera and the field. A camera with a mistake is reported and left out; the
others record (`load` returns both).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from . import config as cfg
from .protocol import validate_device_id
from .sources import LIVE_SCHEMES, redact

CAMERA_FIELDS = {"id", "name", "url", "substream", "username", "password", "password_file", "password_env",
                 "clip_seconds", "max_spool_mb", "audio", "transport", "read_timeout", "live", "activity"}
MAX_CAMERAS = 64
_ENV_RE = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")


class CameraConfigError(ValueError):
    """One camera's mistake: which camera, which field."""

    def __init__(self, camera: str, field_name: str, message: str) -> None:
        self.camera = camera
        self.field = field_name
        self.message = redact(f"camera {camera}: {field_name}: {message}")
        super().__init__(self.message)


@dataclass(frozen=True)
class Camera:
    id: str
    url: str = field(repr=False)            # with credentials: never printed
    substream: str | None = field(default=None, repr=False)
    name: str = ""
    clip_seconds: float = 10.0
    max_spool_bytes: int | None = None
    audio: bool = False
    transport: str = "tcp"
    read_timeout: float = 5.0
    live: bool | None = None                # the hourly append log; None: as `gateway --live` says
    activity: bool | None = None            # activity analysis; None: as `gateway --activity` says

    @property
    def shown_url(self) -> str:
        return redact(self.url)


@dataclass
class GatewayConfig:
    settings: cfg.Settings
    cameras: list[Camera]
    errors: list[CameraConfigError]


def _with_credentials(url: str, username: str | None, password: str | None) -> str:
    if username is None:
        return url
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    cred = quote(username, safe="") + (":" + quote(password, safe="") if password is not None else "")
    return urlunsplit((parts.scheme, f"{cred}@{host}", parts.path, parts.query, parts.fragment))


def _url(cam: str, name: str, value: object) -> str:
    if not isinstance(value, str) or "://" not in value:
        raise CameraConfigError(cam, name, "must be an rtsp:// URL")
    scheme = value.split("://", 1)[0].lower()
    if scheme not in LIVE_SCHEMES:
        raise CameraConfigError(cam, name, f"unknown scheme {scheme}:// (use rtsp://)")
    if not urlsplit(value).hostname:
        raise CameraConfigError(cam, name, "has no host")
    return value


def _number(cam: str, name: str, value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise CameraConfigError(cam, name, f"must be a number from {low:g} to {high:g}")
    return float(value)


def _password(cam: str, doc: Mapping[str, Any], env: Mapping[str, str]) -> str | None:
    given = [k for k in ("password", "password_file", "password_env") if k in doc]
    if len(given) > 1:
        raise CameraConfigError(cam, given[1], f"give one of password, password_file, password_env (got {given})")
    if not given:
        return None
    key = given[0]
    value = doc[key]
    if not isinstance(value, str) or not value:
        raise CameraConfigError(cam, key, "must be a non-empty string")
    if key == "password":
        return value
    if key == "password_env":
        if not _ENV_RE.fullmatch(value):
            raise CameraConfigError(cam, key, "must name an environment variable (A-Z, 0-9, _)")
        if value not in env:
            raise CameraConfigError(cam, key, f"environment variable {value} is not set")
        return env[value]
    try:
        return Path(value).read_text().strip("\r\n")
    except OSError as exc:
        raise CameraConfigError(cam, key, f"cannot read {value}: {exc.strerror or exc}") from None


def parse_camera(doc: object, index: int, env: Mapping[str, str]) -> Camera:
    """One camera entry → `Camera`, or `CameraConfigError` naming it (by id, else by position)."""
    where = f"#{index + 1}"
    if not isinstance(doc, dict):
        raise CameraConfigError(where, "camera", "must be a JSON object")
    raw_id = doc.get("id")
    cam = raw_id if isinstance(raw_id, str) and raw_id else where
    try:
        camera_id = validate_device_id(raw_id if isinstance(raw_id, str) else "")
    except ValueError as exc:
        raise CameraConfigError(cam, "id", str(exc)) from None
    unknown = sorted(set(doc) - CAMERA_FIELDS)
    if unknown:
        raise CameraConfigError(cam, unknown[0], f"unknown field (known: {', '.join(sorted(CAMERA_FIELDS))})")
    url = _url(cam, "url", doc.get("url"))
    sub = _url(cam, "substream", doc["substream"]) if doc.get("substream") is not None else None
    username = doc.get("username")
    if username is not None and (not isinstance(username, str) or not username):
        raise CameraConfigError(cam, "username", "must be a non-empty string")
    password = _password(cam, doc, env)
    if password is not None and username is None:
        raise CameraConfigError(cam, "username", "a password needs a username")
    audio = doc.get("audio", False)
    if not isinstance(audio, bool):
        raise CameraConfigError(cam, "audio", "must be true or false")
    live = doc.get("live")
    if live is not None and not isinstance(live, bool):
        raise CameraConfigError(cam, "live", "must be true or false")
    activity = doc.get("activity")
    if activity is not None and not isinstance(activity, bool):
        raise CameraConfigError(cam, "activity", "must be true or false")
    transport = doc.get("transport", "tcp")
    if transport not in ("tcp", "udp"):
        raise CameraConfigError(cam, "transport", "must be tcp or udp")
    spool_mb = doc.get("max_spool_mb")
    name = doc.get("name", "")
    if not isinstance(name, str) or len(name) > 200:
        raise CameraConfigError(cam, "name", "must be a string of at most 200 characters")
    return Camera(
        id=camera_id, name=name,
        url=_with_credentials(url, username, password),
        substream=_with_credentials(sub, username, password) if sub else None,
        clip_seconds=_number(cam, "clip_seconds", doc.get("clip_seconds", 10), 1, 600),
        max_spool_bytes=int(_number(cam, "max_spool_mb", spool_mb, 1, 10_000_000) * cfg.MiB)
        if spool_mb is not None else None,
        audio=audio, transport=str(transport), live=live, activity=activity,
        read_timeout=_number(cam, "read_timeout", doc.get("read_timeout", 5), 1, 120))


def load(path: Path, env: Mapping[str, str] | None = None) -> GatewayConfig:
    """Read and validate the gateway config. File-level mistakes raise `config.ConfigError`; a
    camera's mistakes land in `errors` (that camera is left out, the others record)."""
    env = os.environ if env is None else env
    if not path.exists():
        raise cfg.ConfigError(f"gateway config {path} does not exist")
    try:
        doc = json.loads(path.read_text())
    except ValueError:
        raise cfg.ConfigError(f"{path}: not valid JSON") from None
    if not isinstance(doc, dict):
        raise cfg.ConfigError(f"{path}: expected a JSON object")
    settings = cfg.load(path, env).require()
    cameras_doc = doc.get("cameras")
    if not isinstance(cameras_doc, list) or not cameras_doc:
        raise cfg.ConfigError(f"{path}: cameras must be a non-empty list")
    if len(cameras_doc) > MAX_CAMERAS:
        raise cfg.ConfigError(f"{path}: at most {MAX_CAMERAS} cameras per gateway")
    cameras: list[Camera] = []
    errors: list[CameraConfigError] = []
    seen_ids: set[str] = set()
    seen_urls: dict[str, str] = {}
    for i, entry in enumerate(cameras_doc):
        try:
            camera = parse_camera(entry, i, env)
            if camera.id in seen_ids:
                raise CameraConfigError(camera.id, "id", "appears twice in this config; the first one records")
            where = urlsplit(camera.url)
            stream = f"{where.hostname}:{where.port}{where.path}?{where.query}"
            if stream in seen_urls:
                raise CameraConfigError(camera.id, "url", f"the same stream as camera {seen_urls[stream]}")
        except CameraConfigError as exc:
            errors.append(exc)
            continue
        seen_ids.add(camera.id)
        seen_urls[stream] = camera.id
        cameras.append(camera)
    return GatewayConfig(settings, cameras, errors)
