"""OSS triggers: which outbox records fire which trigger, and the subscription feeding the queue.

A trigger fires when the record's event name is in `triggerConfig.events` (`oss:` prefix,
`oss:ObjectCreated:*` wildcards), its key starts with `filter.key.prefix` and ends with
`filter.key.suffix`, and its bucket is the one in the trigger's `sourceArn`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from localcloud.fc.spec import FunctionSpec, OssTrigger


def event_matches(pattern: str, event_name: str) -> bool:
    """`oss:ObjectCreated:PutObject` / `oss:ObjectCreated:*` against `ObjectCreated:PutObject`."""
    pattern = pattern[4:] if pattern.startswith("oss:") else pattern
    if pattern.endswith(":*"):
        return event_name.startswith(pattern[:-1])
    return pattern == event_name


def trigger_matches(trigger: OssTrigger, record: dict[str, Any]) -> bool:
    oss = record.get("oss") or {}
    key = str((oss.get("object") or {}).get("key", ""))
    bucket = (oss.get("bucket") or {}).get("name")
    if trigger.bucket is not None and bucket != trigger.bucket:
        return False
    if not key.startswith(trigger.prefix) or not key.endswith(trigger.suffix):
        return False
    return any(event_matches(p, str(record.get("eventName", ""))) for p in trigger.events)


def event_payload(record: dict[str, Any]) -> bytes:
    """The bytes FC hands an OSS-triggered function: `{"events": [record]}`."""
    return json.dumps({"events": [record]}, separators=(",", ":")).encode()


Enqueue = Callable[[str, bytes, str], Any]


def subscriber(fn: FunctionSpec, enqueue: Enqueue) -> Callable[[dict[str, Any]], None]:
    """The outbox handler of one function: enqueue once per matching trigger (as OSS does)."""

    def handle(record: dict[str, Any]) -> None:
        for trigger in fn.oss_triggers:
            if trigger_matches(trigger, record):
                enqueue(fn.name, event_payload(record), f"oss:{trigger.name}")

    return handle


def subscription_name(fn: FunctionSpec) -> str:
    return f"fc-{fn.name}"
