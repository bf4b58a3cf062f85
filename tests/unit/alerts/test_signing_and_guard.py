"""Signatures receivers check, and the addresses alerts refuse to connect to."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
from urllib.parse import unquote_plus

import pytest
from vigil_fn.alerts import netguard
from vigil_fn.alerts.channels import dingtalk_sign, sign_webhook


def test_webhook_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"delivery_id":"abc"}'
    expected = hmac.new(b"k" * 16, b"1796000000." + body, hashlib.sha256).hexdigest()
    assert sign_webhook("k" * 16, 1796000000, body) == f"v1={expected}"
    assert sign_webhook("k" * 16, 1796000001, body) != f"v1={expected}"


def test_dingtalk_sign_follows_its_documented_recipe() -> None:
    secret, ts = "SEC0123456789abcdef", 1796000000123
    mac = hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest()
    assert unquote_plus(dingtalk_sign(secret, ts)) == base64.b64encode(mac).decode()


@pytest.mark.parametrize(("ip", "loopback_ok", "refused"), [
    ("127.0.0.1", False, "loopback"), ("127.0.0.1", True, None), ("::1", False, "loopback"),
    ("169.254.10.1", True, "link-local"), ("fe80::1", True, "link-local"),
    ("100.100.100.200", True, "metadata"), ("169.254.169.254", True, "metadata"),
    ("::ffff:127.0.0.1", False, "loopback"), ("::ffff:100.100.100.200", True, "metadata"),
    ("0.0.0.0", True, "unicast"), ("224.0.0.1", True, "unicast"), ("203.0.113.7", False, None),
])
def test_address_policy(ip: str, loopback_ok: bool, refused: str | None) -> None:
    problem = netguard.address_problem(ipaddress.ip_address(ip), allow_loopback=loopback_ok)
    assert (problem is None) if refused is None else (refused in str(problem))


def test_a_name_resolving_to_loopback_is_refused_in_cloud_mode() -> None:
    with pytest.raises(netguard.TargetRefused, match="loopback"):
        netguard.check_url("http://localhost:9/hook", allow_loopback=False)
    with pytest.raises(netguard.TargetRefused, match="metadata"):
        netguard.check_url("http://100.100.100.200/latest/meta-data/", allow_loopback=True)
    netguard.check_url("http://localhost:9/hook", allow_loopback=True)
