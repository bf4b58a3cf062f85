"""localcloud OSS + STS over one RAM model loaded from infra/ram, and sessions of each Vigil role.

Function roles are minted the way the FC runtime mints them (`issue_session(..., service=
"fc.aliyuncs.com")`); device sessions the way the token function gets them: its own role session
calls AssumeRole on the STS server through the real SDK, with a per-device session policy.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oss2
import pytest
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdksts.request.v20150401.AssumeRoleRequest import AssumeRoleRequest
from localcloud.common.clock import Clock
from localcloud.common.httpserver import ServerThread
from localcloud.ram.model import RamModel

RAM_DIR = Path(__file__).resolve().parents[3] / "infra" / "ram"
ROLES_BUCKET = "vigil-roles"
SEED = {
    "videos/cam-1/2026/11/28/120000000Z-1.ts": b"clip-1",
    "videos/cam-2/2026/11/28/120000000Z-1.ts": b"clip-2",
    "live/cam-1/live.m3u8": b"#EXTM3U\n",
    "index/cam-1/2026-11-28.jsonl": b'{"k":"videos/cam-1/2026/11/28/120000000Z-1.ts"}\n',
    "_system/devices/cam-1.json": b'{"status":"active","key_version":1}',
    "_system/nonces/cam-1/n-seeded": b"",
    "_system/users/alice.json": b'{"role":"viewer"}',
    "_system/audit/2026-11-28.jsonl": b"{}\n",
}


@dataclass
class RolesStack:
    ram: RamModel
    clock: Clock
    oss_endpoint: str
    sts_port: int
    bucket_name: str

    def operator(self) -> oss2.Bucket:
        ak, secret = self.ram.operator_key()
        return oss2.Bucket(oss2.Auth(ak, secret), self.oss_endpoint, self.bucket_name, connect_timeout=5)

    def function_bucket(self, role: str) -> oss2.Bucket:
        """The bucket as a function running with `role` sees it (FC-minted session credentials)."""
        c = self.ram.issue_session(self.ram.role_arn(role), "fc-" + role, 3600, None, None, "fc.aliyuncs.com")
        auth = oss2.StsAuth(c.access_key_id, c.access_key_secret, c.security_token)
        return oss2.Bucket(auth, self.oss_endpoint, self.bucket_name, connect_timeout=5)

    def device_credentials(self, device: str, policy: dict[str, Any] | None) -> dict[str, str]:
        """AssumeRole on the upload role by the token-function role session, via the real STS SDK."""
        fn = self.ram.issue_session(
            self.ram.role_arn("vigil-token-fn"), "fc-token", 3600, None, None, "fc.aliyuncs.com"
        )
        client = AcsClient(
            region_id="cn-hangzhou",
            timeout=10,
            credential=StsTokenCredential(fn.access_key_id, fn.access_key_secret, fn.security_token),
        )
        req = AssumeRoleRequest()
        req.set_endpoint(f"127.0.0.1:{self.sts_port}")
        req.set_protocol_type("http")
        req.set_RoleArn(self.ram.role_arn("vigil-device-upload"))
        req.set_RoleSessionName(device)
        req.set_DurationSeconds(900)
        if policy is not None:
            req.set_Policy(json.dumps(policy))
        return dict(json.loads(client.do_action_with_exception(req))["Credentials"])

    def operator_token_bucket(self) -> oss2.Bucket:
        """The operator's parity-token role session (no session policy: the role's own cap)."""
        ak, secret = self.ram.operator_key()
        client = AcsClient(ak, secret, "cn-hangzhou", timeout=10)
        req = AssumeRoleRequest()
        req.set_endpoint(f"127.0.0.1:{self.sts_port}")
        req.set_protocol_type("http")
        req.set_RoleArn(self.ram.role_arn("vigil-operator-token"))
        req.set_RoleSessionName("vigil-operator-token")
        req.set_DurationSeconds(900)
        c = json.loads(client.do_action_with_exception(req))["Credentials"]
        auth = oss2.StsAuth(c["AccessKeyId"], c["AccessKeySecret"], c["SecurityToken"])
        return oss2.Bucket(auth, self.oss_endpoint, self.bucket_name, connect_timeout=5)

    def device_bucket(self, device: str, policy: dict[str, Any] | None) -> oss2.Bucket:
        c = self.device_credentials(device, policy)
        auth = oss2.StsAuth(c["AccessKeyId"], c["AccessKeySecret"], c["SecurityToken"])
        return oss2.Bucket(auth, self.oss_endpoint, self.bucket_name, connect_timeout=5)


def device_session_policy(bucket: str, device: str) -> dict[str, Any]:
    """The policy the token function passes (architecture §3): one device's prefixes, writes only."""
    return {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["oss:PutObject", "oss:AbortMultipartUpload", "oss:ListParts"],
                "Resource": [
                    f"acs:oss:*:*:{bucket}/videos/{device}/*",
                    f"acs:oss:*:*:{bucket}/live/{device}/*",
                ],
            }
        ],
    }


