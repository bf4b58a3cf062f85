"""Object bodies sent with `sendfile`: the bytes go from the page cache to the socket in the
kernel, never through a Python buffer, and the request thread holds no lock and no GIL meanwhile.

`FileBody` is what GET returns as `Response.stream`: the HTTP edge calls `send_to(socket)` when it
has a socket; anything else may iterate it (1 MiB chunks, read with pread).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator

from localcloud.oss.errors import OSSError
from localcloud.oss.model.objects import ObjectReader
from localcloud.oss.protocol.responses import CHUNK


class _Span:
    """The file object `socket.sendfile` wants, over one fd at explicit offsets (no shared position)."""

    def __init__(self, fd: int, offset: int) -> None:
        self._fd = fd
        self._pos = offset

    def fileno(self) -> int:
        return self._fd

    def seek(self, pos: int) -> int:
        self._pos = pos
        return pos

    def read(self, size: int) -> bytes:  # the fallback when the kernel has no sendfile
        data = os.pread(self._fd, size, self._pos)
        self._pos += len(data)
        return data


class FileBody:
    """`length` bytes of an object version from `start`; closes its reader when closed."""

    def __init__(self, reader: ObjectReader, start: int, length: int) -> None:
        self._reader = reader
        self._start = start
        self._length = length

    def send_to(self, sock: socket.socket) -> int:
        """Send the body with sendfile; returns the bytes sent (short when the client left)."""
        sent = 0
        for fd, offset, count in self._reader.spans(self._start, self._length):
            n = sock.sendfile(_Span(fd, offset), offset, count)  # type: ignore[arg-type]
            sent += n
            if n < count:
                break
        return sent

    def __iter__(self) -> Iterator[bytes]:
        self._reader.seek(self._start)
        left = self._length
        while left > 0:
            chunk = self._reader.read(min(CHUNK, left))
            if not chunk:
                raise OSSError("InternalError", "The object ended before its size.", 500)
            left -= len(chunk)
            yield chunk

    def close(self) -> None:
        self._reader.close()
