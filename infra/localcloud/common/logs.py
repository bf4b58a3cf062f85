"""Structured logs: one JSON object a line on stderr, with the request id when there is one.

localcloud is a general OSS/STS/RAM/FC emulator, so it owns this small module instead of
borrowing a product package's: the emulator must run (and be reused) without Vigil installed.
Fields whose names look like credentials are masked, and the SDKs' debug loggers (oss2 prints
signed headers) are held at WARNING whatever the level.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any, TextIO

__all__ = ["JsonFormatter", "get", "mask", "setup"]

_STANDARD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}
_CREDENTIAL_HINTS = ("secret", "token", "password", "authorization", "signature")
_QUIET_LOGGERS = ("oss2", "urllib3", "botocore", "boto3")
_MARK = "_localcloud_json_handler"


def _looks_secret(field: str) -> bool:
    name = field.lower()
    if name.endswith(("_url", "_count")):
        return False
    return any(hint in name for hint in _CREDENTIAL_HINTS)


def mask(value: Any) -> str:
    """Keep the first four characters (enough to tell two keys apart), hide the rest."""
    text = str(value)
    return text[:4] + "***" if len(text) > 4 else "***"


class JsonFormatter(logging.Formatter):
    """ts, level, logger, msg, then every extra field of the record (credential-like ones masked)."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = datetime.fromtimestamp(record.created, timezone.utc)
        doc: dict[str, Any] = {
            "ts": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        doc.update({
            name: mask(value) if value and _looks_secret(name) else value
            for name, value in vars(record).items()
            if name not in _STANDARD_FIELDS and not name.startswith("_")
        })
        if record.exc_info:
            doc["exc"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, separators=(",", ":"))


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to `sys.stderr` as it is at each record: localcloud runs inside test processes whose
    captured stderr is swapped and closed between tests while its server threads keep logging.

    vigil_camera.logs has the same few lines on purpose: localcloud is product-neutral (it imports no
    Vigil package; Vigil plugs into it through entry points) and the camera package ships on its own,
    so neither can be the other's home, and a third package for ten lines would tie both to it."""

    @property  # type: ignore[override]
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        pass


def setup(level: str = "INFO", stream: TextIO | None = None) -> None:
    """Send every logger to one JSON handler on `stream` (stderr by default). Idempotent: a second
    call replaces the handler an earlier call (of this or another JSON setup) installed."""
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, _MARK, False) or isinstance(old.formatter, JsonFormatter) \
                or type(old.formatter).__name__ == "JsonFormatter":
            root.removeHandler(old)
    handler = logging.StreamHandler(stream) if stream is not None else StderrHandler()
    handler.setFormatter(JsonFormatter())
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in _QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def get(name: str) -> logging.Logger:
    return logging.getLogger(name)
