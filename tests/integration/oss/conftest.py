"""An in-process localcloud OSS for the protocol tests: Store on tmp_path + RamModel with test
users and a role + OSSService + make_server on port 0 in a ServerThread."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oss2
import pytest
from localcloud.common.clock import Clock
from localcloud.common.httpserver import ServerThread

ACCOUNT = "1234567890123456"
REGION = "cn-hangzhou"
BUCKET = "oss-proto-test"

POLICIES: dict[str, dict[str, Any]] = {
    "All": {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}]},
    # reads videos/, lists only under videos/, may not touch anything else
    "VideoReader": {
        "Version": "1",
        "Statement": [
            {"Effect": "Allow", "Action": "oss:GetObject", "Resource": "acs:oss:*:*:${Bucket}/videos/*"},
            {
                "Effect": "Allow",
                "Action": "oss:ListObjects",
                "Resource": "acs:oss:*:*:${Bucket}",
                "Condition": {"StringLike": {"oss:Prefix": "videos/*"}},
            },
            {
                "Effect": "Allow",
                "Action": "oss:DeleteObject",
                "Resource": "acs:oss:*:*:${Bucket}/videos/tmp/*",
            },
            {"Effect": "Allow", "Action": "oss:PutObject", "Resource": "acs:oss:*:*:${Bucket}/copies/*"},
            {"Effect": "Deny", "Action": "oss:GetObject", "Resource": "acs:oss:*:*:${Bucket}/videos/secret*"},
        ],
    },
    "Uploader": {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["oss:PutObject", "oss:ListParts", "oss:AbortMultipartUpload"],
                "Resource": "acs:oss:*:*:${Bucket}/videos/*",
            },
        ],
    },
}
USERS = {"operator": ["All"], "reader": ["VideoReader"]}
ROLES = {
    "uploader": {
        "RoleName": "uploader",
        "Description": "test role",
        "MaxSessionDuration": 3600,
        "AssumeRolePolicyDocument": {
            "Version": "1",
            "Statement": [
                {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": ["fc.aliyuncs.com"]}}
            ],
        },
        "Policies": ["Uploader"],
    }
}


def write_ram_dir(root: Path) -> Path:
    for sub in ("policies", "roles", "users"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    for name, doc in POLICIES.items():
        (root / "policies" / f"{name}.json").write_text(json.dumps(doc))
    for name, policies in USERS.items():
        (root / "users" / f"{name}.json").write_text(json.dumps({"UserName": name, "Policies": policies}))
    for name, doc in ROLES.items():
        (root / "roles" / f"{name}.json").write_text(json.dumps(doc))
    return root


@dataclass
class OssEnv:
    """A running OSS server and what tests need to talk to it."""

    endpoint: str
    port: int
    clock: Clock
    ram: Any
    store: Any
    admin_token: str
    bucket_name: str

    def key(self, user: str = "operator") -> tuple[str, str]:
        return tuple(self.ram.user_key(user))  # type: ignore[return-value]

    def auth(self, user: str = "operator", v4: bool = False) -> Any:
        ak, sk = self.key(user)
        return oss2.AuthV4(ak, sk) if v4 else oss2.Auth(ak, sk)

    def bucket(
        self, name: str | None = None, user: str = "operator", v4: bool = False, **kw: Any
    ) -> oss2.Bucket:
        if v4:
            kw.setdefault("region", REGION)
        return oss2.Bucket(self.auth(user, v4), self.endpoint, name or self.bucket_name, **kw)

    def service(self, user: str = "operator") -> oss2.Service:
        return oss2.Service(self.auth(user), self.endpoint)

    def sts(self, session_policy: dict[str, Any] | None = None, duration: int = 900) -> Any:
        return self.ram.issue_session(
            self.ram.role_arn("uploader"), "test-session", duration, session_policy, None, "fc.aliyuncs.com"
        )

    def sts_bucket(self, creds: Any, v4: bool = False) -> oss2.Bucket:
        auth = oss2.StsAuth(
            creds.access_key_id,
            creds.access_key_secret,
            creds.security_token,
            auth_version="v4" if v4 else "v1",
        )
        kw = {"region": REGION} if v4 else {}
        return oss2.Bucket(auth, self.endpoint, self.bucket_name, **kw)


@pytest.fixture(scope="module")
def oss_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OssEnv]:
    from localcloud.oss.model.store import Store
    from localcloud.oss.protocol import OSSService, make_server
    from localcloud.ram.model import RamModel

    root = tmp_path_factory.mktemp("oss-proto")
    clock = Clock()
    ram = RamModel.load(write_ram_dir(root / "ram-docs"), root / "ram-state", ACCOUNT, BUCKET, clock)
    store = Store(root / "oss", clock, REGION, ACCOUNT)
    store.create_bucket(BUCKET)
    admin = uuid.uuid4().hex
    server = make_server(OSSService(store, ram, clock, admin), "127.0.0.1", 0)
    thread = ServerThread(server, "oss-proto-test").start()
    try:
        yield OssEnv(f"http://127.0.0.1:{server.port}", server.port, clock, ram, store, admin, BUCKET)
    finally:
        thread.stop()
        close = getattr(store, "close", None)
        if close is not None:
            close()


@pytest.fixture
def oss_bucket(oss_env: OssEnv) -> oss2.Bucket:
    return oss_env.bucket()


@pytest.fixture
def oss_key(request: pytest.FixtureRequest) -> str:
    """A key unique to the test, under videos/."""
    return f"videos/{request.node.name.replace('[', '-').replace(']', '')}-{uuid.uuid4().hex[:6]}"


@pytest.fixture
def fresh(oss_env: OssEnv) -> Iterator[oss2.Bucket]:
    """A new, empty bucket of its own for the test (emptied and deleted after it)."""
    bucket = oss_env.bucket(f"t-{uuid.uuid4().hex[:12]}")
    bucket.create_bucket()
    yield bucket
    for obj in oss2.ObjectIterator(bucket):
        bucket.delete_object(obj.key)
    bucket.delete_bucket()
