"""What localcloud's OSS answered, for tests that count the requests a change saves: its access log
(written once a response has gone out) sees every client alike — this process's oss2 or a function the
FC runtime runs in a worker."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class OssRequests(logging.Handler):
    """The requests localcloud's OSS answered (its access log, written once a response has gone out):
    what any client sent — this process's oss2 or a function the FC runtime runs."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: list[tuple[str, str]] = []    # (method, key)
        self._lock = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        with self._lock:
            self.seen.append((str(getattr(record, "method", "")), str(getattr(record, "key", ""))))

    def of(self, method: str, keys: list[str]) -> list[str]:
        with self._lock:
            return [k for m, k in self.seen if m == method and k in keys]

    def under(self, prefix: str) -> list[tuple[str, str]]:
        """(method, key) of every request for a key under `prefix`."""
        with self._lock:
            return [(m, k) for m, k in self.seen if k.startswith(prefix)]


@contextmanager
def oss_requests() -> Iterator[OssRequests]:
    logger = logging.getLogger("localcloud.oss.access")
    capture, level = OssRequests(), logger.level
    logger.addHandler(capture)
    logger.setLevel(logging.INFO)
    try:
        yield capture
    finally:
        logger.removeHandler(capture)
        logger.setLevel(level)
