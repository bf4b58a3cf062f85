"""Real receivers the alert tests start: an HTTP server that checks webhook and robot signatures (and
can be taken down and brought back on the same port), and an aiosmtpd SMTP server; and the localcloud
stack they run against (the alert tests and the alert benchmarks start theirs the same way)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from vigil_camera.keys import clip_key
from vigil_fn.alerts.store import STATE

from tests.conftest import CloudHandle, start_cloud
from tests.waiting import wait_for

# every alerts stack: the receivers are on 127.0.0.1 (loopback targets are refused outside these
# tests) and a dead receiver should cost a send 2 s, not the production timeout
ALERTS_ENV = {"VIGIL_ALERTS_ALLOW_LOOPBACK": "true", "VIGIL_ALERTS_SEND_TIMEOUT_SECONDS": "2"}


def alerts_cloud(data_dir: Path, **extra_env: str) -> Iterator[CloudHandle]:
    """A localcloud stack with the real functions and ALERTS_ENV (plus `extra_env`), for a fixture to
    `yield from`: it stops when the fixture ends."""
    handle = start_cloud(data_dir, extra_env={**ALERTS_ENV, **extra_env})
    try:
        yield handle
    finally:
        handle.stack.stop()


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    valid: bool
    at: float


@dataclass
class Receiver:
    """Checks the signatures the docs tell receivers to check; `fail_with` answers every POST with it."""

    secret: str
    ding_secret: str = ""
    fail_with: int | None = None
    got: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    port: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def verify(self, path: str, headers: dict[str, str], raw: bytes) -> bool:
        q = parse_qs(urlsplit(path).query)
        if path.startswith("/hook"):
            ts = headers.get("x-vigil-timestamp", "")
            sig = headers.get("x-vigil-signature", "")
            want = "v1=" + hmac.new(self.secret.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
            fresh = ts.isdigit() and abs(time.time() - int(ts)) < 10 * 86400   # localcloud's clock runs ahead
            return hmac.compare_digest(sig, want) and fresh and bool(headers.get("x-vigil-delivery"))
        if path.startswith("/ding"):
            ts, sign = q.get("timestamp", [""])[0], q.get("sign", [""])[0]
            mac = hmac.new(self.ding_secret.encode(), f"{ts}\n{self.ding_secret}".encode(), hashlib.sha256)
            return q.get("access_token") == ["tok"] and hmac.compare_digest(sign, base64.b64encode(mac.digest())
                                                                            .decode())
        return path.startswith("/wecom") and q.get("key") == ["k1"]

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if receiver.fail_with:
                    self._answer(receiver.fail_with, b"{}")
                    return
                valid = receiver.verify(self.path, headers, raw)
                with receiver.lock:
                    receiver.got.append(Received(self.path, headers, json.loads(raw), valid, time.time()))
                if self.path.startswith(("/ding", "/wecom")):
                    self._answer(200, json.dumps({"errcode": 0 if valid else 310000, "errmsg": "ok"}).encode())
                else:
                    self._answer(200 if valid else 401, b"{}")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def webhooks(self, path: str = "/hook") -> list[Received]:
        with self.lock:
            return [r for r in self.got if r.path.startswith(path)]

    def unique(self, path: str = "/hook") -> dict[str, Received]:
        """What a receiver that drops repeats by delivery id keeps."""
        out: dict[str, Received] = {}
        for r in self.webhooks(path):
            if r.valid:
                out.setdefault(r.body.get("delivery_id") or r.headers.get("x-vigil-delivery", ""), r)
        return out


class Mailbox:
    """aiosmtpd on 127.0.0.1: every accepted message, parsed."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[Any] = []
        box = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                import email

                box.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK"

        import socket

        with socket.socket() as probe:   # aiosmtpd checks its own readiness by connecting to the port it got
            probe.bind(("127.0.0.1", 0))
            self._port = int(probe.getsockname()[1])
        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self._port)

    def start(self) -> Mailbox:
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        return self._port

    def stop(self) -> None:
        self.controller.stop()


def every_channel(tag: str, receiver: Receiver, mailbox: Mailbox) -> list[dict[str, Any]]:
    """One channel of each kind, all pointed at the test's receiver and mailbox."""
    return [
        {"id": f"hook-{tag}", "kind": "webhook", "config": {"url": f"{receiver.base}/hook", "secret": receiver.secret}},
        {"id": f"ding-{tag}", "kind": "dingtalk", "config": {"url": f"{receiver.base}/ding?access_token=tok",
                                                             "secret": receiver.ding_secret}},
        {"id": f"wecom-{tag}", "kind": "wecom", "config": {"url": f"{receiver.base}/wecom?key=k1"}},
        {"id": f"mail-{tag}", "kind": "email", "config": {"host": "127.0.0.1", "port": mailbox.port,
                                                          "security": "none", "sender": "vigil@example.com",
                                                          "to": ["ops@example.com"]}},
    ]


def upload_clip(cloud: Any, cam: str, data: bytes) -> None:
    """Upload one real clip ending at localcloud's now and wait until the indexer has it."""
    from vigil_fn.indexer import reader

    start = datetime.fromtimestamp(cloud.stack.clock.now() - 2, timezone.utc)
    key = clip_key(cam, start, int(time.time() * 1000) % 100000, "ts")
    cloud.bucket().put_object(key, data, headers={"Content-Type": "video/mp2t"})
    days = [start.date(), (start + timedelta(seconds=3)).date()]
    wait_for(lambda: any(c.key == key for d in days for c in reader.day_clips(cloud.bucket(), cam, d)), 60,
             f"{key} indexed")


class Ticks:
    """Moves localcloud's clock a minute at a time and waits for the alerts tick of that minute to finish."""

    def __init__(self, cloud: Any) -> None:
        self.cloud = cloud
        self.runtime = cloud.stack.runtime
        self.bucket = cloud.bucket()

    def now_ms(self) -> int:
        return int(self.cloud.stack.clock.now() * 1000)

    def last_tick(self) -> int:
        try:
            return int(json.loads(self.bucket.get_object(STATE).read()).get("last_tick_ms") or 0)
        except Exception:  # noqa: BLE001 - no state yet
            return 0

    def minute(self, n: int = 1) -> int:
        """Advance n minutes, one tick each; returns the last tick's time (ms)."""
        for _ in range(n):
            self._one()
        return self.last_tick()

    def _one(self) -> None:
        fired = self.runtime.timers.fired
        self.cloud.stack.clock.advance(60)
        tick = (self.now_ms() // 60000) * 60000
        wait_for(lambda: self.runtime.timers.fired > fired, 20, "the timer to fire")
        wait_for(lambda: self.last_tick() >= tick and self.runtime.queue.idle(), 60,
                 lambda: f"the alerts tick of {tick} (state at {self.last_tick()})")
