"""The HTTP edge: turns the stdlib request into a `Request`, writes the `Response` (streamed,
keep-alive, `x-oss-request-id`, `Server: AliyunOSS`) and logs one JSON access line per request.
"""

from __future__ import annotations

import time

from localcloud.common import logs
from localcloud.common.httpserver import Handler, Server, new_request_id
from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.protocol.request import BodyReader, ChunkedReader, EmptyReader, LengthReader, Request
from localcloud.oss.protocol.responses import Response, error_response, http_date
from localcloud.oss.protocol.routing import Route, route
from localcloud.oss.protocol.service import OSSService

access_log = logs.get("localcloud.oss.access")

DRAIN_LIMIT = 64 * 1024 * 1024
"""Unread request bodies up to this size are drained to keep the connection; larger ones close it."""
BODYLESS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
BODY_WAIT_SECONDS = 2.0
"""How long a body-less method's promised body may take to arrive before the request is refused."""
BODY_IDLE_SECONDS = 60.0
"""While a request is handled, a body that stalls this long fails it with 400 RequestTimeout (as OSS
does) instead of holding a server thread forever; idle keep-alive connections are not affected."""


def _header_text(value: str) -> str:
    """http.client decodes header bytes as latin-1; OSS metadata is UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _wire(value: str) -> str:
    """The latin-1 string whose bytes are `value`'s UTF-8 (what `send_header` writes)."""
    return value.encode("utf-8").decode("latin-1")


class OSSRequestHandler(Handler):
    """One connection; every method goes through `_serve`."""

    server: Server

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_GET  # noqa: N815

    def _serve(self) -> None:
        started = time.perf_counter()
        service: OSSService = self.server.app
        request_id = new_request_id()
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers[name.lower()] = _header_text(value)
        chunked = "chunked" in headers.get("transfer-encoding", "").lower()
        body: BodyReader = EmptyReader()
        content_length: int | None = None
        response: Response | None = None
        req: Request | None = None
        try:
            if chunked:
                body = ChunkedReader(self.rfile)  # type: ignore[arg-type]
            elif "content-length" in headers:
                try:
                    content_length = int(headers["content-length"])
                    if content_length < 0:
                        raise ValueError
                except ValueError as exc:
                    raise InvalidArgument("Content-Length is not valid.", "Content-Length",
                                          headers["content-length"]) from exc
                body = LengthReader(self.rfile, content_length)  # type: ignore[arg-type]
            ignored_body = self.command in BODYLESS and bool(content_length)
            if ignored_body:  # OSS ignores a GET's declared body: answer now, never wait for it
                self.close_connection = True
            rt = route(self.path, headers.get("host"))
        except OSSError as err:
            response = error_response(err, request_id, head=self.command == "HEAD")
            rt = Route(None, None)
        if response is None:
            req = Request(
                method=self.command, target=self.path, route=rt, headers=headers, body=body,
                content_length=content_length, client_ip=self.client_address[0], request_id=request_id,
                chunked=chunked,
            )
            self.connection.settimeout(BODY_IDLE_SECONDS)
            try:
                response = service.handle(req)
            finally:
                self.connection.settimeout(self.timeout)
        if content_length is not None and content_length > DRAIN_LIMIT and body.consumed == 0 \
                and response.status >= 400:
            self.close_connection = True  # do not read gigabytes we refused
        sent = self._write(response, request_id)
        if ignored_body and content_length is not None:
            self._discard_ignored_body(body, content_length)
        elif not self.close_connection:
            try:
                self.connection.settimeout(BODY_IDLE_SECONDS)
                if not body.drain(DRAIN_LIMIT):
                    self.close_connection = True
            except (OSError, OSSError):
                self.close_connection = True
            finally:
                self.connection.settimeout(self.timeout)
        access_log.info(
            "request",
            extra={
                "request_id": request_id, "method": self.command, "bucket": rt.bucket, "key": rt.key,
                "status": response.status, "bytes_in": body.consumed, "bytes_out": sent,
                "ms": round((time.perf_counter() - started) * 1000, 2), "principal": response.principal,
                "client": self.client_address[0],
            },
        )

    def _discard_ignored_body(self, body: BodyReader, length: int) -> None:
        """After answering a GET/HEAD/DELETE/OPTIONS that declared a body (OSS ignores it): take what
        the client did send, briefly, so closing does not reset the connection under the answer; the
        connection closes either way (late bytes must never be read as the next request)."""
        if length > 1024 * 1024:
            return
        self.connection.settimeout(BODY_WAIT_SECONDS)
        try:
            body.drain(length)
        except (OSError, OSSError):
            pass
        finally:
            self.connection.settimeout(self.timeout)

    def _write(self, response: Response, request_id: str) -> int:
        """Status, headers and body; returns body bytes sent."""
        head = self.command == "HEAD"
        no_body = head or response.status in (204, 304)
        self.send_response_only(response.status)
        self.send_header("Server", "AliyunOSS")
        self.send_header("Date", http_date(time.time()))
        self.send_header("x-oss-request-id", request_id)
        length = response.content_length
        chunked = response.stream is not None and response.length is None and not no_body
        for name, value in response.headers.items():
            if name.lower() in ("content-length", "server", "date", "connection", "transfer-encoding"):
                continue
            self.send_header(name, _wire(value))
        if chunked:  # a body of unknown length (a gzip-compressed GET)
            self.send_header("Transfer-Encoding", "chunked")
        elif response.status != 304 and not (response.status == 204 and length == 0):
            self.send_header("Content-Length", str(length))
        elif response.status == 204:
            self.send_header("Content-Length", "0")
        if self.close_connection:
            self.send_header("Connection", "close")
        else:
            self.send_header("Connection", "keep-alive")
        self.end_headers()
        sent = 0
        try:
            if no_body:
                return 0
            send_to = getattr(response.stream, "send_to", None)
            if send_to is not None:  # a file body: sendfile (see zerocopy.py)
                sent = send_to(self.connection)
            elif chunked:
                assert response.stream is not None
                for chunk in response.stream:
                    if chunk:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                        sent += len(chunk)
                self.wfile.write(b"0\r\n\r\n")
                length = sent
            elif response.stream is not None:
                for chunk in response.stream:
                    self.wfile.write(chunk)
                    sent += len(chunk)
            elif response.body:
                self.wfile.write(response.body)
                sent = len(response.body)
        except Exception:  # noqa: BLE001 - a client gone mid-body, or a store read failure
            self.close_connection = True
            logs.get("localcloud.oss").warning("response body interrupted", extra={"request_id": request_id},
                                               exc_info=True)
        finally:
            close = getattr(response.stream, "close", None)
            if close is not None:
                close()
            if response.on_close is not None:
                response.on_close()
        if sent != length and response.stream is not None:
            self.close_connection = True
        return sent


def make_server(service: OSSService, host: str, port: int) -> Server:
    """A threaded HTTP/1.1 server for `service` (port 0 picks a free port)."""
    return Server((host, port), OSSRequestHandler, service)
