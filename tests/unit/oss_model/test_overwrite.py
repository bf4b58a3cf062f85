"""Overwrite protection: prefix/suffix rules and principal patterns (role ARNs, sessions, ids)."""

from __future__ import annotations

import pytest
from localcloud.oss.errors import OSSError
from localcloud.oss.model.overwrite import principal_matches
from localcloud.oss.model.types import Caller

pytestmark = pytest.mark.unit

ACCT = "1234567890"
DEVICE = f"acs:ram::{ACCT}:assumed-role/vigil-device-upload/cam-01"
INDEXER = f"acs:ram::{ACCT}:assumed-role/vigil-indexer/fc-1"
OPERATOR = f"acs:ram::{ACCT}:user/operator"


@pytest.mark.parametrize(("pattern", "arn", "expected"), [
    (f"acs:ram::{ACCT}:assumed-role/vigil-device-upload/*", DEVICE, True),
    (f"acs:ram::{ACCT}:assumed-role/vigil-device-upload/*", INDEXER, False),
    (f"acs:ram::{ACCT}:role/vigil-device-upload", DEVICE, True),
    (f"acs:ram::{ACCT}:role/VIGIL-device-upload", DEVICE, True),
    (f"acs:ram::{ACCT}:role/vigil-device-upload", INDEXER, False),
    ("acs:ram::999:role/vigil-device-upload", DEVICE, False),
    ("acs:ram::*:role/vigil-device-*", DEVICE, True),
    ("*", DEVICE, True),
    ("*", "", True),
    (ACCT, OPERATOR, True),
    ("operator", OPERATOR, True),
    ("cam-0?", DEVICE, True),
    (f"acs:ram::{ACCT}:user/operator", OPERATOR, True),
    (f"acs:ram::{ACCT}:user/operator", DEVICE, False),
    (f"acs:ram::{ACCT}:assumed-role/vigil-device-upload/cam-0[1]", DEVICE, False),  # no char classes
])
def test_principal_patterns(pattern: str, arn: str, expected: bool) -> None:
    assert principal_matches(pattern, arn) is expected


def test_rule_blocks_device_overwrite_of_videos_only(ossm) -> None:
    ossm.store.put_config(ossm.bucket, "overwrite", {"rules": [{
        "id": "no-replace", "action": "forbid", "prefix": "videos/", "suffix": "",
        "principals": [f"acs:ram::{ACCT}:role/vigil-device-upload"]}]})
    ossm.put("videos/a.ts", b"1", caller=Caller(principal_arn=DEVICE))  # new object: allowed
    with pytest.raises(OSSError) as info:
        ossm.put("videos/a.ts", b"2", caller=Caller(principal_arn=DEVICE))
    assert (info.value.code, info.value.status) == ("FileAlreadyExists", 409)
    assert ossm.read("videos/a.ts") == b"1"
    ossm.put("videos/a.ts", b"3", caller=Caller(principal_arn=OPERATOR))  # not a listed principal
    ossm.put("live/a.m3u8", b"1", caller=Caller(principal_arn=DEVICE))
    ossm.put("live/a.m3u8", b"2", caller=Caller(principal_arn=DEVICE))  # other prefix
    with pytest.raises(OSSError):
        ossm.store.copy_object(ossm.bucket, "videos/a.ts", src_bucket=ossm.bucket, src_key="live/a.m3u8", headers=None,
                               caller=Caller(principal_arn=DEVICE))
    ossm.store.delete_object(ossm.bucket, "videos/a.ts")  # deletes are not overwrites
    assert ossm.read("videos/a.ts".replace("videos", "live").replace(".ts", ".m3u8")) == b"2"


def test_rule_without_principals_and_with_suffix(ossm) -> None:
    ossm.store.put_config(ossm.bucket, "overwrite", {"rules": [{"action": "forbid", "suffix": ".mp4"}]})
    ossm.put("x.mp4", b"1")
    with pytest.raises(OSSError):
        ossm.put("x.mp4", b"2", caller=Caller(principal_arn=OPERATOR))
    ossm.put("x.ts", b"1")
    ossm.put("x.ts", b"2")
    ossm.store.delete_config(ossm.bucket, "overwrite")
    ossm.put("x.mp4", b"3")
    assert ossm.read("x.mp4") == b"3"


def test_rule_blocks_appends_in_the_model(ossm) -> None:
    """The write-once rule is the model's for appends too (it was the protocol layer's): a protected
    key cannot be created by an append (403) nor extended (409); other writers still append."""
    ossm.store.put_config(ossm.bucket, "overwrite", {"rules": [{
        "id": "wo", "action": "forbid", "prefix": "videos/", "suffix": "",
        "principals": [f"acs:ram::{ACCT}:role/vigil-device-upload"]}]})
    device = Caller(principal_arn=DEVICE)
    with pytest.raises(OSSError) as info:
        ossm.append("videos/log", 0, b"a", caller=device)
    assert (info.value.code, info.value.status) == ("AccessDenied", 403)
    ossm.append("videos/log", 0, b"a", caller=Caller(principal_arn=OPERATOR))
    with pytest.raises(OSSError) as info:
        ossm.append("videos/log", 1, b"b", caller=device)
    assert (info.value.code, info.value.status) == ("FileAlreadyExists", 409)
    ossm.put("videos/n.ts", b"1", caller=Caller(principal_arn=OPERATOR))
    with pytest.raises(OSSError) as info:
        ossm.append("videos/n.ts", 1, b"b", caller=device)
    assert info.value.code == "ObjectNotAppendable"
    ossm.append("live/log", 0, b"a", caller=device)  # outside the rule
    assert ossm.read("videos/log") == b"a" and ossm.read("live/log") == b"a"