@pytest.fixture(scope="module")
def roles_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RolesStack]:
    from localcloud.oss.model.store import Store
    from localcloud.oss.protocol.server import make_server as make_oss_server
    from localcloud.oss.protocol.service import OSSService
    from localcloud.sts.server import make_server as make_sts_server
    from localcloud.sts.service import STSService

    root = tmp_path_factory.mktemp("roles")
    clock = Clock()
    account = "1234567890123456"
    ram = RamModel.load(RAM_DIR, root / "ram", account, ROLES_BUCKET, clock)
    store = Store(root / "oss", clock, "cn-hangzhou", account)
    oss_server = make_oss_server(OSSService(store, ram, clock, "admin-token"), "127.0.0.1", 0)
    sts_server = make_sts_server(STSService(ram, clock), "127.0.0.1", 0)
    threads = [ServerThread(oss_server, "roles-oss").start(), ServerThread(sts_server, "roles-sts").start()]
    stack = RolesStack(ram, clock, f"http://127.0.0.1:{oss_server.port}", sts_server.port, ROLES_BUCKET)
    try:
        operator = stack.operator()
        operator.create_bucket()
        for key, body in SEED.items():
            operator.put_object(key, body)
        yield stack
    finally:
        for thread in threads:
            thread.stop()


@pytest.fixture
def roles(roles_stack: RolesStack) -> Iterator[RolesStack]:
    """The module's stack with its clock put back after each test."""
    try:
        yield roles_stack
    finally:
        roles_stack.clock.set_offset(0)


@pytest.fixture
def roles_device_policy(roles_stack: RolesStack) -> Callable[[str], dict[str, Any]]:
    """The token function's session policy for a device of the module's bucket."""
    return lambda device: device_session_policy(roles_stack.bucket_name, device)


@pytest.fixture(scope="module")
def roles_session_bucket(roles_stack: RolesStack) -> Callable[[str], oss2.Bucket]:
    """`get(who)` → an oss2 bucket with that identity's session, minted once per module.

    who: a function role name, "device" (cam-1 with the token function's session policy) or
    "upload-role" (the upload role with no session policy: the role's own cap only).
    """
    cache: dict[str, oss2.Bucket] = {}

    def get(who: str) -> oss2.Bucket:
        if who not in cache:
            if who == "device":
                cache[who] = roles_stack.device_bucket(
                    "cam-1", device_session_policy(roles_stack.bucket_name, "cam-1")
                )
            elif who == "operator-token":
                cache[who] = roles_stack.operator_token_bucket()
            elif who == "upload-role":
                cache[who] = roles_stack.device_bucket("any-device", None)
            else:
                cache[who] = roles_stack.function_bucket(who)
        return cache[who]

    return get
