"""A controllable clock, so tests can expire tokens and run lifecycle rules without sleeping.

Every localcloud service reads time through one `Clock`. It is the wall clock plus an offset that
tests move forward through the admin endpoint (`PUT /_localcloud/clock` on the OSS port).
"""

from __future__ import annotations

import threading
import time


class Clock:
    """Wall-clock time plus an adjustable offset (seconds)."""

    def __init__(self, offset: float = 0.0) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    def now(self) -> float:
        """Unix time in seconds, as the services should see it."""
        return time.time() + self._offset

    @property
    def offset(self) -> float:
        return self._offset

    def advance(self, seconds: float) -> float:
        """Move time forward (or back, with a negative value); returns the new offset."""
        with self._lock:
            self._offset += seconds
            return self._offset

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = seconds
