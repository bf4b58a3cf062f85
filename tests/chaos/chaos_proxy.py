"""A per-camera HTTP forward proxy that injects network faults, and a plain TCP proxy for the stack's STS.

A camera process gets `HTTP_PROXY=<its proxy>`, so every request it makes (token function and OSS alike, through
requests/urllib3 as in the field) crosses this proxy, which parses HTTP/1.1 framing so it can act per request:

- `drop`      close the client connection before forwarding anything (connection reset by peer)
- `reset`     forward half of the request body, then reset both sides (RST, SO_LINGER 0)
- `stall`     forward part of the body, then stop for `stall_seconds` before going on (a slow, stuck link)
- `slow`      forward the request at `rate` bytes/s
- `lose`      forward the whole request, read the server's answer, and close without returning it: the server
              acted, the client never heard (the duplicate-upload case)
- `token503`  answer requests to the token function with 503 itself (the function is down behind its gateway)
- `token_timeout` hold token requests for `stall_seconds`, then close (the function times out)

A fault is armed for a window [start, end) of the scenario clock with a probability per request, drawn from the
scenario's seeded random source. Every answer the client saw is recorded (time, method, target, status), so the
verifier can explain each 5xx.
"""

from __future__ import annotations

import random
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

MAX_HEAD = 64 * 1024
TOKEN_FAULTS = ("token503", "token_timeout")


@dataclass
class Fault:
    kind: str
    start: float
    end: float
    probability: float = 1.0
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class Seen:
    """One request as the client experienced it."""

    t: float
    method: str
    target: str
    path: str
    status: int | None          # None: the client got no answer (a connection fault)
    fault: str | None           # the injected fault, if any
    tag: str = ""               # the client's X-Chaos-Req header: which of its requests this was


class _Closed(Exception):
    pass


def _read_head(sock: socket.socket, buf: bytearray) -> bytes:
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(buf[:end + 4])
            del buf[:end + 4]
            return head
        if len(buf) > MAX_HEAD:
            raise _Closed("head too large")
        data = sock.recv(65536)
        if not data:
            raise _Closed("eof")
        buf += data


def _headers(head: bytes) -> tuple[str, list[tuple[str, str]]]:
    lines = head.decode("latin-1").split("\r\n")
    out = []
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            out.append((k.strip(), v.strip()))
    return lines[0], out


def _get(headers: list[tuple[str, str]], name: str) -> str | None:
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def _read_exact(sock: socket.socket, buf: bytearray, n: int) -> bytes:
    while len(buf) < n:
        data = sock.recv(65536)
        if not data:
            raise _Closed("eof in body")
        buf += data
    out = bytes(buf[:n])
    del buf[:n]
    return out


def _read_line(sock: socket.socket, buf: bytearray, what: str) -> bytes:
    """One CRLF-terminated line, CRLF included (a chunk size or a trailer)."""
    while b"\r\n" not in buf:
        data = sock.recv(65536)
        if not data:
            raise _Closed(f"eof in {what}")
        buf += data
    end = buf.find(b"\r\n") + 2
    line = bytes(buf[:end])
    del buf[:end]
    return line


