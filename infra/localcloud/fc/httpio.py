"""Small HTTP helpers shared by the trigger listeners and the invoke API (body reading, replies)."""

from __future__ import annotations

import json
from typing import Any

from localcloud.common.httpserver import Handler

MAX_BODY = 32 * 1024 * 1024  # FC's synchronous payload limit is 32 MB


class BodyError(Exception):
    pass


def read_body(handler: Handler) -> bytes:
    """The request body: Content-Length or chunked; refuse oversize."""
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        total = 0
        while True:
            line = handler.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError as exc:
                raise BodyError("malformed chunked body") from exc
            if size == 0:
                while handler.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            total += size
            if total > MAX_BODY:
                raise BodyError("request body too large")
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline(8)
    try:
        length = int(handler.headers.get("Content-Length") or 0)
    except ValueError as exc:
        raise BodyError("invalid Content-Length") from exc
    if length < 0 or length > MAX_BODY:
        raise BodyError("request body too large")
    return handler.rfile.read(length) if length else b""


def reply(handler: Handler, status: int, body: bytes, headers: list[tuple[str, str]] | None = None,
          content_type: str | None = "application/json") -> None:
    handler.send_response(status)
    names = set()
    for name, value in headers or []:
        handler.send_header(name, value)
        names.add(name.lower())
    if content_type and "content-type" not in names:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if handler.command != "HEAD" and body:
        handler.wfile.write(body)


def fc_error(handler: Handler, status: int, code: str, message: str, request_id: str) -> None:
    """FC's API error body `{"ErrorCode","ErrorMessage"}` with x-fc-request-id."""
    body = json.dumps({"ErrorCode": code, "ErrorMessage": message}).encode()
    reply(handler, status, body, [("x-fc-request-id", request_id)])


def jsonable(value: Any) -> bytes:
    """A handler's return value as response bytes (bytes/str as is, the rest as JSON)."""
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode()
    return json.dumps(value, separators=(",", ":"), default=str).encode()
