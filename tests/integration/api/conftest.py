"""Helpers for the viewer API tests: users, a logged-in HTTP client, real clips indexed by the real indexer."""

from __future__ import annotations

import secrets
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import requests
from vigil_camera.keys import clip_key
from vigil_fn.api.users import UserStore
from vigil_fn.core.devices import DeviceRecord, Registry
from vigil_fn.indexer import reader


def api_url(cloud: Any) -> str:
    return str(cloud.functions["vigil-api"]).rstrip("/")


class Api:
    """A browser-like client: keeps the session cookie, sends the CSRF header on changes."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.csrf = ""

    def login(self, name: str, password: str) -> requests.Response:
        resp = self.http.post(f"{self.base}/api/v1/login", json={"username": name, "password": password}, timeout=30)
        if resp.status_code == 200:
            self.csrf = resp.json()["csrf_token"]
        return resp

    def request(self, method: str, path: str, *, csrf: bool = True, **kwargs: Any) -> requests.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if csrf and method.upper() not in ("GET", "HEAD") and self.csrf:
            headers.setdefault("X-Vigil-CSRF", self.csrf)
        return self.http.request(method, f"{self.base}{path}", headers=headers, timeout=60, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)


@dataclass
class Account:
    name: str
    password: str


@pytest.fixture
def make_user(cloud: Any) -> Callable[..., Account]:
    store = UserStore(cloud.bucket())

    def make(role: str = "viewer", cameras: list[str] | None = None) -> Account:
        account = Account(f"u-{uuid.uuid4().hex[:10]}", secrets.token_urlsafe(12))
        store.create(account.name, account.password, role, cameras)
        return account

    return make


@pytest.fixture
def client(cloud: Any) -> Callable[[Account | None], Api]:
    def make(account: Account | None = None) -> Api:
        api = Api(api_url(cloud))
        if account is not None:
            resp = api.login(account.name, account.password)
            assert resp.status_code == 200, resp.text
        return api

    return make


@pytest.fixture
def admin(make_user: Callable[..., Account], client: Callable[[Account | None], Api]) -> Api:
    return client(make_user("admin"))


@dataclass
class SimClip:
    data: bytes
    frames: int
    duration_ms: int


@pytest.fixture(scope="session")
def sim_clips() -> list[SimClip]:
    """Four 2-second clips from the device simulator (H.264 MPEG-TS, continuous timestamps)."""
    from vigil_camera.media import simulate

    out: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        simulate(Path(tmp), out.append, fps=10, width=160, height=96, clip_seconds=2.0, count=4, realtime=False)
        return [SimClip(c.path.read_bytes(), c.frames, round(c.duration * 1000)) for c in out]


@dataclass
class Placed:
    key: str
    start: int   # ms
    duration_ms: int
    frames: int


def _wait_index(cloud: Any, camera: str, keys: list[str], present: bool, timeout: float) -> None:
    """Poll the index (through the reader) until every key is in it (present) or none is."""
    bucket = cloud.bucket()
    days = {datetime(int(k.split("/")[2]), int(k.split("/")[3]), int(k.split("/")[4])).date() for k in keys}
    deadline = time.monotonic() + timeout
    while True:
        have = {c.key for d in days for c in reader.day_clips(bucket, camera, d)}
        if (set(keys) <= have) if present else not (set(keys) & have):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"index after {timeout}s: wanted {'all' if present else 'none'} of {sorted(keys)}")
        time.sleep(0.2)


def poll(pred: Callable[[], Any], timeout: float = 120, what: str = "condition") -> Any:
    """Calls `pred` every 0.2 s until it returns something truthy (returned), else fails naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def export_finished(api: Api, eid: str, timeout: float = 180) -> dict[str, Any]:
    """The export's JSON once it is done or failed, read as its owner reads it."""
    return poll(lambda: (d := api.get(f"/api/v1/exports/{eid}").json())["state"] in ("done", "failed") and d,
                timeout, what=f"export {eid}")


def export_done(api: Api, body: dict[str, Any]) -> dict[str, Any]:
    """Starts an export (`POST /api/v1/exports` with `body`) and returns it done, signed."""
    started = api.post("/api/v1/exports", json=body)
    assert started.status_code == 202, started.text
    done = export_finished(api, started.json()["export"]["id"])
    assert done["state"] == "done", done["error"]
    assert done["manifest_url"], done
    return done


def wait_indexed(cloud: Any, camera: str, keys: list[str], timeout: float = 90) -> None:
    _wait_index(cloud, camera, keys, True, timeout)


def wait_gone(cloud: Any, camera: str, keys: list[str], timeout: float = 90) -> None:
    _wait_index(cloud, camera, keys, False, timeout)


@pytest.fixture
def camera_with_clips(cloud: Any, sim_clips: list[SimClip]) -> Callable[..., tuple[str, list[Placed]]]:
    """Register a camera and upload simulator clips at chosen offsets (seconds from `base`), indexed.

    `layout` is a list of (offset_s, clip index, seq). Clips 0..3 have continuous timestamps, so
    consecutive indexes at consecutive offsets play on; anything else is a discontinuity.
    """
    def make(layout: list[tuple[float, int, int]], base: datetime | None = None,
             ext: str = "ts", data: bytes | None = None) -> tuple[str, list[Placed]]:
        camera = f"cam-{uuid.uuid4().hex[:8]}"
        Registry(cloud.bucket()).create(DeviceRecord(camera, name=f"test {camera}"))
        base = base or datetime(2026, 11, 30, 10, 0, 0, tzinfo=timezone.utc)
        bucket = cloud.bucket()
        placed = []
        for offset, index, seq in layout:
            start = base + timedelta(seconds=offset)
            key = clip_key(camera, start, seq, ext)
            clip = sim_clips[index]
            bucket.put_object(key, data if data is not None else clip.data,
                              headers={"Content-Type": "video/mp2t" if ext == "ts" else "video/mp4"})
            placed.append(Placed(key, int(start.timestamp() * 1000), clip.duration_ms, clip.frames))
        wait_indexed(cloud, camera, [p.key for p in placed])
        return camera, placed

    return make


@pytest.fixture
def session_key(cloud: Any) -> Iterator[bytes]:
    yield (Path(cloud.data_dir) / "secrets" / "session.key").read_text().strip().encode()
