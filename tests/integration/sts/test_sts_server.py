"""The STS server through the real aliyunsdkcore / aliyun-python-sdk-sts client: success and every error."""

from __future__ import annotations

import calendar
import json
import time
import uuid
from typing import Any
from xml.etree import ElementTree

import pytest
import requests
from aliyunsdkcore.auth.composer import rpc_signature_composer
from aliyunsdkcore.request import CommonRequest
from localcloud.ram import policy

pytestmark = pytest.mark.integration


def upload_policy(bucket: str, device: str) -> str:
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": ["oss:PutObject", "oss:AbortMultipartUpload", "oss:ListParts"],
                    "Resource": [
                        f"acs:oss:*:*:{bucket}/videos/{device}/*",
                        f"acs:oss:*:*:{bucket}/live/{device}/*",
                    ],
                }
            ],
        }
    )


# -- success ---------------------------------------------------------------------------------------


def test_token_function_session_assumes_the_upload_role(sts_stack: Any, sts_helpers: Any) -> None:
    before = sts_stack.clock.now()
    body = sts_helpers.call(
        sts_stack.token_fn(), sts_stack.assume_role(policy=upload_policy(sts_stack.bucket, "cam-1"))
    )
    creds = body["Credentials"]
    assert creds["AccessKeyId"].startswith("STS.")
    role = sts_stack.ram.role("vigil-device-upload")
    assert body["AssumedRoleUser"] == {
        "Arn": f"acs:ram::{sts_stack.account_id}:assumed-role/vigil-device-upload/cam-1",
        "AssumedRoleId": f"{role.role_id}:cam-1",
    }
    assert len(body["RequestId"]) == 36
    expiration = calendar.timegm(time.strptime(creds["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert before + 899 <= expiration <= before + 901
    # the credentials are usable: OSS resolves them to the session with the policy intersection
    principal = sts_stack.ram.resolve(creds["AccessKeyId"], creds["SecurityToken"])
    assert principal.secret == creds["AccessKeySecret"]
    videos = f"acs:oss:*:*:{sts_stack.bucket}/videos"
    assert policy.evaluate(principal, "oss:PutObject", f"{videos}/cam-1/a.ts", {}) == "Allow"
    assert policy.evaluate(principal, "oss:PutObject", f"{videos}/cam-2/a.ts", {}) == "ImplicitDeny"
    assert policy.evaluate(principal, "oss:GetObject", f"{videos}/cam-1/a.ts", {}) == "ImplicitDeny"


def test_default_duration_is_one_hour(sts_stack: Any, sts_helpers: Any) -> None:
    body = sts_helpers.call(sts_stack.token_fn(), sts_stack.assume_role(duration=None))
    expiration = calendar.timegm(time.strptime(body["Credentials"]["Expiration"], "%Y-%m-%dT%H:%M:%SZ"))
    assert abs(expiration - (sts_stack.clock.now() + 3600)) <= 2


def test_get_caller_identity_for_user_and_session(sts_stack: Any, sts_helpers: Any) -> None:
    me = sts_helpers.call(sts_stack.operator(), sts_stack.caller_identity())
    assert me["IdentityType"] == "RAMUser"
    assert me["Arn"] == f"acs:ram::{sts_stack.account_id}:user/operator"
    assert me["AccountId"] == sts_stack.account_id
    fn = sts_helpers.call(sts_stack.token_fn(), sts_stack.caller_identity())
    assert fn["IdentityType"] == "AssumedRoleUser"
    assert fn["Arn"] == f"acs:ram::{sts_stack.account_id}:assumed-role/vigil-token-fn/fc-vigil-token-fn"
    assert (
        fn["PrincipalId"].endswith(":fc-vigil-token-fn") and fn["RoleId"] == fn["PrincipalId"].split(":")[0]
    )


def test_operator_may_assume_a_function_role_it_is_trusted_for(sts_stack: Any, sts_helpers: Any) -> None:
    # function roles trust only the FC service: the operator's own sts:AssumeRole is not enough
    err = sts_helpers.error(sts_stack.operator(), sts_stack.assume_role(role="vigil-api-fn"))
    assert (err.get_error_code(), err.get_http_status()) == ("NoPermission", 403)


def test_policy_with_unicode_and_reserved_characters_is_signed_correctly(
    sts_stack: Any, sts_helpers: Any
) -> None:
    doc = json.loads(upload_policy(sts_stack.bucket, "cam-1"))
    doc["Statement"][0]["Sid"] = "vidéo ~*+&=/?"
    body = sts_helpers.call(sts_stack.token_fn(), sts_stack.assume_role(policy=json.dumps(doc)))
    p = sts_stack.ram.resolve(body["Credentials"]["AccessKeyId"], body["Credentials"]["SecurityToken"])
    assert p.session_policy["Statement"][0]["Sid"] == "vidéo ~*+&=/?"


# -- protocol errors -------------------------------------------------------------------------------


def test_wrong_secret(sts_stack: Any, sts_helpers: Any) -> None:
    ak, _ = sts_stack.ram.operator_key()
    err = sts_helpers.error(sts_stack.client(ak, "not-the-secret"), sts_stack.caller_identity())
    # the server says SignatureDoesNotMatch with its string to sign after a ':'; the SDK compares it
    # with its own and, as they match, reports the secret as the cause
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidAccessKeySecret", 400)


def raw_signed(sts_stack: Any, params: dict[str, str], method: str = "POST") -> str:
    ak, secret = sts_stack.ram.operator_key()
    query = {"Version": "2015-04-01", "RegionId": "cn-hangzhou", **params}
    url, _ = rpc_signature_composer.get_signed_url(query, ak, secret, "JSON", method, {})
    return sts_stack.endpoint + url


def test_altered_parameter_gives_signature_does_not_match_with_the_string_to_sign(sts_stack: Any) -> None:
    url = raw_signed(sts_stack, {"Action": "GetCallerIdentity"})
    resp = requests.post(url.replace("RegionId=cn-hangzhou", "RegionId=cn-shanghai"), timeout=10)
    assert resp.status_code == 400
    body = resp.json()
    assert set(body) == {"RequestId", "HostId", "Code", "Message", "Recommend"}
    assert body["Code"] == "SignatureDoesNotMatch"
    assert body["Message"].split(":")[1].startswith("POST&%2F&AccessKeyId%3D")
    assert "cn-shanghai" in body["Message"]


def test_unknown_access_key(sts_stack: Any, sts_helpers: Any) -> None:
    err = sts_helpers.error(sts_stack.client("LTAI5tUnknownKey0000000", "x"), sts_stack.caller_identity())
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidAccessKeyId.NotFound", 404)


def signed_at(sts_stack: Any, timestamp: float) -> dict[str, str]:
    """GetCallerIdentity parameters dated `timestamp`, signed by the SDK's own RPC signer."""
    ak, secret = sts_stack.ram.operator_key()
    params = {
        "Action": "GetCallerIdentity",
        "Version": "2015-04-01",
        "Format": "JSON",
        "RegionId": "cn-hangzhou",
        "AccessKeyId": ak,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureType": "",
        "SignatureNonce": uuid.uuid4().hex,
        "Timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(timestamp)),
    }
    to_sign = getattr(rpc_signature_composer, "__compose_string_to_sign")("POST", params)
    params["Signature"] = getattr(rpc_signature_composer, "__get_signature")(to_sign, secret)
    return params


@pytest.mark.parametrize("skew", [16 * 60, -16 * 60])
def test_timestamp_outside_fifteen_minutes(sts_stack: Any, skew: int) -> None:
    resp = requests.post(
        sts_stack.endpoint + "/", params=signed_at(sts_stack, time.time() + skew), timeout=10
    )
    assert resp.status_code == 400
    assert resp.json()["Code"] == "InvalidTimeStamp.Expired"
    assert requests.post(sts_stack.endpoint + "/", params=signed_at(sts_stack, time.time()), timeout=10).ok


def test_timestamp_follows_the_shared_clock_too(sts_stack: Any, sts_helpers: Any) -> None:
    # localcloud's clock moved an hour ahead: a request dated by it is accepted ...
    sts_stack.clock.advance(3600)
    resp = requests.post(
        sts_stack.endpoint + "/", params=signed_at(sts_stack, sts_stack.clock.now()), timeout=10
    )
    assert resp.status_code == 200, resp.text
    # ... and so is the unmodified SDK, which signs with wall time
    assert sts_helpers.call(sts_stack.operator(), sts_stack.caller_identity())["IdentityType"] == "RAMUser"
    resp = requests.post(
        sts_stack.endpoint + "/", params=signed_at(sts_stack, time.time() + 1800), timeout=10
    )
    assert resp.json()["Code"] == "InvalidTimeStamp.Expired"


def test_timestamp_inside_the_window_is_accepted(sts_stack: Any) -> None:
    resp = requests.post(
        sts_stack.endpoint + "/", params=signed_at(sts_stack, time.time() - 14 * 60), timeout=10
    )
    assert resp.status_code == 200, resp.text


def test_malformed_timestamp(sts_stack: Any) -> None:
    params = signed_at(sts_stack, time.time())
    for bad in ("yesterday", params["Timestamp"][:-1] + "+08:00", params["Timestamp"][:-1] + "xZ"):
        params["Timestamp"] = bad
        resp = requests.post(sts_stack.endpoint + "/", params=params, timeout=10)
        assert resp.status_code == 400 and resp.json()["Code"] == "InvalidTimeStamp.Format", bad


def test_nonce_reuse(sts_stack: Any) -> None:
    url = raw_signed(sts_stack, {"Action": "GetCallerIdentity"})
    first = requests.post(url, timeout=10)
    assert first.status_code == 200, first.text
    again = requests.post(url, timeout=10)
    assert again.status_code == 400
    assert again.json()["Code"] == "SignatureNonceUsed"


def test_get_and_form_body_are_accepted(sts_stack: Any) -> None:
    url = raw_signed(sts_stack, {"Action": "GetCallerIdentity"}, method="GET")
    resp = requests.get(url, timeout=10)
    assert resp.status_code == 200 and resp.json()["IdentityType"] == "RAMUser"
    # every parameter in a form body instead of the query string
    ak, secret = sts_stack.ram.operator_key()
    params = {"Version": "2015-04-01", "Action": "GetCallerIdentity"}
    url, _ = rpc_signature_composer.get_signed_url(params, ak, secret, "JSON", "POST", {})
    resp = requests.post(
        sts_stack.endpoint + "/",
        data=url[2:],
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["x-acs-request-id"] == resp.json()["RequestId"]


def test_chunked_form_body_is_read_and_keep_alive_survives(sts_stack: Any) -> None:
    ak, secret = sts_stack.ram.operator_key()
    params = {"Version": "2015-04-01", "Action": "GetCallerIdentity"}
    url, _ = rpc_signature_composer.get_signed_url(params, ak, secret, "JSON", "POST", {})
    form = url[2:].encode()
    with requests.Session() as session:
        resp = session.post(
            sts_stack.endpoint + "/",
            data=iter([form[:10], form[10:]]),  # a generator body goes out chunked
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            timeout=10,
        )
        assert resp.status_code == 200, resp.text
        assert resp.json()["IdentityType"] == "RAMUser"
        # the same connection still answers the next request correctly
        again = session.post(raw_signed(sts_stack, {"Action": "GetCallerIdentity"}), timeout=10)
        assert again.status_code == 200, again.text


def test_xml_format(sts_stack: Any) -> None:
    ak, secret = sts_stack.ram.operator_key()
    params = {"Version": "2015-04-01", "Action": "GetCallerIdentity", "RegionId": "cn-hangzhou"}
    url, _ = rpc_signature_composer.get_signed_url(params, ak, secret, "XML", "POST", {})
    resp = requests.post(sts_stack.endpoint + url, timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(resp.content)  # noqa: S314 - our own loopback server
    assert root.tag == "GetCallerIdentityResponse"
    assert root.findtext("Arn") == f"acs:ram::{sts_stack.account_id}:user/operator"
    bad = requests.post(sts_stack.endpoint + url, timeout=10)  # same nonce again
    error = ElementTree.fromstring(bad.content)  # noqa: S314 - our own loopback server
    assert (bad.status_code, error.tag, error.findtext("Code")) == (400, "Error", "SignatureNonceUsed")


def test_unknown_action(sts_stack: Any, sts_helpers: Any) -> None:
    req = CommonRequest(
        domain=f"127.0.0.1:{sts_stack.port}", version="2015-04-01", action_name="DeleteEverything"
    )
    req.set_protocol_type("http")
    req.set_method("POST")
    err = sts_helpers.error(sts_stack.operator(), req)
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidAction.NotFound", 404)


@pytest.mark.parametrize("missing", ["Signature", "SignatureNonce", "Timestamp", "AccessKeyId"])
def test_missing_common_parameter(sts_stack: Any, missing: str) -> None:
    url = raw_signed(sts_stack, {"Action": "GetCallerIdentity"})
    base, _, query = url.partition("?")
    kept = "&".join(p for p in query.split("&") if not p.startswith(missing + "="))
    resp = requests.post(f"{base}?{kept}", timeout=10)
    assert resp.status_code == 400
    assert resp.json()["Code"] == f"Missing{missing}"


def test_garbage_requests_get_json_errors_not_tracebacks(sts_stack: Any) -> None:
    resp = requests.post(sts_stack.endpoint + "/?%ff%fe=1", timeout=10)
    assert resp.status_code == 400 and resp.json()["Code"] == "InvalidParameter"
    resp = requests.post(sts_stack.endpoint + "/", data=b"x" * 100_000, timeout=10)
    assert resp.status_code == 400 and resp.json()["Code"] == "InvalidParameter"
    resp = requests.get(sts_stack.endpoint + "/", timeout=10)
    assert resp.status_code == 400 and resp.json()["Code"].startswith("Missing")


# -- security tokens as callers ------------------------------------------------------------------


def test_session_key_without_token(sts_stack: Any, sts_helpers: Any) -> None:
    c = sts_stack.function_session()
    err = sts_helpers.error(sts_stack.client(c.access_key_id, c.access_key_secret), sts_stack.assume_role())
    assert (err.get_error_code(), err.get_http_status()) == ("MissingSecurityToken", 400)


def test_expired_session_token(sts_stack: Any, sts_helpers: Any) -> None:
    sts_stack.clock.set_offset(-3000)
    c = sts_stack.ram.issue_session(
        sts_stack.ram.role_arn("vigil-token-fn"), "fc-old", 900, None, None, "fc.aliyuncs.com"
    )
    sts_stack.clock.set_offset(0)
    client = sts_stack.client(c.access_key_id, c.access_key_secret, c.security_token)
    err = sts_helpers.error(client, sts_stack.assume_role())
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidSecurityToken.Expired", 400)


def test_token_of_another_session(sts_stack: Any, sts_helpers: Any) -> None:
    a, b = sts_stack.function_session(), sts_stack.function_session()
    err = sts_helpers.error(
        sts_stack.client(a.access_key_id, a.access_key_secret, b.security_token), sts_stack.assume_role()
    )
    assert err.get_error_code() == "InvalidSecurityToken.MismatchWithAccessKey"


def test_tampered_token(sts_stack: Any, sts_helpers: Any) -> None:
    a = sts_stack.function_session()
    token = a.security_token[:-3] + ("AAA" if not a.security_token.endswith("AAA") else "BBB")
    err = sts_helpers.error(
        sts_stack.client(a.access_key_id, a.access_key_secret, token), sts_stack.assume_role()
    )
    assert err.get_error_code() == "InvalidSecurityToken.Malformed"


# -- AssumeRole parameter and permission errors ----------------------------------------------------


def test_unknown_role(sts_stack: Any, sts_helpers: Any) -> None:
    req = sts_stack.assume_role(role_arn=f"acs:ram::{sts_stack.account_id}:role/vigil-nope")
    err = sts_helpers.error(sts_stack.operator(), req)
    assert (err.get_error_code(), err.get_http_status()) == ("EntityNotExist.Role", 404)


def test_untrusted_caller(sts_stack: Any, sts_helpers: Any) -> None:
    err = sts_helpers.error(sts_stack.operator(), sts_stack.assume_role())
    assert (err.get_error_code(), err.get_http_status()) == ("NoPermission", 403)
    c = sts_stack.function_session("vigil-indexer-fn")
    indexer = sts_stack.client(c.access_key_id, c.access_key_secret, c.security_token)
    err = sts_helpers.error(indexer, sts_stack.assume_role())
    assert (err.get_error_code(), err.get_http_status()) == ("NoPermission", 403)


def test_token_function_cannot_assume_other_roles(sts_stack: Any, sts_helpers: Any) -> None:
    err = sts_helpers.error(sts_stack.token_fn(), sts_stack.assume_role(role="vigil-api-fn"))
    assert (err.get_error_code(), err.get_http_status()) == ("NoPermission", 403)


@pytest.mark.parametrize("duration", [899, 43201])
def test_duration_out_of_range(sts_stack: Any, sts_helpers: Any, duration: int) -> None:
    err = sts_helpers.error(sts_stack.token_fn(), sts_stack.assume_role(duration=duration))
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidParameter.DurationSeconds", 400)


@pytest.mark.parametrize("name", ["a", "cam 1", "cam/1", "x" * 65])
def test_bad_session_name(sts_stack: Any, sts_helpers: Any, name: str) -> None:
    err = sts_helpers.error(sts_stack.token_fn(), sts_stack.assume_role(session=name))
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidParameter.RoleSessionName", 400)


@pytest.mark.parametrize(
    "policy_text",
    [
        "not json",
        '{"Version": "2", "Statement": []}',
        '{"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:PutObject"}]}',
    ],
)
def test_bad_policy(sts_stack: Any, sts_helpers: Any, policy_text: str) -> None:
    err = sts_helpers.error(sts_stack.token_fn(), sts_stack.assume_role(policy=policy_text))
    assert (err.get_error_code(), err.get_http_status()) == ("InvalidParameter.PolicyGrammar", 400)


def test_policy_too_long(sts_stack: Any, sts_helpers: Any) -> None:
    doc = json.loads(upload_policy(sts_stack.bucket, "cam-1"))
    doc["Statement"][0]["Resource"] = [
        f"acs:oss:*:*:{sts_stack.bucket}/videos/cam-{i:04d}/*" for i in range(60)
    ]
    text = json.dumps(doc)
    assert len(text) > 2048
    err = sts_helpers.error(sts_stack.token_fn(), sts_stack.assume_role(policy=text))
    assert err.get_error_code() == "InvalidParameter.PolicyGrammar"
    assert "too long" in err.get_error_msg()


def test_missing_role_arn(sts_stack: Any, sts_helpers: Any) -> None:
    req = sts_stack.assume_role()
    req.get_query_params().pop("RoleArn")
    err = sts_helpers.error(sts_stack.token_fn(), req)
    assert (err.get_error_code(), err.get_http_status()) == ("MissingRoleArn", 400)


def test_concurrent_callers_get_distinct_working_sessions(sts_stack: Any, sts_helpers: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def worker(n: int) -> list[tuple[str, str, str]]:
        client = sts_stack.token_fn()
        out = []
        for i in range(15):
            body = sts_helpers.call(client, sts_stack.assume_role(session=f"cam-{n}-{i}"))
            c = body["Credentials"]
            out.append((c["AccessKeyId"], c["AccessKeySecret"], c["SecurityToken"]))
        return out

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = [item for chunk in pool.map(worker, range(6)) for item in chunk]
    assert len({key for key, _, _ in results}) == 90
    for key, secret, token in results:
        principal = sts_stack.ram.resolve(key, token)
        assert principal.secret == secret
        assert principal.arn.startswith(
            f"acs:ram::{sts_stack.account_id}:assumed-role/vigil-device-upload/cam-"
        )
