"""oss2's HTTP transport on urllib3 directly, without `requests` in between.

Why: oss2 sends every request through `requests.Session.request`, whose preparation (settings and
cookie merging, URL re-quoting, hooks, the adapter's response building) costs about 1 ms of CPU
per OSS call on the functions' machines — a third of a token's CPU, which makes three OSS calls
(profiled, issue 30: a bare PUT 2.7-3.2 ms through requests, 1.7-2.0 ms through urllib3 in the same
run). oss2 still builds, signs and parses every request: only the last step, sending the signed
request and handing back the answer, is done here, the way requests would do it (same URL, the
same headers minus the ones oss2 unsets with None, same timeouts, no retries, no redirects
followed — a 3xx reaches oss2, which raises it as it raises any non-2xx).

Bodies that are not plain bytes (files, progress or CRC adapters, generators) and requests
through a proxy still go through requests (`oss2.Session.do_request`): there urllib3 would need
a length requests works out, and they are not on any hot path.
"""

from __future__ import annotations

import http.client
import select
import ssl
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

import oss2
import urllib3
from oss2.exceptions import RequestError
from requests.structures import CaseInsensitiveDict

CHUNK = 8 * 1024   # oss2's own iteration size
_NO_RETRY = urllib3.Retry(0, read=False, redirect=False)   # what requests' HTTPAdapter uses (max_retries=0)


def _ca_bundle() -> str | None:
    """requests verifies TLS against certifi's bundle; keep the same trust on the cloud's HTTPS."""
    try:
        import certifi
    except ImportError:   # pragma: no cover - requests depends on certifi
        return None
    return str(certifi.where())


def _timeout(timeout: Any) -> urllib3.Timeout:
    """requests' reading of a timeout: one number for both, or (connect, read)."""
    if isinstance(timeout, tuple):
        return urllib3.Timeout(connect=timeout[0], read=timeout[1])
    return urllib3.Timeout(connect=timeout, read=timeout)


def split_url(url: str) -> tuple[str, str]:
    """`http://host:port/a/b?c` → ("http://host:port", "/a/b?c")."""
    scheme_end = url.index("://") + 3
    slash = url.find("/", scheme_end)
    if slash < 0:
        query = url.find("?", scheme_end)
        return (url, "/") if query < 0 else (url[:query], "/" + url[query:])
    return url[:slash], url[slash:]


class RawAnswer:
    """The part of a `requests.Response` that oss2 and `core.bodies` use: `raw` (urllib3's response,
    read in one go by `bodies.read_body`), `status_code`, `headers`, `iter_content` and `close`."""

    def __init__(self, raw: Any, headers: CaseInsensitiveDict[str]) -> None:
        self.raw = raw
        self.status_code = raw.status
        self.headers = headers

    def iter_content(self, chunk: int = CHUNK) -> Iterator[bytes]:
        while True:
            block = self.raw.read(chunk, decode_content=True)
            if not block:
                return
            yield block

    def close(self) -> None:
        """As requests does: an unread body closes its connection; a read one is back in the pool."""
        self.raw.close()
        self.raw.release_conn()


class Answer(oss2.http.Response):  # type: ignore[misc]
    """`oss2.http.Response` over urllib3: the body is read straight from urllib3 (one call when the
    whole of it is asked for, instead of requests' 8 KiB iteration)."""

    def __init__(self, raw: Any) -> None:   # oss2's __init__ expects a requests.Response: not called
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(raw.headers)   # ", "-joined as requests has them
        self.response = RawAnswer(raw, headers)
        self.status = raw.status
        self.headers = headers
        self.request_id = headers.get("x-oss-request-id", "")
        self._all_read = False

    def read(self, amt: int | None = None) -> bytes:
        if self._all_read:
            return b""
        raw = self.response.raw
        if amt is None:
            self._all_read = True
            return bytes(raw.read(decode_content=True))
        block = bytes(raw.read(amt, decode_content=True))
        if not block:
            self._all_read = True
        return block

    def __iter__(self) -> Iterator[bytes]:
        return self.response.iter_content(CHUNK)


def _request_parts(req: Any) -> tuple[str, str, dict[str, str]]:
    """(origin, target, headers) of an oss2 request, as requests would send it: the parameters
    url-encoded onto the URL, the headers oss2 unsets with None left out."""
    url = req.url
    params = [(k, v) for k, v in req.params.items() if v is not None]
    if params:
        url += ("&" if "?" in url else "?") + urlencode(params)
    origin, target = split_url(url)
    return origin, target, {k: v for k, v in req.headers.items() if v is not None}


class LeanSession(oss2.Session):  # type: ignore[misc]
    """An `oss2.Session` whose byte-bodied requests go through a urllib3 pool (see the module doc)."""

    def __init__(self, pool_size: int = 10) -> None:
        super().__init__(pool_size=pool_size)
        self.session.trust_env = False   # the fallback: no proxy variables or ~/.netrc (clients.function_session)
        self.pool = urllib3.PoolManager(num_pools=pool_size, maxsize=pool_size, retries=_NO_RETRY,
                                        ca_certs=_ca_bundle())
        self._pools: dict[str, Any] = {}

    def do_request(self, req: Any, timeout: float) -> Any:
        data = req.data
        if req.proxies or not (data is None or isinstance(data, (bytes, bytearray))):
            return super().do_request(req, timeout)
        origin, target, headers = _request_parts(req)
        try:
            pool = self._pools.get(origin)
            if pool is None:   # urllib3 parses a URL per call: once per host here, the path once by the pool
                pool = self._pools.setdefault(origin, self.pool.connection_from_url(origin))
            raw = pool.urlopen(req.method, target, body=data, headers=headers, preload_content=False,
                               redirect=False, retries=_NO_RETRY, assert_same_host=False,
                               timeout=_timeout(timeout))
        except urllib3.exceptions.HTTPError as exc:
            raise RequestError(exc) from None
        if req.method == "HEAD":
            raw.read()   # no body comes; reading the empty one hands the connection back to the pool
        return Answer(raw)


