"""Fixtures every test folder can use: a running localcloud stack with the real functions."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oss2
import pytest

# Keep retries in the local FC runtime short so failure tests do not wait long.
os.environ.setdefault("LOCALCLOUD_FC_RETRY_BASE_SECONDS", "0.05")


@dataclass
class CloudHandle:
    """A running stack: its endpoints, operator key, and the few controls tests need."""

    stack: Any
    oss_endpoint: str
    sts_endpoint: str
    fc_endpoint: str
    region: str
    account_id: str
    bucket_name: str
    access_key_id: str
    access_key_secret: str
    admin_token: str
    data_dir: Path
    functions: dict[str, str]
    master_key: bytes

    def bucket(self, name: str | None = None, auth: Any = None, **kwargs: Any) -> oss2.Bucket:
        """An `oss2.Bucket` on the stack: the operator's key unless `auth` is given."""
        auth = auth or oss2.Auth(self.access_key_id, self.access_key_secret)
        return oss2.Bucket(auth, self.oss_endpoint, name or self.bucket_name, **kwargs)

    def advance_clock(self, seconds: float) -> float:
        """Move localcloud's clock (OSS, STS, FC runtime) forward; returns the new offset."""
        req = urllib.request.Request(
            f"{self.oss_endpoint}/_localcloud/clock",
            data=json.dumps({"advance": seconds}).encode(),
            method="PUT",
            headers={"X-Localcloud-Admin": self.admin_token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback admin endpoint
            return float(json.loads(resp.read())["offset"])

    def reset_clock(self) -> None:
        req = urllib.request.Request(
            f"{self.oss_endpoint}/_localcloud/clock",
            data=json.dumps({"offset": 0}).encode(),
            method="PUT",
            headers={"X-Localcloud-Admin": self.admin_token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10):  # noqa: S310 - loopback admin endpoint
            pass


def start_cloud(data_dir: Path, **kwargs: Any) -> CloudHandle:
    from localcloud.stack import LocalCloud

    stack = LocalCloud(data_dir, port=0, **kwargs)
    info = stack.start()
    return CloudHandle(
        stack=stack,
        oss_endpoint=info.oss_endpoint,
        sts_endpoint=info.sts_endpoint,
        fc_endpoint=info.fc_endpoint,
        region=info.region,
        account_id=info.account_id,
        bucket_name=info.bucket,
        access_key_id=info.access_key_id,
        access_key_secret=info.access_key_secret,
        admin_token=info.admin_token,
        data_dir=Path(info.data_dir),
        functions=info.functions,
        master_key=Path(info.master_key_file).read_text().strip().encode(),
    )


@pytest.fixture(scope="session")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CloudHandle]:
    """The whole local stack (OSS, STS, RAM, FC runtime running s.yaml) for the test session."""
    handle = start_cloud(tmp_path_factory.mktemp("localcloud"))
    try:
        yield handle
    finally:
        handle.stack.stop()
