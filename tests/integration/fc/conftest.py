"""The FC runtime's own stack: RAM + OSS (model and HTTP) + FCRuntime on the test app s.yaml."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oss2
import pytest
from localcloud.common.clock import Clock
from localcloud.common.httpserver import ServerThread
from localcloud.fc.runtime import FCRuntime
from localcloud.oss.model.store import Store
from localcloud.oss.protocol.server import make_server
from localcloud.oss.protocol.service import OSSService
from localcloud.ram.model import RamModel

from tests.waiting import wait_for

REPO = Path(__file__).resolve().parents[3]
APP_SPEC = REPO / "tests" / "fixtures" / "fc_app" / "s.yaml"
ACCOUNT = "1234567890123456"
BUCKET = "fcapp-bucket"
ADMIN = "fc-admin-token"

os.environ.setdefault("LOCALCLOUD_FC_RETRY_BASE_SECONDS", "0.05")


@dataclass
class FcStack:
    root: Path
    clock: Clock
    ram: RamModel
    store: Store
    oss_endpoint: str
    record_dir: Path
    runtime: FCRuntime
    oss_thread: ServerThread
    admin_token: str = ADMIN

    def bucket(self) -> oss2.Bucket:
        ak, secret = self.ram.operator_key()
        return oss2.Bucket(oss2.Auth(ak, secret), self.oss_endpoint, BUCKET)

    def new_runtime(self) -> FCRuntime:
        return FCRuntime(APP_SPEC, self.root / "fc", self.ram, self.store.outbox, self.clock, "127.0.0.1", 0,
                         None, fc_env(self.record_dir), admin_token=ADMIN)

    def records(self, kind: str) -> list[dict[str, Any]]:
        folder = self.record_dir / kind
        if not folder.exists():
            return []
        return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def fc_env(record_dir: Path) -> dict[str, str]:
    return {"FCAPP_BUCKET": BUCKET, "FCAPP_RECORD_DIR": str(record_dir)}


@pytest.fixture()
def fc_wait() -> Callable[..., Any]:
    """`fc_wait(predicate, timeout=20, what=...)`: poll until truthy."""
    return functools.partial(wait_for, timeout=20.0, interval=0.02)


@pytest.fixture(scope="module")
def fc_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FcStack]:
    root = tmp_path_factory.mktemp("fcstack")
    clock = Clock()
    ram = RamModel.load(REPO / "infra" / "ram", root / "ram", ACCOUNT, BUCKET, clock)
    store = Store(root / "oss", clock, "cn-hangzhou", ACCOUNT)
    store.create_bucket(BUCKET)
    server = make_server(OSSService(store, ram, clock, ADMIN), "127.0.0.1", 0)
    oss_thread = ServerThread(server, "fc-test-oss").start()
    record_dir = root / "records"
    record_dir.mkdir()
    runtime = FCRuntime(APP_SPEC, root / "fc", ram, store.outbox, clock, "127.0.0.1", 0, None,
                        fc_env(record_dir), admin_token=ADMIN)
    runtime.start()
    endpoint = f"http://127.0.0.1:{server.port}"
    stack = FcStack(root, clock, ram, store, endpoint, record_dir, runtime, oss_thread)
    try:
        yield stack
    finally:
        stack.runtime.stop()
        oss_thread.stop()
        store.close()