class KeepAlive:
    """Keep-alive HTTP(S) connections to one origin, for requests whose target is encoded already.

    Why not urllib3's pool: `HTTPConnectionPool.urlopen` parses and re-encodes every target byte by
    byte in Python (`parse_url`, then `_encode_target`): for an STS AssumeRole, whose query carries the
    session policy (and, in FC, the function's own security token), that is 0.5-1.2 ms of CPU, more
    than signing and parsing the call together (measured, issue 30). Here the target goes to
    `http.client` as given. Like urllib3: TLS verified against certifi's bundle, a separate connect
    and read timeout, an idle connection the server has closed is dropped before reuse (never resent),
    at most `size` idle connections kept; any failure closes its connection and is raised as it came
    (`OSError` or `http.client.HTTPException`)."""

    def __init__(self, origin: str, *, timeout: float, connect_timeout: float, size: int = 10) -> None:
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) origin: {origin!r}")
        self.host = parts.hostname
        self.port = parts.port
        self.tls = ssl.create_default_context(cafile=_ca_bundle()) if parts.scheme == "https" else None
        self.timeout = timeout
        self.connect_timeout = connect_timeout
        self.size = size
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def request(self, method: str, target: str, *, body: bytes | bytearray | None,
                headers: dict[str, str]) -> tuple[int, list[tuple[str, str]], bytes]:
        """(status, headers, body) of one request, the body read whole."""
        conn = self._take()
        try:
            conn.request(method, target, body=body, headers=headers)
            answer = conn.getresponse()
            data = answer.read()
        except BaseException:
            conn.close()
            raise
        if answer.will_close:
            conn.close()
        else:
            self._give(conn)
        return answer.status, answer.getheaders(), data

    def _take(self) -> http.client.HTTPConnection:
        while True:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None:
                return self._connect()
            if conn.sock is not None and not _dropped(conn.sock):
                return conn
            conn.close()

    def _connect(self) -> http.client.HTTPConnection:
        conn: http.client.HTTPConnection
        if self.tls is not None:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=self.connect_timeout, context=self.tls)
        else:
            conn = http.client.HTTPConnection(self.host, self.port, timeout=self.connect_timeout)
        conn.connect()
        assert conn.sock is not None
        conn.sock.settimeout(self.timeout)
        return conn

    def _give(self, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            if len(self._idle) < self.size:
                self._idle.append(conn)
                return
        conn.close()


def _dropped(sock: Any) -> bool:
    """An idle keep-alive socket that is readable was closed by the server (or sent something
    unasked): either way it cannot carry the next request."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class BufferedAnswer(oss2.http.Response):  # type: ignore[misc]
    """`oss2.http.Response` over a body already read whole (`SmallBodySession`)."""

    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        joined: dict[str, str] = {}
        for name, value in headers:   # a repeated header ", "-joined, as requests and urllib3 give it
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        self.headers = CaseInsensitiveDict(joined)
        self.status = status
        self.request_id = self.headers.get("x-oss-request-id", "")
        self.response = self           # oss2's results call `resp.response.close()`
        self._body = body
        self._offset = 0

    def read(self, amt: int | None = None) -> bytes:
        end = len(self._body) if amt is None else min(len(self._body), self._offset + amt)
        block = self._body[self._offset:end]
        self._offset = end
        return block

    def __iter__(self) -> Iterator[bytes]:
        while block := self.read(CHUNK):
            yield block

    def close(self) -> None:
        """Nothing to hand back: the connection was returned when the body was read."""


class SmallBodySession(LeanSession):
    """An `oss2.Session` for a function whose OSS bodies are a few KB — the token function's registry
    record and empty create-once markers: byte-bodied requests go through `KeepAlive`, their answers
    read whole. The same HTTP as `LeanSession` minus urllib3's per-request URL parsing, re-encoding
    and response wrapping (measured, issue 30). Never for bodies that must stream (clips, indexes):
    an answer is held in memory whole, and not decoded (http.client asks for `identity`, and none of the
    token function's requests asks for another encoding). Other bodies and proxied requests take
    `LeanSession`'s path."""

    def __init__(self, pool_size: int = 10) -> None:
        super().__init__(pool_size=pool_size)
        self._origins: dict[tuple[str, Any], KeepAlive] = {}
        self._origins_lock = threading.Lock()

    def do_request(self, req: Any, timeout: float) -> Any:
        data = req.data
        if req.proxies or not (data is None or isinstance(data, (bytes, bytearray))):
            return super().do_request(req, timeout)
        origin, target, headers = _request_parts(req)
        connections = self._connections(origin, timeout)
        try:
            status, answer_headers, body = connections.request(req.method, target, body=data, headers=headers)
        except (OSError, http.client.HTTPException) as exc:
            raise RequestError(exc) from None
        return BufferedAnswer(status, answer_headers, body)

    def _connections(self, origin: str, timeout: Any) -> KeepAlive:
        key = (origin, timeout)
        found = self._origins.get(key)
        if found is None:
            connect, read = timeout if isinstance(timeout, tuple) else (timeout, timeout)
            with self._origins_lock:
                found = self._origins.setdefault(key, KeepAlive(origin, timeout=read, connect_timeout=connect))
        return found
