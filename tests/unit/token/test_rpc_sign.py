"""`core.rpc` signs AssumeRole exactly as aliyunsdkcore does: same parameters, same string to sign,
same signature; and `sts.sts_host` resolves the cloud's endpoint as the SDK does."""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit

import pytest
from aliyunsdkcore.auth.composer import rpc_signature_composer
from aliyunsdkcore.auth.credentials import StsTokenCredential
from aliyunsdkcore.auth.signers.sts_token_signer import StsTokenSigner
from aliyunsdkcore.client import AcsClient
from aliyunsdksts.request.v20150401.AssumeRoleRequest import AssumeRoleRequest
from vigil_fn.core.rpc import RpcCaller, canonical_query, percent_encode, signature, string_to_sign
from vigil_fn.core.sts import API_VERSION, policy_json, sts_host
from vigil_fn.token.policy import device_upload_policy

pytestmark = pytest.mark.unit

POLICY = policy_json({**device_upload_policy("vigil-recordings", "cam-front-door"),
                      "Sid": "vidéo ~*+&=/? 中文 %41"})
PARAMS = {"RoleArn": "acs:ram::1234567890123456:role/vigil-device-upload", "RoleSessionName": "cam-front-door",
          "DurationSeconds": "3600", "Policy": POLICY}


@pytest.mark.parametrize("text", ["", "abc-_.~", "a b+c*d%e/f?g=h&i", "vidéo 中文 \u00ff", POLICY,
                                  "".join(chr(c) for c in range(1, 256))])
def test_percent_encoding_is_rfc3986_as_the_sdk_sends_it(text: str) -> None:
    assert percent_encode(text) == quote(text, safe="~")


def test_the_signature_of_the_sdks_own_request_matches() -> None:
    """The SDK composes and signs a request; recomputing from its parameters gives its string and signature."""
    url, sdk_string = rpc_signature_composer.get_signed_url(
        {"Action": "AssumeRole", "Version": API_VERSION, "RegionId": "cn-hangzhou", **PARAMS},
        "LTAIexamplekey", "example/secret+key", "JSON", "POST", {})
    sent = dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
    sdk_signature = sent.pop("Signature")
    ours = string_to_sign("POST", canonical_query(sent))
    assert ours == sdk_string
    assert signature(ours, "example/secret+key") == sdk_signature


def test_a_call_carries_the_parameters_the_sdk_sends() -> None:
    """With temporary credentials (the function's own in FC): the same parameter names as the SDK's
    AssumeRoleRequest through its STS-token signer, the SecurityToken among them, the timestamp from
    the injected clock, and the signature over exactly what is sent (the composer test above ties
    `string_to_sign`/`signature` to the SDK's)."""
    caller = RpcCaller("STS.examplekey", "examplesecret", "token/with+chars=", region="cn-hangzhou",
                       host="sts.example", scheme="https", timeout=5, connect_timeout=3,
                       clock=lambda: 1764345600.0)
    query, text = caller.signed_query("AssumeRole", API_VERSION, PARAMS)
    sent = dict(parse_qsl(query, keep_blank_values=True))
    assert sent["SecurityToken"] == "token/with+chars=" and sent["Timestamp"] == "2025-11-28T16:00:00Z"
    assert {k: sent[k] for k in PARAMS} == PARAMS

    request = AssumeRoleRequest()
    for key, value in PARAMS.items():
        request.add_query_param(key, value)
    _, sdk_url = StsTokenSigner(StsTokenCredential("STS.examplekey", "examplesecret", "token/with+chars=")) \
        .sign("cn-hangzhou", request)
    assert set(sent) == set(dict(parse_qsl(urlsplit(sdk_url).query, keep_blank_values=True)))

    unsigned = {k: v for k, v in sent.items() if k != "Signature"}
    assert text == string_to_sign("POST", canonical_query(unsigned))   # what was sent is what was signed
    assert sent["Signature"] == signature(text, "examplesecret")


def test_each_call_has_its_own_nonce() -> None:
    caller = RpcCaller("AK", "SK", None, region="cn-hangzhou", host="h", scheme="http", timeout=5, connect_timeout=3)
    nonces = {dict(parse_qsl(caller.signed_query("AssumeRole", API_VERSION, PARAMS)[0]))["SignatureNonce"]
              for _ in range(50)}
    assert len(nonces) == 50
    assert "SecurityToken" not in dict(parse_qsl(caller.signed_query("AssumeRole", API_VERSION, PARAMS)[0]))


@pytest.mark.parametrize("region", ["cn-hangzhou", "cn-shanghai", "ap-southeast-1", "us-west-1", "eu-central-1",
                                    "cn-wuhan", "cn-north-2-gov-1", "cn-shenzhen-finance-1"])
def test_cloud_endpoint_is_the_sdks(region: str) -> None:
    client = AcsClient("AK", "SK", region)
    assert sts_host(region) == client._resolve_endpoint(AssumeRoleRequest())
