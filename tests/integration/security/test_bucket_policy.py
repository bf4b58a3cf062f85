"""localcloud OSS bucket policies through oss2: put/get/delete, the grammar, the 16 KB limit, and
evaluation with RAM (explicit deny in either wins; the bucket policy can allow who it names)."""

from __future__ import annotations

import json
import secrets
from typing import Any

import oss2
import pytest
from aliyunsdkcore.client import AcsClient
from aliyunsdksts.request.v20150401.GetCallerIdentityRequest import GetCallerIdentityRequest

pytestmark = pytest.mark.integration


@pytest.fixture()
def side_bucket(cloud: Any) -> Any:
    """A bucket of its own, so policies here cannot disturb other tests on the shared stack."""
    name = f"sec-policy-{secrets.token_hex(3)}"
    bucket = cloud.bucket(name)
    bucket.create_bucket()
    yield bucket
    bucket.delete_bucket_policy()
    for info in oss2.ObjectIteratorV2(bucket):
        bucket.delete_object(info.key)
    bucket.delete_bucket()


def _caller_id(cloud: Any) -> str:
    client = AcsClient(cloud.access_key_id, cloud.access_key_secret, cloud.region, timeout=10)
    req = GetCallerIdentityRequest()
    req.set_endpoint(cloud.sts_endpoint.split("://", 1)[1])
    req.set_protocol_type("http")
    req.set_accept_format("json")
    return str(json.loads(client.do_action_with_exception(req))["UserId"])


def _session_principal(cloud: Any, device_id: str) -> str:
    return f"arn:sts::{cloud.account_id}:assumed-role/vigil-device-upload/{device_id}*"


def _status_code(call: Any) -> tuple[int, str]:
    with pytest.raises(oss2.exceptions.OssError) as info:
        call()
    return info.value.status, info.value.code


def test_put_get_delete_round_trip(cloud: Any, side_bucket: Any) -> None:
    assert _status_code(side_bucket.get_bucket_policy) == (404, "NoSuchBucketPolicy")
    doc = {"Version": "1", "Statement": [{
        "Effect": "Deny", "Action": ["oss:DeleteObject"], "Principal": ["*"],
        "Resource": [f"acs:oss:*:{cloud.account_id}:{side_bucket.bucket_name}/keep/*"]}]}
    side_bucket.put_bucket_policy(json.dumps(doc))
    assert json.loads(side_bucket.get_bucket_policy().policy) == doc
    side_bucket.put_object("keep/a", b"a")
    assert _status_code(lambda: side_bucket.delete_object("keep/a")) == (403, "AccessDenied")
    side_bucket.delete_bucket_policy()
    assert _status_code(side_bucket.get_bucket_policy) == (404, "NoSuchBucketPolicy")
    side_bucket.delete_object("keep/a")


@pytest.mark.parametrize("bad", [
    {"Version": "2", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Principal": "*",
                                    "Resource": "acs:oss:*:*:BUCKET/*"}]},
    {"Version": "1", "Statement": [{"Effect": "Maybe", "Action": "oss:*", "Principal": "*",
                                    "Resource": "acs:oss:*:*:BUCKET/*"}]},
    {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Principal": "*",
                                    "Resource": "acs:oss:*:*:another-bucket/*"}]},
    {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Principal": "*",
                                    "Resource": "acs:oss:*:*:BUCKET/*",
                                    "Condition": {"Sometimes": {"acs:SourceIp": "1.2.3.4"}}}]},
    {"Version": "1", "Statement": []},
])
def test_grammar_errors_are_400(side_bucket: Any, bad: dict[str, Any]) -> None:
    text = json.dumps(bad).replace("BUCKET", side_bucket.bucket_name)
    assert _status_code(lambda: side_bucket.put_bucket_policy(text)) == (400, "InvalidPolicyDocument")
    assert _status_code(lambda: side_bucket.put_bucket_policy("[" * 3000 + "]" * 3000)) == \
        (400, "InvalidPolicyDocument")


def _statement(cloud: Any, bucket: str, principals: range, pad: int = 0) -> dict[str, Any]:
    names = [f"arn:sts::{cloud.account_id}:assumed-role/vigil-device-upload/cam-{i:05d}" for i in principals]
    return {"Effect": "Deny", "Action": ["oss:PutObject"], "Principal": names,
            "Resource": [f"acs:oss:*:*:{bucket}/x/*"], "Sid": "p" * pad}


