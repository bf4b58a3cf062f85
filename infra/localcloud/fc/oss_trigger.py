"""OSS triggers: which outbox records fire which trigger, and the subscription feeding the queue.

A trigger fires when the record's event name is in `triggerConfig.events` (`oss:` prefix,
`oss:ObjectCreated:*` wildcards), its key starts with `filter.key.prefix` and ends with
`filter.key.suffix`, and its bucket is the one in the trigger's `sourceArn`. Records come from
the OSS outbox (`read`/`wait_for`), with a cursor per function kept in the FC data folder.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from localcloud.common import logs
from localcloud.fc.spec import FunctionSpec, OssTrigger

log = logs.get("localcloud.fc.oss")


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


def matching(fn: FunctionSpec, record: dict[str, Any]) -> list[OssTrigger]:
    """The triggers of `fn` a record fires; each one is an invocation (as OSS does)."""
    return [t for t in fn.oss_triggers if trigger_matches(t, record)]


EnqueueMany = Callable[[Sequence[tuple[str, bytes, str, "str | None"]]], Any]


class OssPoller:
    """Reads the OSS outbox in batches and queues the matching events of one function.

    Its cursor (`cursor_path`) moves past a batch only after the batch's tasks are durable in the
    async queue, so an event is never lost between the outbox and the queue; one group commit per
    batch keeps up with many concurrent writers (a per-event fsync chain would not).
    """

    BATCH = 256

    def __init__(self, outbox: Any, fn: FunctionSpec, enqueue_many: EnqueueMany, cursor_path: Path) -> None:
        self.outbox = outbox
        self.fn = fn
        self.enqueue_many = enqueue_many
        self.cursor_path = cursor_path
        self.cursor = self._load_cursor()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"fc-oss-{fn.name}", daemon=True)

    def _load_cursor(self) -> int:
        try:
            return int(json.loads(self.cursor_path.read_text())["seq"])
        except (OSError, ValueError, KeyError):
            return 0

    def _save_cursor(self, seq: int) -> None:
        tmp = self.cursor_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seq": seq}))
        os.replace(tmp, self.cursor_path)

    def start(self) -> OssPoller:
        self.cursor_path.parent.mkdir(parents=True, exist_ok=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def poll_once(self) -> int:
        """Queue the next batch; returns how many records were read."""
        batch = self.outbox.read(self.cursor, self.BATCH)
        if not batch:
            return 0
        items = [(self.fn.name, event_payload(record), f"oss:{trigger.name}", None)
                 for _, record in batch for trigger in matching(self.fn, record)]
        if items:
            self.enqueue_many(items)
        self.cursor = batch[-1][0]
        self._save_cursor(self.cursor)
        return len(batch)

    def _run(self) -> None:
        delay = 0.05
        while not self._stop.is_set():
            try:
                if not self.poll_once() and self.outbox.wait_for(self.cursor, 0.5) and not self.poll_once():
                    self._stop.wait(0.05)  # a closed outbox answers wait_for at once
                delay = 0.05
            except Exception:  # noqa: BLE001 - retry the same batch (at least once)
                log.exception("queueing OSS events failed; retrying", extra={"function": self.fn.name})
                self._stop.wait(delay)
                delay = min(delay * 2, 5.0)
