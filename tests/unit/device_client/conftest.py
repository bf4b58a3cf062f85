"""A scripted token endpoint on loopback for the TokenProvider unit tests (the real token function
is exercised in tests/integration/device_client)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


class Script:
    def __init__(self) -> None:
        self.responses: list[tuple[int, dict[str, Any], dict[str, str]]] = []
        self.default: tuple[int, dict[str, Any], dict[str, str]] | None = None
        self.requests: list[dict[str, str]] = []
        self.delay = 0.0


@pytest.fixture
def dc_token_server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server API
            length = int(self.headers.get("Content-Length", "0"))
            self.rfile.read(length)
            script.requests.append(dict(self.headers))
            if script.delay:
                threading.Event().wait(script.delay)
            status, body, headers = script.responses.pop(0) if script.responses else script.default  # type: ignore[misc]
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        server.shutdown()
        server.server_close()


def token_body(server_time: float, life: float = 3600, key: str = "STS.k1") -> dict[str, Any]:
    import time as _t
    exp = _t.strftime("%Y-%m-%dT%H:%M:%SZ", _t.gmtime(server_time + life))
    return {"credentials": {"access_key_id": key, "access_key_secret": "sek", "security_token": "tok" * 10,
                            "expiration": exp},
            "bucket": "b", "endpoint": "http://127.0.0.1:1", "region": "cn-hangzhou",
            "prefixes": {"videos": "videos/cam-001/", "live": "live/cam-001/"},
            "server_time": int(server_time)}


@pytest.fixture
def dc_token_body() -> Any:
    return token_body