def _compact(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"))


def _padded(cloud: Any, bucket: str, start: int, size: int) -> dict[str, Any]:
    """A statement of exactly `size` bytes (compact JSON)."""
    stmt = _statement(cloud, bucket, range(start, start + 40))
    stmt["Sid"] = "p" * (size - len(_compact(stmt)))
    assert len(_compact(stmt)) == size
    return stmt


def test_sixteen_kilobytes_per_policy_and_4095_bytes_per_statement(cloud: Any, side_bucket: Any) -> None:
    name = side_bucket.bucket_name
    overhead = len(_compact({"Version": "1", "Statement": [{}, {}, {}, {}]})) - 8
    last = 16 * 1024 - overhead - 3 * 4095
    fits = {"Version": "1", "Statement": [_padded(cloud, name, 40 * i, 4095) for i in range(3)]
            + [_padded(cloud, name, 120, last)]}
    assert len(_compact(fits)) == 16 * 1024
    side_bucket.put_bucket_policy(_compact(fits))
    too_big = {"Version": "1", "Statement": fits["Statement"][:3] + [_padded(cloud, name, 120, last + 1)]}
    assert _status_code(lambda: side_bucket.put_bucket_policy(_compact(too_big))) == (400, "InvalidPolicyDocument")
    one_big = {"Version": "1", "Statement": [_padded(cloud, name, 0, 4096)]}
    assert _status_code(lambda: side_bucket.put_bucket_policy(_compact(one_big))) == (400, "InvalidPolicyDocument")
    assert json.loads(side_bucket.get_bucket_policy().policy) == fits  # the refused ones changed nothing


def test_bucket_policy_allows_a_named_session_and_nobody_else(cloud: Any, cameras: Any, side_bucket: Any) -> None:
    named, other = cameras.provision(), cameras.provision()
    named_bucket = oss2.Bucket(cameras.bucket(cameras.token(named)).auth, cloud.oss_endpoint,
                               side_bucket.bucket_name)
    other_bucket = oss2.Bucket(cameras.bucket(cameras.token(other)).auth, cloud.oss_endpoint,
                               side_bucket.bucket_name)
    assert _status_code(lambda: named_bucket.put_object("drop/a", b"a")) == (403, "AccessDenied")
    side_bucket.put_bucket_policy(json.dumps({"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": ["oss:PutObject"],
        "Principal": [_session_principal(cloud, named.device_id)],
        "Resource": [f"acs:oss:*:{cloud.account_id}:{side_bucket.bucket_name}/drop/*"]}]}))
    named_bucket.put_object("drop/a", b"a")
    assert side_bucket.get_object("drop/a").read() == b"a"
    assert _status_code(lambda: named_bucket.put_object("elsewhere/a", b"a")) == (403, "AccessDenied")
    assert _status_code(lambda: other_bucket.put_object("drop/b", b"b")) == (403, "AccessDenied")


def test_explicit_deny_in_the_bucket_policy_beats_a_ram_allow(cloud: Any, side_bucket: Any) -> None:
    side_bucket.put_object("locked/a", b"a")
    side_bucket.put_bucket_policy(json.dumps({"Version": "1", "Statement": [{
        "Effect": "Deny", "Action": ["oss:PutObject", "oss:GetObject"], "Principal": [_caller_id(cloud)],
        "Resource": [f"acs:oss:*:*:{side_bucket.bucket_name}/locked/*"]}]}))
    assert _status_code(lambda: side_bucket.put_object("locked/b", b"b")) == (403, "AccessDenied")
    assert _status_code(lambda: side_bucket.get_object("locked/a")) == (403, "AccessDenied")
    side_bucket.put_object("open/b", b"b")  # outside the denied resource the RAM allow still holds


def test_bucket_policy_allow_grants_and_its_deny_wins(cloud: Any, cameras: Any, side_bucket: Any) -> None:
    """The upload role's RAM policies allow nothing in this bucket: the bucket policy alone grants the
    read, and its own Deny still wins over its Allow (and over the operator's RAM allow)."""
    camera = cameras.provision()
    device = oss2.Bucket(cameras.bucket(cameras.token(camera)).auth, cloud.oss_endpoint, side_bucket.bucket_name)
    side_bucket.put_bucket_policy(json.dumps({"Version": "1", "Statement": [
        {"Effect": "Allow", "Action": ["oss:GetObject"], "Principal": ["*"],
         "Resource": [f"acs:oss:*:*:{side_bucket.bucket_name}/*"]},
        {"Effect": "Deny", "Action": ["oss:GetObject"], "Principal": ["*"],
         "Resource": [f"acs:oss:*:*:{side_bucket.bucket_name}/secret/*"]},
    ]}))
    side_bucket.put_object("public/a", b"a")
    side_bucket.put_object("secret/a", b"s")
    assert device.get_object("public/a").read() == b"a"  # granted by the bucket policy alone
    assert _status_code(lambda: device.get_object("secret/a")) == (403, "AccessDenied")
    assert _status_code(lambda: side_bucket.get_object("secret/a")) == (403, "AccessDenied")  # operator too
