"""Structured logs: one JSON object a line on stderr, with the request id when there is one.

localcloud uses the device client's logging (`vigil_camera.logs`): one formatter and one setup for
the whole project, secret-looking fields masked and oss2's signed-header debug lines held back.
"""

from __future__ import annotations

from vigil_camera.logs import JsonFormatter, get, setup

__all__ = ["JsonFormatter", "get", "setup"]
