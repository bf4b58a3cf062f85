"""The parsed HTTP request the service works on, and the streaming body readers.

Bodies are never read whole: `LengthReader` serves a Content-Length body and `ChunkedReader`
decodes `Transfer-Encoding: chunked` (what oss2 sends for iterables) as it is read.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import BinaryIO

from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.protocol.routing import Route

_MAX_CHUNK_LINE = 4096


def timed_out() -> OSSError:
    """A body that stopped arriving (the socket read timed out)."""
    return OSSError("RequestTimeout", "Your socket connection to the server was not read from or written to "
                    "within the timeout period.", 400)


class BodyReader(io.RawIOBase):
    """A readable body; `drain()` discards what the handler did not read (keep-alive needs it)."""

    consumed: int = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def drain(self, limit: int) -> bool:
        """Read and drop up to `limit` bytes; True when the body is fully consumed."""
        remaining = limit
        while remaining > 0:
            chunk = self.read(min(remaining, 1 << 20))
            if not chunk:
                return True
            remaining -= len(chunk)
        return not self.read(1)


class LengthReader(BodyReader):
    """Exactly `length` bytes of `stream`."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = stream
        self._left = length

    def read(self, size: int | None = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left)
        try:
            data = self._stream.read(n)
        except TimeoutError:
            raise timed_out() from None
        if not data:
            raise OSSError("IncompleteBody", "The request body is shorter than its Content-Length.", 400)
        self._left -= len(data)
        self.consumed += len(data)
        return data

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Straight from the socket into the caller's buffer (uploads reuse one buffer)."""
        if self._left <= 0:
            return 0
        view = memoryview(buffer)[: self._left]
        try:
            got = self._stream.readinto(view)  # type: ignore[attr-defined]
        except TimeoutError:  # a body that stalls: refuse it (nothing is written) and free the thread
            raise timed_out() from None
        if not got:
            raise OSSError("IncompleteBody", "The request body is shorter than its Content-Length.", 400)
        self._left -= got
        self.consumed += got
        return int(got)


class ChunkedReader(BodyReader):
    """Decodes HTTP/1.1 chunked transfer coding, a chunk at a time."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._left = 0
        self._done = False

    def _bad(self) -> OSSError:
        return InvalidArgument("Malformed chunked request body.", "Transfer-Encoding")

    def _next_chunk(self) -> None:
        try:
            line = self._stream.readline(_MAX_CHUNK_LINE)
        except TimeoutError:
            raise timed_out() from None
        if not line.endswith(b"\n"):
            raise self._bad()
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise self._bad() from exc
        if size < 0:
            raise self._bad()
        if size == 0:
            while True:  # trailers, up to the empty line
                trailer = self._stream.readline(_MAX_CHUNK_LINE)
                if not trailer.endswith(b"\n"):
                    raise self._bad()
                if trailer in (b"\r\n", b"\n"):
                    break
            self._done = True
        self._left = size

    def read(self, size: int | None = -1) -> bytes:
        """Up to `size` bytes (at most one chunk's worth); all of it for size < 0."""
        if size is None or size < 0:
            parts: list[bytes] = []
            while True:
                part = self.read(1 << 20)
                if not part:
                    return b"".join(parts)
                parts.append(part)
        while not self._done and self._left == 0:
            self._next_chunk()
        if self._done or size == 0:
            return b""
        try:
            data = self._stream.read(min(self._left, size))
        except TimeoutError:
            raise timed_out() from None
        if not data:
            raise self._bad()
        self._left -= len(data)
        if self._left == 0 and self._stream.read(2) != b"\r\n":
            raise self._bad()
        self.consumed += len(data)
        return data


class EmptyReader(BodyReader):
    def read(self, size: int | None = -1) -> bytes:
        return b""


@dataclass
class Request:
    """One OSS request: raw target (for signatures), route, lower-case headers, streaming body."""

    method: str
    target: str
    route: Route
    headers: dict[str, str]
    body: BodyReader
    content_length: int | None
    client_ip: str
    request_id: str
    chunked: bool = False
    secure: bool = False
    extras: dict[str, object] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, str]:
        return self.route.params

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def read_small(self, limit: int) -> bytes:
        """The whole body of a small request (XML documents); refuse more than `limit` bytes."""
        data = self.body.read(limit + 1)
        while len(data) <= limit:
            more = self.body.read(limit + 1 - len(data))
            if not more:
                break
            data += more
        if len(data) > limit:
            raise OSSError("EntityTooLarge", "Your proposed upload exceeds the maximum allowed size.", 400)
        return data
