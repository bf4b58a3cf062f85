"""OSS triggers end to end: real oss2 uploads → outbox → durable queue → worker, with filters,
retries, dead letters and replay (through the admin HTTP paths)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.integration


def _events(fc_stack: Any, kind: str = "recorder") -> list[dict[str, Any]]:
    return [json.loads(r["payload"])["events"][0] for r in fc_stack.records(kind)
            if r["payload"].startswith('{"events"')]


def _keys(fc_stack: Any, kind: str = "recorder") -> list[tuple[str, str]]:
    return [(e["eventName"], e["oss"]["object"]["key"]) for e in _events(fc_stack, kind)]


def _outbox_record(fc_stack: Any, key: str, event_name: str) -> dict[str, Any]:
    for _, event in fc_stack.store.outbox.read(0, 100000):
        if event["oss"]["object"]["key"] == key and event["eventName"] == event_name:
            return dict(event)
    raise AssertionError(f"no outbox record for {key}")


def test_upload_fires_function_with_exact_event(fc_stack: Any, fc_wait: Any) -> None:
    key = f"videos/cam-1/{uuid.uuid4().hex}.ts"
    result = fc_stack.bucket().put_object(key, b"clip-bytes")
    recs = fc_wait(lambda: [r for r in fc_stack.records("recorder") if key in r["payload"]], what="event")
    payload = json.loads(recs[0]["payload"])
    assert list(payload) == ["events"] and len(payload["events"]) == 1
    event = payload["events"][0]
    assert event == _outbox_record(fc_stack, key, "ObjectCreated:PutObject")
    assert event["eventSource"] == "acs:oss"
    assert event["oss"]["object"]["eTag"] == result.etag.strip('"')
    assert event["oss"]["object"]["size"] == len(b"clip-bytes")
    assert event["oss"]["bucket"]["name"] == "fcapp-bucket"
    # the invocation ran with the recorder's role credentials
    principal = fc_stack.ram.resolve(recs[0]["access_key_id"], recs[0]["security_token"])
    assert principal.role_arn == fc_stack.ram.role_arn("vigil-indexer-fn")


def test_prefix_suffix_and_event_filters(fc_stack: Any, fc_wait: Any) -> None:
    tag = uuid.uuid4().hex[:8]
    bucket = fc_stack.bucket()
    wanted = f"videos/{tag}/ok.ts"
    bucket.put_object(f"videos/{tag}/wrong-suffix.mp4", b"x")     # suffix mismatch
    bucket.put_object(f"other/{tag}/wrong-prefix.ts", b"x")       # prefix mismatch
    bucket.append_object(f"videos/{tag}/appended.ts", 0, b"x")    # AppendObject not in the clips events
    bucket.put_object(wanted, b"x")                                 # PutObject: fires
    bucket.delete_object(wanted)                                    # DeleteObject: fires
    bucket.append_object(f"any/{tag}/a", 0, b"x")                   # oss:ObjectCreated:* wildcard: fires
    bucket.delete_object(f"any/{tag}/a")                            # ObjectRemoved on the wildcard one: no
    marker = f"videos/{tag}/zz-marker.ts"
    bucket.put_object(marker, b"x")
    expected = sorted([
        ("ObjectCreated:PutObject", wanted),
        ("ObjectRemoved:DeleteObject", wanted),
        ("ObjectCreated:AppendObject", f"any/{tag}/a"),
        ("ObjectCreated:PutObject", marker),
    ])

    def got() -> list[tuple[str, str]]:
        return sorted((name, key) for name, key in _keys(fc_stack) if tag in key)

    # Filtering happens when the outbox is read, in order: once the marker's invocation ran, every
    # earlier record was either queued (and is awaited here) or filtered out for good.
    fc_wait(lambda: set(expected) <= set(got()), what="the matching events")
    assert got() == expected


def test_failing_function_is_retried_dead_lettered_and_replayed(fc_stack: Any, fc_wait: Any) -> None:
    key = f"fail/{uuid.uuid4().hex}"
    fc_stack.bucket().put_object(key, b"x")
    admin = {"X-Localcloud-Admin": fc_stack.admin_token}
    url = fc_stack.runtime.api_endpoint + "/_localcloud/fc/dead-letters"

    def dead() -> list[dict[str, Any]]:
        docs = requests.get(url, params={"function": "fcapp-failing"}, headers=admin, timeout=10).json()
        return [d for d in docs["deadLetters"] if d["payload"]["events"][0]["oss"]["object"]["key"] == key]

    letters = fc_wait(dead, what="dead letter")
    attempts = [r for r in fc_stack.records("failing-attempts") if key in r["payload"]]
    assert len(attempts) == 3  # the first try + maxAsyncRetryAttempts (2)
    letter = letters[0]
    assert letter["attempts"] == 3
    assert letter["destination"] == "acs:mns:cn-hangzhou:1234567890123456:/queues/fcapp-dlq/messages"
    assert letter["errors"][-1]["errorType"] == "ValueError"
    assert fc_stack.runtime.dead_letters("fcapp-failing") and not fc_stack.runtime.dead_letters("fcapp-echo")
    assert fc_stack.runtime.queue.pending("fcapp-failing") == []  # nothing left behind in the queue

    (fc_stack.record_dir / "allow").write_text("yes")
    try:
        r = requests.post(f"{url}/{letter['id']}/replay", headers=admin, timeout=10)
        assert r.status_code == 202
        fc_wait(lambda: [x for x in fc_stack.records("failing-ok") if key in x["payload"]], what="replay")
        assert dead() == []
    finally:
        (fc_stack.record_dir / "allow").unlink()
