"""The fc2 SDK against the invoke API: Sync, Async, errors, timeouts, initializer, credentials."""

from __future__ import annotations

import concurrent.futures
import json
import os
from typing import Any

import fc2
import pytest
import requests
from fc2.fc_exceptions import FcError
from localcloud.fc.instances import FunctionPool

pytestmark = pytest.mark.integration


def _client(fc_stack: Any, **overrides: str) -> fc2.Client:
    ak, secret = fc_stack.ram.operator_key()
    kwargs = {"endpoint": fc_stack.runtime.api_endpoint, "accessKeyID": ak, "accessKeySecret": secret}
    kwargs.update(overrides)
    return fc2.Client(**kwargs)


def _http_event(path: str) -> bytes:
    return json.dumps({"rawPath": path}).encode()


def test_sync_invoke_returns_handler_payload(fc_stack: Any) -> None:
    resp = _client(fc_stack).invoke_function("fcapp", "fcapp-echo", payload=_http_event("/text"))
    assert resp.data == b"plain text"
    assert resp.headers["x-fc-request-id"]
    resp = _client(fc_stack).invoke_function("any-service", "fcapp-echo", payload=_http_event("/status/201"),
                                             headers={"x-fc-log-type": "Tail"})
    assert json.loads(resp.data)["statusCode"] == 201
    assert "x-fc-log-result" in resp.headers


def test_sts_credentials_are_authenticated_then_authorized(fc_stack: Any) -> None:
    """The STS signature is accepted (no InvalidAccessKeyId / SignatureNotMatch), and RAM then decides
    fc:InvokeFunction: the indexer's role has no such permission, so FC refuses it (issue #13, hole 1)."""
    creds = fc_stack.ram.issue_session(fc_stack.ram.role_arn("vigil-indexer-fn"), "caller", 900, None, None,
                                       "fc.aliyuncs.com")
    client = _client(fc_stack, accessKeyID=creds.access_key_id, accessKeySecret=creds.access_key_secret,
                     securityToken=creds.security_token)
    with pytest.raises(FcError) as info:
        client.invoke_function("fcapp", "fcapp-echo", payload=_http_event("/text"))
    assert (info.value.status_code, info.value.err_code) == (403, "AccessDenied")


def test_handler_exception_has_fc_error_shape(fc_stack: Any) -> None:
    ak, secret = fc_stack.ram.operator_key()
    with pytest.raises(FcError) as info:
        _client(fc_stack).invoke_function("fcapp", "fcapp-echo", payload=_http_event("/raise"))
    doc = json.loads(info.value.message)
    assert doc["errorType"] == "RuntimeError"
    assert "boom" in doc["errorMessage"]
    assert any("app.py" in line for line in doc["stackTrace"])


def test_api_errors(fc_stack: Any) -> None:
    with pytest.raises(FcError) as info:
        _client(fc_stack).invoke_function("fcapp", "no-such-function", payload=b"{}")
    assert (info.value.status_code, info.value.err_code) == (404, "FunctionNotFound")
    with pytest.raises(FcError) as info:
        _client(fc_stack, accessKeyID="LTAInope").invoke_function("fcapp", "fcapp-echo", payload=b"{}")
    assert (info.value.status_code, info.value.err_code) == (403, "InvalidAccessKeyId")
    ak, secret = fc_stack.ram.operator_key()
    with pytest.raises(FcError) as info:
        _client(fc_stack, accessKeySecret=secret + "x").invoke_function("fcapp", "fcapp-echo", payload=b"{}")
    assert (info.value.status_code, info.value.err_code) == (403, "SignatureNotMatch")


def test_timeout_kills_and_respawns(fc_stack: Any) -> None:
    client = _client(fc_stack)
    first = client.invoke_function("fcapp", "fcapp-slow", payload=b"0").data
    with pytest.raises(FcError) as info:
        client.invoke_function("fcapp", "fcapp-slow", payload=b"30")
    doc = json.loads(info.value.message)
    assert doc["errorType"] == "FunctionTimeout"
    assert "timed out after 1 seconds" in doc["errorMessage"]
    after = client.invoke_function("fcapp", "fcapp-slow", payload=b"0").data
    assert after.startswith(b"slept ") and after != first  # a new process (new pid)


def test_initializer_runs_once_per_instance(fc_stack: Any) -> None:
    url = fc_stack.runtime.function_urls["fcapp-echo"]

    def call(_: int) -> dict[str, Any]:
        return dict(requests.get(url + "/info", timeout=10).json())

    with concurrent.futures.ThreadPoolExecutor(6) as pool:
        docs = list(pool.map(call, range(24)))
    pids = {d["pid"] for d in docs}
    assert all(d["init_calls"] == 1 for d in docs)
    assert 1 <= len(pids) <= fc_stack.runtime.max_instances
    assert fc_stack.runtime.instances_started("fcapp-echo") >= len(pids)


