"""Device-client integration helpers: registered devices, clients pointed at the real token
function, and a loopback TCP proxy that can refuse, cut or drop responses."""

from __future__ import annotations

import itertools
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from vigil_camera.credentials import TokenProvider
from vigil_camera.ossclient import DeviceOss
from vigil_camera.protocol import device_secret
from vigil_camera.spool import Spool
from vigil_camera.upload import ClipUploader
from vigil_fn.core.devices import DeviceRecord, Registry

_counter = itertools.count()


@dataclass
class DeviceHandle:
    device_id: str
    secret: str
    token_url: str

    def provider(self, **kwargs: Any) -> TokenProvider:
        kwargs.setdefault("max_wait", 20.0)
        return TokenProvider(self.token_url, self.device_id, self.secret, **kwargs)


@pytest.fixture
def dc_device(cloud: Any) -> DeviceHandle:
    """A freshly registered device (own id per test: the token function rate-limits per device)."""
    device_id = f"dc-{uuid.uuid4().hex[:10]}-{next(_counter)}"
    Registry(cloud.bucket()).create(DeviceRecord(device_id, name="device-client test"))
    secret = device_secret(cloud.master_key, device_id, 1)
    return DeviceHandle(device_id, secret, cloud.functions["vigil-token"])


@dataclass
class DeviceClient:
    tokens: TokenProvider
    oss: DeviceOss
    uploader: ClipUploader
    spool: Spool


@pytest.fixture
def dc_client(dc_device: DeviceHandle, tmp_path: Path) -> DeviceClient:
    tokens = dc_device.provider()
    spool = Spool(tmp_path / "spool")
    oss = DeviceOss(tokens, status=spool.status, backoff_base=0.05, backoff_cap=0.5)
    return DeviceClient(tokens, oss, ClipUploader(oss, multipart_threshold=256 * 1024, part_size=128 * 1024),
                        spool)


class Proxy:
    """A loopback TCP proxy. `mode`: "forward"; "refuse" (accept then close at once);
    "cut" (close both sides after `cut_after` client→server bytes, once per `cuts` budget);
    "drop_response" (forward the request, then close without returning the answer, `cuts` times);
    "flip" (invert one byte of a matched request's body on the way, `cuts` times: a corrupting link
    that OSS, receiving no Content-MD5, stores as sent)."""

    def __init__(self, target: str) -> None:
        host, _, port = target.replace("http://", "").rstrip("/").partition(":")
        self.target = (host, int(port.split("/")[0]))
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.mode = "forward"
        self.cut_after = 0
        self.cuts = 0
        self.connections = 0
        self.refused = 0
        self.delay = 0.0            # seconds to sleep before forwarding each client chunk
        self.match: Callable[[bytes], bool] = lambda head: True
        self._lock = threading.Lock()
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _take_cut(self) -> bool:
        with self._lock:
            if self.cuts > 0:
                self.cuts -= 1
                return True
            return False

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            if self.mode == "refuse":
                self.refused += 1
                client.close()
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(self.target)
        except OSError:
            client.close()
            return
        state: dict[str, Any] = {"sent": 0, "cut": False, "drop": False, "head": b""}

        def up() -> None:
            try:
                while True:
                    data = client.recv(65536)
                    if not data:
                        break
                    if data[:8].split(b" ", 1)[0] in (b"GET", b"PUT", b"POST", b"HEAD", b"DELETE"):
                        state["head"] = data[:4096]      # a new request on this keep-alive connection
                    else:
                        if len(state["head"]) < 4096:
                            state["head"] += data[:4096]
                        if self.mode == "flip" and self.match(state["head"]) and self._take_cut():
                            data = data[:-1] + bytes([data[-1] ^ 0xFF])   # a body byte, never the head
                    if self.mode == "cut" and not state["cut"] and self.match(state["head"]):
                        room = self.cut_after - state["sent"]
                        if len(data) >= room and self._take_cut():
                            upstream.sendall(data[:max(0, room)])
                            state["cut"] = True
                            client.shutdown(socket.SHUT_RDWR)
                            upstream.shutdown(socket.SHUT_RDWR)
                            return
                    if self.mode == "drop_response" and not state["drop"] and self.match(state["head"]) \
                            and self._take_cut():
                        state["drop"] = True
                    state["sent"] += len(data)
                    if self.delay:
                        threading.Event().wait(self.delay)
                    upstream.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    upstream.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        def down() -> None:
            try:
                while True:
                    data = upstream.recv(65536)
                    if not data:
                        break
                    if state["drop"]:
                        client.shutdown(socket.SHUT_RDWR)   # the answer is lost on the way back
                        return
                    client.sendall(data)
            except OSError:
                pass
            finally:
                try:
                    client.shutdown(socket.SHUT_WR)
                except OSError:
                    pass

        t1 = threading.Thread(target=up, daemon=True)
        t2 = threading.Thread(target=down, daemon=True)
        t1.start()
        t2.start()
        t1.join()
        t2.join()
        client.close()
        upstream.close()

    def close(self) -> None:
        self._stop.set()
        self.sock.close()


@pytest.fixture
def dc_proxy() -> Iterator[Callable[[str], Proxy]]:
    made: list[Proxy] = []

    def make(target: str) -> Proxy:
        proxy = Proxy(target)
        made.append(proxy)
        return proxy

    yield make
    for proxy in made:
        proxy.close()
