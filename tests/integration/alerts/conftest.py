"""An alerts stack: localcloud with the real functions (vigil-alerts on its timer trigger), loopback
targets allowed (VIGIL_ALERTS_ALLOW_LOOPBACK, for these tests only), receivers the tests start."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from vigil_fn.core.devices import DeviceRecord, Registry

from tests.conftest import CloudHandle
from tests.loading import load_path

receivers = load_path("alert_support", Path(__file__).with_name("support.py"))


@pytest.fixture(scope="package")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudHandle]:
    yield from receivers.alerts_cloud(tmp_path_factory.mktemp("alerts-cloud"), VIGIL_ALERTS_BACKOFF_SECONDS="30")


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


@pytest.fixture()
def ticks(cloud: CloudHandle) -> Any:
    return receivers.Ticks(cloud)


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

    def make(camera_id: str | None = None) -> str:
        cam = camera_id or f"cam-{uuid.uuid4().hex[:8]}"
        if Registry(cloud.bucket()).get(cam) is None:
            Registry(cloud.bucket()).create(DeviceRecord(cam, name=cam))
        receivers.upload_clip(cloud, cam, sim_clip)
        return cam

    make.upload = lambda cam: receivers.upload_clip(cloud, cam, sim_clip)  # type: ignore[attr-defined]
    return make


@pytest.fixture(scope="package")
def sim_clip() -> bytes:
    import tempfile

    from vigil_camera.media import simulate

    out: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        simulate(Path(tmp), out.append, fps=10, width=160, height=96, clip_seconds=2.0, count=1, realtime=False)
        return bytes(out[0].path.read_bytes())