def test_credentials_belong_to_the_function_role(fc_stack: Any) -> None:
    doc = requests.get(fc_stack.runtime.function_urls["fcapp-echo"] + "/c", timeout=10).json()
    creds = doc["credentials"]
    assert creds["access_key_id"].startswith("STS.")
    assert doc["env_credentials"] == {"access_key_id": creds["access_key_id"],
                                      "security_token": creds["security_token"]}
    principal = fc_stack.ram.resolve(creds["access_key_id"], creds["security_token"])
    assert principal.role_arn == fc_stack.ram.role_arn("vigil-indexer-fn")
    assert principal.secret == creds["access_key_secret"]


def test_async_invoke_goes_through_queue(fc_stack: Any, fc_wait: Any) -> None:
    resp = _client(fc_stack).invoke_function("fcapp", "fcapp-recorder", payload=b'{"async": 1}',
                                             headers={"x-fc-invocation-type": "Async"})
    request_id = resp.headers["x-fc-request-id"]
    rec = fc_wait(lambda: [r for r in fc_stack.records("recorder") if r["request_id"] == request_id],
                      what="async invocation")
    assert json.loads(rec[0]["payload"]) == {"async": 1}


def test_admin_paths_need_the_admin_token(fc_stack: Any) -> None:
    url = fc_stack.runtime.api_endpoint + "/_localcloud/fc/dead-letters"
    assert requests.get(url, timeout=10).status_code == 403
    r = requests.get(url, headers={"X-Localcloud-Admin": fc_stack.admin_token}, timeout=10)
    assert r.status_code == 200 and isinstance(r.json()["deadLetters"], list)
    r = requests.post(url + "/nope/replay", headers={"X-Localcloud-Admin": fc_stack.admin_token}, timeout=10)
    assert r.status_code == 404


def test_credentials_are_refreshed_before_expiry(fc_stack: Any) -> None:
    url = fc_stack.runtime.function_urls["fcapp-echo"] + "/c"
    before = requests.get(url, timeout=10).json()["credentials"]
    fc_stack.clock.advance(3600 - 120)  # inside the refresh window of a one-hour session
    try:
        after = requests.get(url, timeout=10).json()["credentials"]
        assert after["access_key_id"] != before["access_key_id"]
        principal = fc_stack.ram.resolve(after["access_key_id"], after["security_token"])
        assert principal.role_arn == fc_stack.ram.role_arn("vigil-indexer-fn")
        assert principal.expiration > fc_stack.clock.now() + 3000
    finally:
        fc_stack.clock.set_offset(0)


def test_invoke_signed_with_wall_time_still_works_after_the_clock_moves(fc_stack: Any) -> None:
    """The fc2 SDK signs with the wall clock (as inside a function): a Clock moved 16 minutes ahead to expire tokens
    must not make every invoke RequestTimeTooSkewed (OSS and STS accept wall time too); a Date far from both is still
    refused."""
    fc_stack.clock.advance(960)
    try:
        resp = _client(fc_stack).invoke_function("fcapp", "fcapp-echo", payload=_http_event("/text"))
        assert resp.data == b"plain text"
        with pytest.raises(FcError) as info:
            _client(fc_stack).invoke_function("fcapp", "fcapp-echo", payload=_http_event("/text"),
                                              headers={"date": "Tue, 01 Dec 2020 10:00:00 GMT"})
        assert (info.value.status_code, info.value.err_code) == (403, "RequestTimeTooSkewed")
    finally:
        fc_stack.clock.set_offset(0)


def test_a_worker_that_dies_while_starting_is_a_crashed_invocation(fc_stack: Any) -> None:
    """An instance killed (or failing) before it is ready is an invocation outcome, retried by the async queue like
    any crash, not an exception out of the pool: that lost an OSS event in the chaos suite (seed 7), the indexer's
    task left the dispatch queue and the clip was never indexed."""
    live = fc_stack.runtime._pools["fcapp-echo"]
    broken = FunctionPool(live.fn, lambda: {**os.environ, "PYTHONHOME": "/nonexistent"}, live._boot, max_instances=1)
    for attempt in range(2):  # the slot is given back: a second call is answered too, not blocked
        outcome = broken.invoke(f"req-{attempt}", _http_event("/text"), ("ak", "secret", "token"))
        assert (outcome.ok, outcome.kind, (outcome.error or {}).get("errorType")) == \
            (False, "Crashed", "InstanceStartFailed")
        assert "exited while starting" in str((outcome.error or {}).get("errorMessage"))


def test_failing_initializer_blocks_the_handler(fc_stack: Any) -> None:
    client = _client(fc_stack)
    for _ in range(2):  # not marked initialized after a failure: it is tried again
        with pytest.raises(FcError) as info:
            client.invoke_function("fcapp", "fcapp-initfail", payload=_http_event("/text"))
        doc = json.loads(info.value.message)
        assert doc["errorType"] == "OSError" and doc["initializer"] is True
