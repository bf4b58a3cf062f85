"""Operator settings: stack.json first, environment overrides field by field; bucket setup documents."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from vigil_camera.protocol import token_base_url
from vigil_ops.bucket_setup import BucketSettings, cors_rules, lifecycle_rules, overwrite_config_xml
from vigil_ops.settings import OpsSettings, SettingsError

pytestmark = pytest.mark.unit


def _stack(tmp_path: Path) -> Path:
    key_file = tmp_path / "master.key"
    key_file.write_text("deadbeef\n")
    (tmp_path / "stack.json").write_text(json.dumps({
        "oss_endpoint": "http://127.0.0.1:9000", "sts_endpoint": "http://127.0.0.1:9001",
        "bucket": "vigil-local", "region": "cn-hangzhou", "account_id": "1234567890123456",
        "access_key_id": "AK", "access_key_secret": "SK",
        "master_key_file": str(key_file), "functions": {"token": "http://127.0.0.1:9003/"}}))
    return tmp_path


def test_local_stack_is_the_default(tmp_path: Path) -> None:
    s = OpsSettings.load({"VIGIL_LOCAL_DATA": str(_stack(tmp_path))})
    assert (s.oss_endpoint, s.bucket, s.access_key_id, s.master_key) == (
        "http://127.0.0.1:9000", "vigil-local", "AK", b"deadbeef")
    assert s.token_url == "http://127.0.0.1:9003"  # the base URL: the client appends /v1/token
    assert s.upload_role_arn == "acs:ram::1234567890123456:role/vigil-device-upload"
    assert s.operator_token_role_arn == "acs:ram::1234567890123456:role/vigil-operator-token"


def test_environment_overrides_field_by_field(tmp_path: Path) -> None:
    s = OpsSettings.load({"VIGIL_LOCAL_DATA": str(_stack(tmp_path)), "VIGIL_BUCKET": "prod",
                          "VIGIL_STS_ENDPOINT": "", "ALIBABA_CLOUD_ACCESS_KEY_ID": "AK2",
                          "VIGIL_MASTER_KEY": "other", "VIGIL_OPERATOR_TOKEN_ROLE_ARN": "acs:ram::1:role/x"})
    assert (s.bucket, s.sts_endpoint, s.access_key_id, s.access_key_secret) == ("prod", "", "AK2", "SK")
    assert s.master_key == b"other" and s.operator_token_role_arn == "acs:ram::1:role/x"
    assert s.oss_endpoint == "http://127.0.0.1:9000"


def test_missing_target_is_a_clear_error(tmp_path: Path) -> None:
    s = OpsSettings.load({"VIGIL_LOCAL_DATA": str(tmp_path / "nothing")})
    with pytest.raises(SettingsError, match="oss_endpoint"):
        s.bucket_client()
    (tmp_path / "stack.json").write_text("{broken")
    with pytest.raises(SettingsError):
        OpsSettings.load({"VIGIL_LOCAL_DATA": str(tmp_path)})


def test_token_base_url_is_idempotent() -> None:
    assert token_base_url("http://h:1/") == token_base_url("http://h:1/v1/token/") == "http://h:1"
    assert token_base_url(token_base_url("https://f.fcapp.run/v1/token")) == "https://f.fcapp.run"


def test_bucket_setup_documents() -> None:
    s = BucketSettings(account_id="1234567890123456", retention_days=7)
    rules = {r.id: r for r in lifecycle_rules(s)}
    videos = rules["vigil-videos"]
    assert videos.expiration.days == 7 and videos.abort_multipart_upload.days == 1
    assert rules["vigil-nonces"].prefix == "_system/nonces/" and rules["vigil-nonces"].expiration.days == 1
    prefixes = [r.prefix for r in rules.values()]
    assert not any(a != b and b.startswith(a) for a in prefixes for b in prefixes)  # no overlapping rules
    assert "Range" in cors_rules(s)[0].allowed_headers
    root = ET.fromstring(overwrite_config_xml(s))  # noqa: S314 - our own document
    (rule,) = root.findall("Rule")
    assert rule.findtext("Action") == "forbid" and rule.findtext("Prefix") == "videos/"
    assert "acs:ram::1234567890123456:role/vigil-device-upload" in [
        p.text for p in rule.findall("Principals/Principal")]
    with pytest.raises(ValueError):
        BucketSettings(account_id="abc")


def test_region_of_endpoint() -> None:
    from vigil_ops.bucket_setup import region_of_endpoint

    assert region_of_endpoint("https://oss-cn-shanghai-internal.aliyuncs.com") == "cn-shanghai"
    assert region_of_endpoint("oss-ap-southeast-1.aliyuncs.com") == "ap-southeast-1"
    assert region_of_endpoint("http://127.0.0.1:9000") is None
