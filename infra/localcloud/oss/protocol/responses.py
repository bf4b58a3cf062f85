"""Responses: status, headers and a body that is bytes or a stream of ≤1 MiB chunks.

Also the OSS `<Error>` document and the date formats OSS uses (RFC 1123 headers, ISO 8601 XML).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime

from localcloud.oss.errors import OSSError
from localcloud.oss.protocol import xml

HOST_ID = "localcloud.oss"
CHUNK = 1 << 20


@dataclass
class Response:
    """What a handler returns; `stream` (with `length`) wins over `body` when set."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: Iterator[bytes] | None = None
    length: int | None = None
    on_close: Callable[[], None] | None = None
    principal: str | None = None  # for the access log only

    @property
    def content_length(self) -> int:
        return self.length if self.stream is not None and self.length is not None else len(self.body)


def http_date(ts: float) -> str:
    """RFC 1123 (`Sat, 28 Nov 2026 15:00:00 GMT`), as `Last-Modified` and `Date` need."""
    return formatdate(ts, usegmt=True)


def iso_date(ts: float) -> str:
    """`YYYY-MM-DDTHH:MM:SS.000Z`, the only date shape OSS XML uses."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def parse_http_date(value: str) -> float | None:
    try:
        return parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def xml_response(root: xml.Element, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    out = {"Content-Type": "application/xml"}
    out.update(headers or {})
    return Response(status, out, xml.dumps(root))


def error_document(err: OSSError, request_id: str) -> bytes:
    root = xml.element("Error")
    xml.sub(root, "Code", err.code)
    xml.sub(root, "Message", err.message)
    xml.sub(root, "RequestId", request_id)
    xml.sub(root, "HostId", HOST_ID)
    for name, value in err.extra.items():
        xml.sub(root, name, value)
    if "x-oss-ec" in err.headers:  # a documented error code: OSS repeats it in the body
        xml.sub(root, "EC", err.headers["x-oss-ec"])
    return xml.dumps(root)


def error_response(err: OSSError, request_id: str, head: bool = False) -> Response:
    """The OSS error reply; for HEAD no body, the document base64 in `x-oss-err` (oss2 reads it)."""
    doc = error_document(err, request_id)
    headers = {"Content-Type": "application/xml", "x-oss-ec": _ec(err), **err.headers}
    if head:
        headers["x-oss-err"] = base64.b64encode(doc).decode()
        return Response(err.status, headers, b"")
    return Response(err.status, headers, doc)


def _ec(err: OSSError) -> str:
    """An `x-oss-ec`-shaped code; real OSS sends one per error, clients only log it."""
    return f"00{err.status:03d}-{abs(hash(err.code)) % 100000:05d}"
