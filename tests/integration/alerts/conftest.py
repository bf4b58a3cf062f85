"""An alerts stack: localcloud with the real functions (vigil-alerts on its timer trigger), loopback
targets allowed (VIGIL_ALERTS_ALLOW_LOOPBACK, for these tests only), receivers the tests start."""

from __future__ import annotations

import importlib.util
import json
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from vigil_camera.keys import clip_key
from vigil_fn.alerts.store import STATE
from vigil_fn.core.devices import DeviceRecord, Registry

from tests.conftest import CloudHandle, start_cloud
from tests.waiting import wait_for

_spec = importlib.util.spec_from_file_location("alert_receivers", Path(__file__).with_name("receivers.py"))
assert _spec and _spec.loader
receivers = importlib.util.module_from_spec(_spec)
sys.modules["alert_receivers"] = receivers
_spec.loader.exec_module(receivers)


@pytest.fixture(scope="package")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudHandle]:
    handle = start_cloud(tmp_path_factory.mktemp("alerts-cloud"), extra_env={
        "VIGIL_ALERTS_ALLOW_LOOPBACK": "true", "VIGIL_ALERTS_SEND_TIMEOUT_SECONDS": "2",
        "VIGIL_ALERTS_BACKOFF_SECONDS": "30"})
    try:
        yield handle
    finally:
        handle.stack.stop()


@pytest.fixture()
def receiver() -> Iterator[Any]:
    r = receivers.Receiver(secret="whsec-" + uuid.uuid4().hex, ding_secret="SEC" + uuid.uuid4().hex).start()
    try:
        yield r
    finally:
        r.stop()


@pytest.fixture()
def mailbox() -> Iterator[Any]:
    box = receivers.Mailbox().start()
    try:
        yield box
    finally:
        box.stop()


class Ticks:
    """Moves localcloud's clock a minute at a time and waits for the alerts tick of that minute to finish."""

    def __init__(self, cloud: CloudHandle) -> None:
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


@pytest.fixture()
def ticks(cloud: CloudHandle) -> Ticks:
    return Ticks(cloud)


@pytest.fixture()
def admin_api(cloud: CloudHandle) -> Any:
    """A logged-in admin client of the viewer API (the same helper the api tests use)."""
    spec = importlib.util.spec_from_file_location("api_conftest_helpers",
                                                  Path(__file__).parents[1] / "api" / "conftest.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("api_conftest_helpers", mod)
    spec.loader.exec_module(mod)
    import secrets

    from vigil_fn.api.users import UserStore

    name, password = f"a-{uuid.uuid4().hex[:8]}", secrets.token_urlsafe(12)
    UserStore(cloud.bucket()).create(name, password, "admin", None)
    api = mod.Api(mod.api_url(cloud))
    assert api.login(name, password).status_code == 200
    return api


@pytest.fixture()
def camera(cloud: CloudHandle, sim_clip: bytes) -> Callable[..., str]:
    """A registered camera that uploads one real clip ending at localcloud's now (indexed before return)."""
    from vigil_fn.indexer import reader

    def make(camera_id: str | None = None) -> str:
        cam = camera_id or f"cam-{uuid.uuid4().hex[:8]}"
        if Registry(cloud.bucket()).get(cam) is None:
            Registry(cloud.bucket()).create(DeviceRecord(cam, name=cam))
        upload(cloud, cam, sim_clip)
        return cam

    def upload(cloud: CloudHandle, cam: str, data: bytes) -> None:
        start = datetime.fromtimestamp(cloud.stack.clock.now() - 2, timezone.utc)
        key = clip_key(cam, start, int(time.time() * 1000) % 100000, "ts")
        cloud.bucket().put_object(key, data, headers={"Content-Type": "video/mp2t"})
        days = [start.date(), (start + timedelta(seconds=3)).date()]
        wait_for(lambda: any(c.key == key for d in days for c in reader.day_clips(cloud.bucket(), cam, d)), 60,
                 f"{key} indexed")

    make.upload = lambda cam: upload(cloud, cam, sim_clip)  # type: ignore[attr-defined]
    return make


@pytest.fixture(scope="package")
def sim_clip() -> bytes:
    import tempfile

    from vigil_camera.media import simulate

    out: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        simulate(Path(tmp), out.append, fps=10, width=160, height=96, clip_seconds=2.0, count=1, realtime=False)
        return bytes(out[0].path.read_bytes())
