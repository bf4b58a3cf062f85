"""Frames between the runtime and a worker: 4-byte big-endian length + a pickle.

Both ends are our own processes started from the same interpreter, so pickle is safe here and
carries bytes without base64. The pipes are dedicated fds: the handler's stdout/stderr never mix in.
"""

from __future__ import annotations

import os
import pickle
import struct
from typing import Any

_HEADER = struct.Struct(">I")


class ChannelClosed(EOFError):
    """The other end went away (worker crashed or runtime stopped)."""


def write_frame(fd: int, message: Any) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exact(fd: int, n: int) -> bytes:
    chunks: list[bytes] = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise ChannelClosed("channel closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int) -> Any:
    (length,) = _HEADER.unpack(_read_exact(fd, _HEADER.size))
    return pickle.loads(_read_exact(fd, length))  # noqa: S301 - our own worker process
