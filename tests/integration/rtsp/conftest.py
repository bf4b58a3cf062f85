"""A real RTSP server per test (tests/rtsp/serve.py: Debian's GStreamer RTSP server, `make rtsp-deps`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rtsp.server import RtspServer


@pytest.fixture
def rtsp() -> Iterator[RtspServer]:
    server = RtspServer(size="320x240", fps=25, gop=25).start()
    try:
        yield server
    finally:
        server.stop()
