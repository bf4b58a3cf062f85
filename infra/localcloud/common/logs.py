"""Structured logs: one JSON object a line on stderr, with the request id when there is one.

The formatter is the device client's (`vigil_camera.logs`): one implementation, secret-looking
fields masked everywhere.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

from vigil_camera.logs import JsonFormatter

__all__ = ["JsonFormatter", "get", "setup"]


def setup(level: str = "INFO", stream: Any = None) -> None:
    """Route every logger to one JSON handler (idempotent)."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_vigil_json", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler._vigil_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())


def get(name: str) -> logging.Logger:
    return logging.getLogger(name)
