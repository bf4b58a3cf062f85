"""STS client edge cases that need no server: endpoint parsing, unreachable STS, no secrets in errors."""

from __future__ import annotations

import pytest
from vigil_fn.core.sts import StsClient, StsUnavailable, split_endpoint

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("endpoint", "expected"), [
    ("", None), ("  ", None), ("http://127.0.0.1:9001", ("127.0.0.1:9001", "http")),
    ("https://sts.cn-hangzhou.aliyuncs.com/", ("sts.cn-hangzhou.aliyuncs.com", "https")),
    ("sts.aliyuncs.com", ("sts.aliyuncs.com", "https")),
])
def test_split_endpoint(endpoint: str, expected: object) -> None:
    assert split_endpoint(endpoint) == expected


def test_bad_endpoint_scheme() -> None:
    with pytest.raises(ValueError):
        split_endpoint("ftp://x")


def test_unreachable_sts_is_sts_unavailable_without_credentials_in_the_message() -> None:
    client = StsClient("STS.KEYIDVALUE", "SECRETVALUE", "TOKENVALUE", "cn-hangzhou", "http://127.0.0.1:1",
                       timeout=2)
    with pytest.raises(StsUnavailable) as info:
        client.assume_role("acs:ram::1:role/x", "cam-1", {"Version": "1", "Statement": []}, 900)
    text = f"{info.value.code} {info.value.message} {info.value}"
    for secret in ("STS.KEYIDVALUE", "SECRETVALUE", "TOKENVALUE", "Signature="):
        assert secret not in text


@pytest.mark.parametrize("name", ["a", "a/b", "x" * 65, "caf\u00e9"])
def test_session_name_is_checked_before_sending(name: str) -> None:
    client = StsClient("AK", "SK", None, "cn-hangzhou", "http://127.0.0.1:1")
    with pytest.raises(ValueError):
        client.assume_role("acs:ram::1:role/x", name, None, 900)
