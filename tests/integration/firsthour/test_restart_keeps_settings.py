"""Issue 15 item 4: what `vigil bucket setup` set survives a restart of the local stack (the stack
applies its defaults only where the bucket has none)."""

from __future__ import annotations

from pathlib import Path

import oss2
import pytest
from localcloud.stack import LocalCloud
from vigil_ops.bucket_setup import get_overwrite_config
from vigil_ops.cli import main

pytestmark = pytest.mark.integration


def _bucket(info: object) -> oss2.Bucket:
    return oss2.Bucket(oss2.Auth(info.access_key_id, info.access_key_secret),  # type: ignore[attr-defined]
                       info.oss_endpoint, info.bucket)  # type: ignore[attr-defined]


def test_retention_and_cors_survive_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("VIGIL_OSS_ENDPOINT", "VIGIL_BUCKET", "ALIBABA_CLOUD_ACCESS_KEY_ID",
                 "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "VIGIL_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VIGIL_LOCAL_DATA", str(tmp_path))
    stack = LocalCloud(tmp_path, port=0, spec_path=None)
    stack.start()
    try:
        code = main(["bucket", "setup", "--retention-days", "7", "--cors-origin", "https://viewer.example"])
        assert code == 0, capsys.readouterr().err
    finally:
        stack.stop()

    stack = LocalCloud(tmp_path, port=0, spec_path=None)
    info = stack.start()
    try:
        bucket = _bucket(info)
        rules = {r.id: r for r in bucket.get_bucket_lifecycle().rules}
        assert rules["vigil-videos"].expiration.days == 7 and rules["vigil-index"].expiration.days == 7
        assert bucket.get_bucket_cors().rules[0].allowed_origins == ["https://viewer.example"]
        assert len(get_overwrite_config(bucket, info.region)) == 1
    finally:
        stack.stop()


def test_a_fresh_bucket_still_gets_every_default(tmp_path: Path) -> None:
    stack = LocalCloud(tmp_path, port=0, spec_path=None)
    info = stack.start()
    try:
        bucket = _bucket(info)
        assert {r.id: r for r in bucket.get_bucket_lifecycle().rules}["vigil-videos"].expiration.days == 30
        assert bucket.get_bucket_cors().rules and get_overwrite_config(bucket, info.region)
    finally:
        stack.stop()
