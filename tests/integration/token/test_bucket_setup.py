"""The bucket settings `vigil local up` applies: lifecycle, CORS, write-once videos/ for cameras."""

from __future__ import annotations

from typing import Any

import oss2
import pytest
from vigil_ops.bucket_setup import OVERWRITE_RULE_ID, BucketSettings, apply_bucket_setup, get_overwrite_config

pytestmark = pytest.mark.integration


def test_stack_bucket_has_the_settings(cloud: Any) -> None:
    bucket = cloud.bucket()
    rules = {r.id: r for r in bucket.get_bucket_lifecycle().rules}
    assert {"vigil-videos", "vigil-live", "vigil-index", "vigil-stills", "vigil-nonces"} <= set(rules)
    assert rules["vigil-nonces"].prefix == "_system/nonces/" and rules["vigil-nonces"].expiration.days == 1
    assert rules["vigil-videos"].abort_multipart_upload.days == 1
    cors = bucket.get_bucket_cors().rules
    assert cors and "GET" in cors[0].allowed_methods
    (rule,) = get_overwrite_config(bucket, cloud.region)
    assert rule["id"] == OVERWRITE_RULE_ID and rule["prefix"] == "videos/" and rule["action"] == "forbid"
    assert f"acs:ram::{cloud.account_id}:role/vigil-device-upload" in rule["principals"]


def test_setup_is_idempotent_and_configurable(cloud: Any) -> None:
    bucket = cloud.bucket()
    settings = BucketSettings(account_id=cloud.account_id, retention_days=45, region=cloud.region)
    for _ in range(2):
        apply_bucket_setup(bucket, settings)
    rules = {r.id: r for r in bucket.get_bucket_lifecycle().rules}
    assert rules["vigil-videos"].expiration.days == 45 and len(rules) == 6
    assert rules["vigil-stills"].prefix == "stills/" and rules["vigil-stills"].expiration.days == 45
    assert len(get_overwrite_config(bucket, cloud.region)) == 1
    apply_bucket_setup(bucket, account_id=cloud.account_id)  # back to the defaults for other tests
    assert {r.id: r for r in bucket.get_bucket_lifecycle().rules}["vigil-videos"].expiration.days == 30


def test_operator_may_still_replace_recordings(cloud: Any) -> None:
    """The rule binds camera sessions only; the operator (repairs, backfill) is not locked out."""
    bucket = cloud.bucket()
    bucket.put_object("videos/ops-test/x.ts", b"1")
    bucket.put_object("videos/ops-test/x.ts", b"2")
    assert bucket.get_object("videos/ops-test/x.ts").read() == b"2"
    bucket.delete_object("videos/ops-test/x.ts")


def test_bucket_setup_command(cloud: Any, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    from vigil_ops.cli import main

    monkeypatch.setenv("VIGIL_LOCAL_DATA", str(cloud.data_dir))
    assert main(["bucket", "setup", "--retention-days", "30"]) == 0
    assert "write-once videos/" in capsys.readouterr().out
    monkeypatch.setenv("VIGIL_BUCKET", "no-such-bucket-here")
    assert main(["bucket", "setup"]) == 1
    assert "NoSuchBucket" in capsys.readouterr().err
    with pytest.raises(oss2.exceptions.NoSuchBucket):
        cloud.bucket("no-such-bucket-here").get_bucket_info()