def _read_chunked(sock: socket.socket, buf: bytearray) -> bytes:
    """The raw bytes of a chunked body, framing included (forwarded as they came)."""
    out = bytearray()
    while True:
        line = _read_line(sock, buf, "chunk size")
        out += line
        size = int(line.split(b";")[0].strip(), 16)
        if size == 0:
            while True:  # trailers until an empty line
                trailer = _read_line(sock, buf, "trailer")
                out += trailer
                if trailer == b"\r\n":
                    return bytes(out)
        out += _read_exact(sock, buf, size + 2)


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class CameraProxy:
    """One camera's network: a forward proxy with scheduled faults."""

    def __init__(self, name: str, clock: Any, rng: random.Random, token_port: int) -> None:
        self.name = name
        self.clock = clock            # callable: seconds since the scenario began
        self.rng = rng
        self.token_port = token_port
        self.faults: list[Fault] = []
        self.seen: list[Seen] = []
        self.injected: dict[str, int] = {}
        self._lock = threading.Lock()
        self._local = threading.local()   # the tag of the request this serving thread is on
        self._stop = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, name=f"proxy-{name}", daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        try:
            self.sock.close()
        except OSError:
            pass

    # -- faults -----------------------------------------------------------------------------------
    def _draw(self, is_token: bool) -> Fault | None:
        now = self.clock()
        with self._lock:
            for f in self.faults:
                if not (f.start <= now < f.end):
                    continue
                if f.kind in TOKEN_FAULTS and not is_token:
                    continue
                if self.rng.random() < f.probability:
                    self.injected[f.kind] = self.injected.get(f.kind, 0) + 1
                    return f
        return None

    def _record(self, method: str, target: str, path: str, status: int | None, fault: str | None) -> None:
        with self._lock:
            self.seen.append(Seen(self.clock(), method, target, path[:200], status, fault,
                                  getattr(self._local, "tag", "")))

    # -- serving ----------------------------------------------------------------------------------
    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstreams: dict[tuple[str, int], socket.socket] = {}
        buf = bytearray()
        try:
            while not self._stop.is_set():
                try:
                    head = _read_head(client, buf)
                except (_Closed, OSError):
                    return
                if not self._one(client, head, buf, upstreams):
                    return
        finally:
            for up in upstreams.values():
                up.close()
            client.close()

    def _one(self, client: socket.socket, head: bytes, buf: bytearray,
             upstreams: dict[tuple[str, int], socket.socket]) -> bool:
        """Forward one request; False when the client connection is done."""
        request_line, headers = _headers(head)
        self._local.tag = _get(headers, "x-chaos-req") or ""
        method, url, version = request_line.split(" ", 2)
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        target = f"{host}:{port}"
        if host not in ("127.0.0.1", "localhost", "::1"):  # loopback only, whatever a client asks for
            client.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            return False
        length = _get(headers, "content-length")
        chunked = (_get(headers, "transfer-encoding") or "").lower() == "chunked"
        try:
            body = _read_chunked(client, buf) if chunked else _read_exact(client, buf, int(length or 0))
        except (_Closed, OSError, ValueError):
            return False
        is_token = port == self.token_port
        fault = self._draw(is_token)
        kind = fault.kind if fault else None
        if kind == "drop":
            self._record(method, target, path, None, kind)
            _reset(client)
            return False
        if kind == "token503":
            payload = b'{"error": {"code": "unavailable", "message": "injected: token function down"}}'
            client.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                           b"Retry-After: 1\r\nContent-Length: " + str(len(payload)).encode() + b"\r\n\r\n" + payload)
            self._record(method, target, path, 503, kind)
            return True
        if kind == "token_timeout":
            self._stop.wait(float(fault.params.get("stall_seconds", 5)) if fault else 5)
            self._record(method, target, path, None, kind)
            _reset(client)
            return False
        # origin-form request line, hop-by-hop proxy headers removed
        kept = [(k, v) for k, v in headers if k.lower() not in ("proxy-connection", "proxy-authorization")]
        out_head = (f"{method} {path or '/'} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in kept)
                    + "\r\n").encode("latin-1")
        up = upstreams.get((host, port))
        try:
            if up is None:
                up = socket.create_connection((host, port), timeout=120)
                upstreams[(host, port)] = up
            self._send(up, out_head + body, fault)
        except _Closed:
            self._record(method, target, path, None, kind)
            upstreams.pop((host, port), None)
            if up is not None:
                _reset(up)
            _reset(client)
            return False
        except OSError:
            self._record(method, target, path, None, "upstream_down")
            upstreams.pop((host, port), None)
            _reset(client)
            return False
        try:
            resp_head, resp_body, closes = self._response(up, method)
        except (_Closed, OSError):
            self._record(method, target, path, None, kind or "upstream_down")
            upstreams.pop((host, port), None)
            _reset(client)
            return False
        status = int(resp_head.split(b" ", 2)[1])
        if kind == "lose":
            self._record(method, target, path, None, kind)  # the server acted; the client never hears
            _reset(client)
            return False
        try:
            client.sendall(resp_head + resp_body)
        except OSError:
            return False
        self._record(method, target, path, status, kind)
        if closes:
            upstreams.pop((host, port), None)
            up.close()
        return (_get(headers, "connection") or "").lower() != "close"

    def _send(self, up: socket.socket, data: bytes, fault: Fault | None) -> None:
        kind = fault.kind if fault else None
        if kind == "reset":
            up.sendall(data[: max(1, len(data) // 2)])
            raise _Closed("injected reset")
        if kind == "stall":
            cut = max(1, len(data) // 3)
            up.sendall(data[:cut])
            self._stop.wait(float(fault.params.get("stall_seconds", 3)) if fault else 3)
            up.sendall(data[cut:])
            return
        if kind == "slow":
            rate = float(fault.params.get("rate", 256 * 1024)) if fault else 256 * 1024
            step = 16 * 1024
            for i in range(0, len(data), step):
                up.sendall(data[i:i + step])
                self._stop.wait(step / rate)
            return
        up.sendall(data)

    def _response(self, up: socket.socket, method: str) -> tuple[bytes, bytes, bool]:
        buf = bytearray()
        head = _read_head(up, buf)
        status_line, headers = _headers(head)
        status = int(status_line.split(" ", 2)[1])
        closes = (_get(headers, "connection") or "").lower() == "close"
        if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
            return head, b"", closes
        if (_get(headers, "transfer-encoding") or "").lower() == "chunked":
            return head, _read_chunked(up, buf), closes
        length = _get(headers, "content-length")
        if length is not None:
            return head, _read_exact(up, buf, int(length)), closes
        rest = bytearray(buf)  # until close
        while True:
            data = up.recv(65536)
            if not data:
                break
            rest += data
        return head, bytes(rest), True


class TcpProxy:
    """A plain loopback TCP proxy that can be switched off: going down resets the open (keep-alive) connections,
    and new ones are reset at once while it is down."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._down = False
        self.refused = 0
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def down(self) -> bool:
        return self._down

    @down.setter
    def down(self, value: bool) -> None:
        with self._lock:
            self._down = value
            victims = list(self._open) if value else []
            if value:
                self._open.clear()
        for sock in victims:
            self.refused += 1
            _reset(sock)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            if self._down:
                self.refused += 1
                _reset(client)
                continue
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            up = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
        except OSError:
            _reset(client)
            return
        with self._lock:
            self._open.add(client)

        def copy(a: socket.socket, b: socket.socket) -> None:
            try:
                while True:
                    data = a.recv(65536)
                    if not data:
                        break
                    b.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    b.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t = threading.Thread(target=copy, args=(up, client), daemon=True)
        t.start()
        copy(client, up)
        t.join(timeout=60)
        with self._lock:
            self._open.discard(client)
        client.close()
        up.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


def now_clock() -> Any:
    t0 = time.monotonic()
    return lambda: time.monotonic() - t0
