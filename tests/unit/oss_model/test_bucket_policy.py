"""Bucket-policy evaluation order with RAM, on the model alone (no HTTP)."""

from __future__ import annotations

from typing import Any

import pytest
from localcloud.oss.errors import OSSError
from localcloud.oss.model import bucket_policy
from localcloud.ram.model import Principal

ACCT = "1234567890123456"
OBJ = "acs:oss:*:*:b/videos/cam-1/x.ts"


def _session(policies: tuple[dict[str, Any], ...], session: str = "cam-1.k0") -> Principal:
    return Principal("STS.x", "s", f"acs:ram::{ACCT}:assumed-role/vigil-device-upload/{session}",
                     f"3{ACCT}:{session}", "assumed-role", policies, None, None)


def _doc(effect: str, principal: str, action: str = "oss:PutObject") -> dict[str, Any]:
    return bucket_policy.validate({"Version": "1", "Statement": [{
        "Effect": effect, "Action": [action], "Principal": [principal], "Resource": ["acs:oss:*:*:b/*"]}]})


ALLOW_PUT = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:PutObject", "Resource": "*"}]}
DENY_PUT = {"Version": "1", "Statement": [{"Effect": "Deny", "Action": "oss:PutObject", "Resource": "*"}]}
SESSION = f"arn:sts::{ACCT}:assumed-role/vigil-device-upload/cam-1.k0"


@pytest.mark.parametrize(("ram", "doc", "expected"), [
    ((ALLOW_PUT,), None, "Allow"),
    ((ALLOW_PUT,), _doc("Deny", SESSION), "ExplicitDeny"),                 # bucket-policy deny wins
    ((ALLOW_PUT,), _doc("Deny", SESSION.replace("cam-1.k0", "cam-1.k1")), "Allow"),  # another session
    ((ALLOW_PUT,), _doc("Deny", SESSION.replace("cam-1.k0", "*")), "ExplicitDeny"),  # role's sessions
    ((), _doc("Allow", SESSION), "Allow"),                                 # bucket policy grants alone
    ((DENY_PUT,), _doc("Allow", SESSION), "ExplicitDeny"),                 # RAM deny wins
    ((), _doc("Allow", "*", "oss:GetObject"), "ImplicitDeny"),             # other action
    ((ALLOW_PUT,), _doc("Deny", SESSION.replace("cam-1.k0", "CAM-1.k0")), "Allow"),  # names are case-sensitive
])
def test_evaluation_order(ram: tuple[dict[str, Any], ...], doc: dict[str, Any] | None, expected: str) -> None:
    assert bucket_policy.combine(_session(ram), doc, "oss:PutObject", OBJ, {}, "cn-hangzhou", ACCT) == expected


def test_conditions_use_the_ram_engine() -> None:
    doc = bucket_policy.validate({"Version": "1", "Statement": [{
        "Effect": "Deny", "Action": "oss:*", "Principal": SESSION, "Resource": "acs:oss:*:*:b/*",
        "Condition": {"DateLessThan": {"acs:CurrentTime": "2026-12-01T10:00:00Z"}}}]})
    before = {"acs:CurrentTime": "2026-12-01T09:59:59Z"}
    after = {"acs:CurrentTime": "2026-12-01T10:00:00Z"}
    principal = _session((ALLOW_PUT,))
    assert bucket_policy.combine(principal, doc, "oss:PutObject", OBJ, before, "r", ACCT) == "ExplicitDeny"
    assert bucket_policy.combine(principal, doc, "oss:PutObject", OBJ, after, "r", ACCT) == "Allow"


def test_resources_must_be_in_the_bucket() -> None:
    doc = _doc("Allow", "*")
    bucket_policy.check_resources(doc, "b", ACCT)
    with pytest.raises(OSSError) as info:
        bucket_policy.check_resources(doc, "bb", ACCT)
    assert info.value.code == "InvalidPolicyDocument"
