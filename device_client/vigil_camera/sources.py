"""A camera source as the user wrote it: the URL checked before FFmpeg sees it, and the one error
class of recording, whose message never carries a password (no PyAV import: the CLI loads this
without the media extra)."""

from __future__ import annotations

import re
from pathlib import Path

LIVE_SCHEMES = ("rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "srt", "udp", "tcp")
_CRED_RE = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<user>[^/@:\s]*):(?P<pw>[^@\s]*)@", re.I)


def redact(text: str) -> str:
    """`rtsp://user:secret@host` → `rtsp://user:***@host`, wherever it appears in `text`."""
    return _CRED_RE.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)


class RecordError(Exception):
    """A recording that cannot go on: `code` for machines, `message` for people (redacted)."""

    def __init__(self, code: str, message: str, *, camera: str = "") -> None:
        self.code = code
        self.camera = camera
        self.message = redact(f"camera {camera}: {message}" if camera else message)
        super().__init__(self.message)


def validate_source(source: str, *, camera: str = "") -> str:
    """Refuse a mistyped scheme (`rtps://`) before FFmpeg reads it as a file name."""
    if "://" in source:
        scheme = source.split("://", 1)[0].lower()
        if scheme not in LIVE_SCHEMES and scheme != "file":
            raise RecordError("bad_source", f"unknown scheme {scheme}:// in {redact(source)} "
                                            f"(use one of {', '.join(LIVE_SCHEMES)}, or a file path)",
                              camera=camera)
    elif not Path(source).exists():
        raise RecordError("bad_source", f"no such file: {source}", camera=camera)
    return source
