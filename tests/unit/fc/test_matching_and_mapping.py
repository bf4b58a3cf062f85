"""Pure parts of the runtime: OSS event matching, HTTP event/response mapping, FC signatures,
worker frames, worker environment."""

from __future__ import annotations

import base64
import email.utils
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from fc2.auth import Auth
from localcloud.fc import fc_auth, oss_trigger
from localcloud.fc.http_trigger import build_event, map_response
from localcloud.fc.instances import worker_env
from localcloud.fc.protocol import ChannelClosed, read_frame, write_frame
from localcloud.fc.spec import FunctionSpec, OssTrigger

pytestmark = pytest.mark.unit


def _record(name: str, key: str, bucket: str = "b") -> dict[str, Any]:
    return {"eventName": name, "oss": {"bucket": {"name": bucket}, "object": {"key": key}}}


@pytest.mark.parametrize(
    "pattern, name, expected",
    [
        ("oss:ObjectCreated:PutObject", "ObjectCreated:PutObject", True),
        ("oss:ObjectCreated:PutObject", "ObjectCreated:PostObject", False),
        ("oss:ObjectCreated:*", "ObjectCreated:CompleteMultipartUpload", True),
        ("oss:ObjectCreated:*", "ObjectRemoved:DeleteObject", False),
        ("ObjectRemoved:DeleteObject", "ObjectRemoved:DeleteObject", True),
    ],
)
def test_event_matches(pattern: str, name: str, expected: bool) -> None:
    assert oss_trigger.event_matches(pattern, name) is expected


def test_trigger_filters() -> None:
    trig = OssTrigger("t", ("oss:ObjectCreated:*",), "videos/", ".ts", "b")
    assert oss_trigger.trigger_matches(trig, _record("ObjectCreated:PutObject", "videos/a.ts"))
    assert not oss_trigger.trigger_matches(trig, _record("ObjectCreated:PutObject", "videos/a.mp4"))
    assert not oss_trigger.trigger_matches(trig, _record("ObjectCreated:PutObject", "live/a.ts"))
    assert not oss_trigger.trigger_matches(trig, _record("ObjectCreated:PutObject", "videos/a.ts", "other"))
    assert not oss_trigger.trigger_matches(trig, _record("ObjectRemoved:DeleteObject", "videos/a.ts"))


def _fn(**kw: Any) -> FunctionSpec:
    base: dict[str, Any] = dict(
        resource="r",
        name="f",
        handler="app.h",
        code_dir=Path("/srv/code"),
        runtime="python3.10",
        memory_mb=128,
        timeout_s=3,
        role=None,
        env={},
        instance_concurrency=1,
        initializer=None,
        initializer_timeout_s=3,
        max_async_retries=3,
        on_failure=None,
    )
    base.update(kw)
    return FunctionSpec(**base)


def test_every_matching_trigger_is_one_invocation() -> None:
    fn = _fn(
        oss_triggers=(
            OssTrigger("a", ("oss:ObjectCreated:*",), "", "", None),
            OssTrigger("b", ("oss:ObjectCreated:PutObject",), "v/", "", None),
            OssTrigger("c", ("oss:ObjectRemoved:*",), "", "", None),
        )
    )
    record = _record("ObjectCreated:PutObject", "v/x")
    assert [t.name for t in oss_trigger.matching(fn, record)] == ["a", "b"]
    assert json.loads(oss_trigger.event_payload(record)) == {"events": [record]}


def test_build_event_fields() -> None:
    event = build_event(
        "GET",
        "/a%2Fb/c?x=1&x=2&y",
        [("Host", "h.example:9"), ("Accept", "a"), ("Accept", "b"), ("User-Agent", "ua")],
        b"",
        source_ip="127.0.0.1",
        account_id="1",
        request_id="R",
        now=1700000000.5,
    )
    assert event["rawPath"] == "/a%2Fb/c"
    assert event["requestContext"]["http"]["path"] == "/a/b/c"
    assert event["queryParameters"] == {"x": "1,2", "y": ""}
    assert event["headers"]["Accept"] == "a,b"
    assert event["requestContext"]["timeEpoch"] == "1700000000500"
    assert event["requestContext"]["time"] == "2023-11-14T22:13:20Z"
    assert event["requestContext"]["domainPrefix"] == "h"
    assert event["body"] == "" and event["isBase64Encoded"] is True


def test_build_event_text_vs_binary() -> None:
    text = build_event(
        "POST",
        "/",
        [("Content-Type", "application/json; charset=utf-8")],
        '{"é":1}'.encode(),
        source_ip="",
        account_id="",
        request_id="",
        now=0,
    )
    assert text["isBase64Encoded"] is False and text["body"] == '{"é":1}'
    invalid = build_event(
        "POST",
        "/",
        [("Content-Type", "text/plain")],
        b"\xff\xfe",
        source_ip="",
        account_id="",
        request_id="",
        now=0,
    )
    assert invalid["isBase64Encoded"] is True and base64.b64decode(invalid["body"]) == b"\xff\xfe"


def test_map_response() -> None:
    assert map_response(
        {
            "statusCode": 201,
            "headers": {"A": "1", "Set-Cookie": ["x=1", "y=2"], "Content-Length": "999"},
            "body": "hi",
        }
    ) == (201, [("A", "1"), ("Set-Cookie", "x=1"), ("Set-Cookie", "y=2")], b"hi")
    assert (
        map_response(
            {"statusCode": 200, "isBase64Encoded": True, "body": base64.b64encode(b"\x00").decode()}
        )[2]
        == b"\x00"
    )
    assert map_response({"k": 1}) == (200, [], b'{"k":1}')
    assert map_response("s") == (200, [], b"s")
    assert map_response(b"b") == (200, [], b"b")
    assert map_response(None) == (200, [], b"")


@pytest.mark.parametrize("query", [None, {}, {"b": "2", "a": "1"}])
def test_fc_signature_matches_fc2_sdk(query: dict[str, str] | None) -> None:
    headers = {
        "date": email.utils.formatdate(usegmt=True),
        "content-type": "application/json",
        "x-fc-invocation-type": "Sync",
        "x-fc-security-token": "tok",
    }
    sdk = Auth("AK", "SECRET", "tok").sign_request("POST", "/p/q", headers, query)
    ours = fc_auth.resources("/p/q", sorted((query or {}).items()))
    if query is None:
        assert f"FC AK:{fc_auth.sign('SECRET', 'POST', headers, ours[-1])}" == sdk
    else:
        assert f"FC AK:{fc_auth.sign('SECRET', 'POST', headers, ours[0])}" == sdk


def test_frames_round_trip_and_close() -> None:
    r, w = os.pipe()
    payload = ("invoke", "rid", bytes(range(256)) * 1000, ("a", "b", "c"))
    writer = threading.Thread(target=write_frame, args=(w, payload))  # larger than a pipe buffer
    writer.start()
    assert read_frame(r) == payload
    writer.join()
    os.close(w)
    with pytest.raises(ChannelClosed):
        read_frame(r)
    os.close(r)


def test_worker_env_maps_code_pythonpath() -> None:
    fn = _fn(env={"PYTHONPATH": "/code/python:/opt/x", "K": "v"}, region="cn-x")
    env = worker_env({"PYTHONPATH": "/inherited", "HOME": "/h"}, fn)
    assert env["PYTHONPATH"] == "/srv/code/python:/opt/x:/inherited"
    assert env["K"] == "v" and env["HOME"] == "/h" and env["FC_FUNCTION_NAME"] == "f"
