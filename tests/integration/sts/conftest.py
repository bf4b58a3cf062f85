"""An STS server on 127.0.0.1:0 over its own RAM model, driven by the real aliyunsdkcore client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aliyunsdkcore.acs_exception.exceptions import ServerException
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdkcore.request import AcsRequest
from aliyunsdksts.request.v20150401.AssumeRoleRequest import AssumeRoleRequest
from aliyunsdksts.request.v20150401.GetCallerIdentityRequest import GetCallerIdentityRequest
from localcloud.common.clock import Clock
from localcloud.common.httpserver import ServerThread
from localcloud.ram.model import Credentials, RamModel
from localcloud.sts.server import make_server
from localcloud.sts.service import STSService

RAM_DIR = Path(__file__).resolve().parents[3] / "infra" / "ram"


@dataclass
class StsStack:
    ram: RamModel
    clock: Clock
    port: int
    account_id: str
    bucket: str

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def client(self, ak: str, secret: str, token: str | None = None) -> AcsClient:
        if token:
            return AcsClient(
                region_id="cn-hangzhou", credential=StsTokenCredential(ak, secret, token), timeout=10
            )
        return AcsClient(ak, secret, "cn-hangzhou", timeout=10)

    def operator(self) -> AcsClient:
        return self.client(*self.ram.operator_key())

    def function_session(self, role: str = "vigil-token-fn") -> Credentials:
        """What the FC runtime gives a function: a session of its role minted for the FC service."""
        return self.ram.issue_session(
            self.ram.role_arn(role), "fc-" + role, 3600, None, None, "fc.aliyuncs.com"
        )

    def token_fn(self) -> AcsClient:
        c = self.function_session()
        return self.client(c.access_key_id, c.access_key_secret, c.security_token)

    def point(self, request: AcsRequest) -> AcsRequest:
        request.set_endpoint(f"127.0.0.1:{self.port}")
        request.set_protocol_type("http")
        return request

    def assume_role(
        self,
        role: str = "vigil-device-upload",
        session: str = "cam-1",
        duration: int | None = 900,
        policy: str | None = None,
        role_arn: str | None = None,
    ) -> AssumeRoleRequest:
        req = AssumeRoleRequest()
        self.point(req)
        req.set_RoleArn(role_arn or self.ram.role_arn(role))
        req.set_RoleSessionName(session)
        if duration is not None:
            req.set_DurationSeconds(duration)
        if policy is not None:
            req.set_Policy(policy)
        return req

    def caller_identity(self) -> GetCallerIdentityRequest:
        return self.point(GetCallerIdentityRequest())


def sts_call(client: AcsClient, request: AcsRequest) -> dict[str, Any]:
    return json.loads(client.do_action_with_exception(request))


def sts_error(client: AcsClient, request: AcsRequest) -> ServerException:
    with pytest.raises(ServerException) as err:
        client.do_action_with_exception(request)
    return err.value


@pytest.fixture(scope="module")
def sts_module_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StsStack]:
    """One server per test module (shutting a server down costs half a second of polling)."""
    clock = Clock()
    ram = RamModel.load(
        RAM_DIR, tmp_path_factory.mktemp("sts") / "ram", "1234567890123456", "vigil-sts", clock
    )
    server = make_server(STSService(ram, clock), "127.0.0.1", 0)
    thread = ServerThread(server, "test-sts").start()
    try:
        yield StsStack(ram, clock, server.port, ram.account_id, ram.bucket)
    finally:
        thread.stop()


@pytest.fixture
def sts_stack(sts_module_stack: StsStack) -> Iterator[StsStack]:
    """The module's STS stack, with its clock put back after each test."""
    try:
        yield sts_module_stack
    finally:
        sts_module_stack.clock.set_offset(0)


@pytest.fixture
def sts_helpers() -> Any:
    """`sts_call` / `sts_error` for the test modules (conftest is not importable under importlib)."""

    class Helpers:
        call = staticmethod(sts_call)
        error = staticmethod(sts_error)

    return Helpers
