"""C SDK parity: get_token(bucket, path, mode, expiration) and get_token_from_policy, end to end."""

from __future__ import annotations

import calendar
import json
import time
from pathlib import Path
from typing import Any

import oss2
import pytest
from vigil_ops.parity import get_token, get_token_from_policy
from vigil_ops.settings import OpsSettings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def ops(parity_cloud: Any) -> OpsSettings:
    return OpsSettings.load({"VIGIL_LOCAL_DATA": str(parity_cloud.data_dir)})


@pytest.fixture(scope="module")
def seeded(parity_cloud: Any) -> oss2.Bucket:
    bucket = parity_cloud.operator_bucket()
    for key in ("videos/cam-1/a.ts", "videos/cam-1/b.ts", "videos/cam-2/a.ts", "_system/devices/cam-1.json"):
        bucket.put_object(key, b"data")
    return bucket


def _bucket(token: Any) -> oss2.Bucket:
    return oss2.Bucket(oss2.StsAuth(token.access_key_id, token.access_key_secret, token.security_token),
                       token.endpoint, token.bucket)


def _denied(call: Any) -> None:
    with pytest.raises(oss2.exceptions.AccessDenied):
        call()


def test_read_mode(ops: OpsSettings, seeded: oss2.Bucket) -> None:
    token = get_token(ops.bucket, "/videos/cam-1/*", "r", 900, settings=ops)
    b = _bucket(token)
    assert b.get_object("videos/cam-1/a.ts").read() == b"data"
    assert b.head_object("videos/cam-1/a.ts").content_length == 4
    _denied(lambda: b.get_object("videos/cam-2/a.ts"))
    _denied(lambda: b.put_object("videos/cam-1/new.ts", b"x"))
    _denied(lambda: b.delete_object("videos/cam-1/a.ts"))
    _denied(lambda: list(oss2.ObjectIteratorV2(b, prefix="videos/cam-1/")))
    expires = calendar.timegm(time.strptime(token.expiration, "%Y-%m-%dT%H:%M:%SZ"))
    assert 800 < expires - time.time() < 1000


@pytest.mark.parametrize("mode", ["w", "a"])
def test_write_and_append_modes(ops: OpsSettings, seeded: oss2.Bucket, mode: str) -> None:
    b = _bucket(get_token(ops.bucket, "/videos/cam-1/*", mode, 900, settings=ops))
    b.put_object(f"videos/cam-1/{mode}.ts", b"x")
    result = b.append_object(f"videos/cam-1/{mode}-append.ts", 0, b"12")
    b.append_object(f"videos/cam-1/{mode}-append.ts", result.next_position, b"34")
    assert seeded.get_object(f"videos/cam-1/{mode}-append.ts").read() == b"1234"
    _denied(lambda: b.put_object("videos/cam-2/x.ts", b"x"))
    _denied(lambda: b.get_object("videos/cam-1/a.ts"))


def test_delete_mode(ops: OpsSettings, seeded: oss2.Bucket) -> None:
    seeded.put_object("videos/cam-1/doomed.ts", b"x")
    b = _bucket(get_token(ops.bucket, "/videos/cam-1/doomed.ts", "d", 900, settings=ops))
    b.delete_object("videos/cam-1/doomed.ts")
    assert not seeded.object_exists("videos/cam-1/doomed.ts")
    _denied(lambda: b.delete_object("videos/cam-1/a.ts"))


def test_list_mode(ops: OpsSettings, seeded: oss2.Bucket) -> None:
    b = _bucket(get_token(ops.bucket, "/videos/cam-1/", "l", 900, settings=ops))
    keys = [o.key for o in oss2.ObjectIteratorV2(b, prefix="videos/cam-1/")]
    assert {"videos/cam-1/a.ts", "videos/cam-1/b.ts"} <= set(keys)
    _denied(lambda: list(oss2.ObjectIteratorV2(b, prefix="videos/cam-2/")))
    _denied(lambda: list(oss2.ObjectIteratorV2(b, prefix="")))
    _denied(lambda: b.get_object("videos/cam-1/a.ts"))


def test_combined_mode(ops: OpsSettings, seeded: oss2.Bucket) -> None:
    b = _bucket(get_token(ops.bucket, "/videos/cam-1/*", "rwadl", 3600, settings=ops))
    b.put_object("videos/cam-1/c.ts", b"c")
    assert b.get_object("videos/cam-1/c.ts").read() == b"c"
    assert "videos/cam-1/c.ts" in [o.key for o in oss2.ObjectIteratorV2(b, prefix="videos/cam-1/c")]
    b.delete_object("videos/cam-1/c.ts")
    _denied(lambda: b.get_object("_system/devices/cam-1.json"))


@pytest.mark.parametrize(("path", "mode", "expiration"), [
    ("videos/cam-1/*", "r", 900), ("/videos/../x", "r", 900), ("/videos/*", "x", 900), ("/videos/*", "", 900),
    ("/videos/*", "r", 899), ("/videos/*", "r", 3601), ("/videos/*", "r", True),
])
def test_bad_arguments_are_value_errors(ops: OpsSettings, path: str, mode: str, expiration: Any) -> None:
    with pytest.raises(ValueError):
        get_token(ops.bucket, path, mode, expiration, settings=ops)


def test_token_from_policy_file_via_api_and_cli(ops: OpsSettings, seeded: oss2.Bucket, parity_cloud: Any,
                                                tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    from vigil_ops.cli import main

    policy = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": ["oss:GetObject"],
                                             "Resource": [f"acs:oss:*:*:{ops.bucket}/videos/cam-2/*"]}]}
    b = _bucket(get_token_from_policy(policy, 900, settings=ops))
    assert b.get_object("videos/cam-2/a.ts").read() == b"data"
    _denied(lambda: b.get_object("videos/cam-1/a.ts"))

    policy_file = tmp_path / "policy.json"
    policy_file.write_text(json.dumps(policy))
    monkeypatch.setenv("VIGIL_LOCAL_DATA", str(parity_cloud.data_dir))
    assert main(["token", "from-policy", str(policy_file), "--expiration", "1200"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["policy"] == policy and doc["expiration"].endswith("Z") and doc["security_token"]
    b2 = oss2.Bucket(oss2.StsAuth(doc["access_key_id"], doc["access_key_secret"], doc["security_token"]),
                     doc["endpoint"], doc["bucket"])
    assert b2.get_object("videos/cam-2/a.ts").read() == b"data"

    assert main(["token", "get", "/videos/cam-1/*", "--mode", "rl", "--expiration", "900"]) == 0
    assert json.loads(capsys.readouterr().out)["policy"]["Statement"][1]["Action"] == ["oss:ListObjects"]
    assert main(["token", "get", "videos/no-slash", "--mode", "r"]) == 2
    assert "must start with '/'" in capsys.readouterr().err
    assert main(["token", "get", "/videos/*", "--expiration", "60"]) == 2
    assert "900" in capsys.readouterr().err
    policy_file.write_text("{not json")
    assert main(["token", "from-policy", str(policy_file)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
