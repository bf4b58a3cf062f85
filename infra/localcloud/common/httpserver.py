"""The threaded HTTP/1.1 server every localcloud service runs on.

Stdlib only: the services need the raw request line (signatures are computed over it), streaming
bodies (a 5 GB PUT must not sit in memory) and keep-alive. Each service subclasses `Handler`.
"""

from __future__ import annotations

import socket
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import logs

log = logs.get("localcloud.http")


def new_request_id() -> str:
    """24 upper-case hex characters, the shape of OSS request ids."""
    return uuid.uuid4().hex[:24].upper()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], app: Any) -> None:
        super().__init__(address, handler)
        self.app = app  # the service object the handler dispatches to

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().server_bind()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (reset, broken pipe) is routine: one debug line, not a stderr traceback;
        anything else is logged as a structured error line with its traceback."""
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError, TimeoutError)):
            log.debug("client connection dropped", extra={"client": client_address[0], "error": type(exc).__name__})
            return
        log.exception("request handler failed", extra={"client": client_address[0]})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        """Silence the stdlib access log; services write structured logs themselves."""


class ServerThread:
    """Runs a `Server` in a daemon thread; `stop()` shuts it down and closes the socket."""

    def __init__(self, server: Server, name: str) -> None:
        self.server = server
        self._thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)

    def start(self) -> ServerThread:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
