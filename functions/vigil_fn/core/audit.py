"""The audit trail: one JSON line per event, appended to `_system/audit/<YYYY-MM-DD>.jsonl`.

One log for everyone who changes Vigil: the api function (a viewer or admin, by user name) and the
operator CLI (`vigil devices`, `vigil users`, `vigil bucket setup`, `vigil clips delete`, by the
operator's RAM identity) write here, so the audit list shows both (security round three, item 11:
before, operator actions left no trace). It lives in core for that reason: the CLI imports it
without the api.

AppendObject takes the expected length as `position` and refuses with `PositionNotEqualToLength`
when another instance appended first, so concurrent writers retry at the returned position and
none overwrites another (the same compare-and-append the index log relies on). Entries hold who,
what, when, from where and the request id — never a password, cookie, token or device secret:
`record` accepts only those fields, and `detail` is a short text the caller builds from non-secret facts.
"""

from __future__ import annotations

import json
import time
from datetime import date, datetime, timezone
from typing import Annotated

import oss2
from pydantic import BaseModel, ConfigDict, Field
from vigil_camera.keys import SYSTEM

from .appendlog import append
from .logging import get_logger

AUDIT_PREFIX = f"{SYSTEM}audit/"
MAX_DETAIL = 300

log = get_logger("vigil.audit")


class AuditEntry(BaseModel):
    """Who (`user`: a viewer's name, or the operator's RAM ARN), what (`action`, `target`, `ok`,
    `detail`), when (`time`), from where (`client`) and which request. Also the api's response model
    for an entry (`GET /api/v1/audit`): the stored line and the answer are one shape."""

    model_config = ConfigDict(extra="forbid")

    time: Annotated[int, Field(description="milliseconds since the Unix epoch, UTC")]
    user: str | None
    action: str
    target: str | None
    client: str | None
    request_id: str | None
    ok: bool
    detail: str | None = None


def day_of(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).date()


def audit_key(day: date) -> str:
    return f"{AUDIT_PREFIX}{day.isoformat()}.jsonl"


class AuditLog:
    def __init__(self, bucket: oss2.Bucket) -> None:
        self.bucket = bucket

    def record(self, action: str, *, user: str | None, target: str | None, client: str | None,
               request_id: str | None, ok: bool, detail: str | None = None, now_ms: int | None = None) -> AuditEntry:
        entry = AuditEntry(time=now_ms if now_ms is not None else int(time.time() * 1000), user=user,
                           action=action, target=target, client=client, request_id=request_id, ok=ok,
                           detail=(detail or None) and str(detail)[:MAX_DETAIL])
        line = json.dumps(entry.model_dump(mode="json"), sort_keys=True) + "\n"
        append(self.bucket, audit_key(day_of(entry.time)), line.encode())
        return entry

    def days(self) -> list[date]:
        """Days that have an audit file, newest first."""
        found = []
        for info in oss2.ObjectIteratorV2(self.bucket, prefix=AUDIT_PREFIX):
            name = info.key[len(AUDIT_PREFIX):]
            if name.endswith(".jsonl"):
                try:
                    found.append(date.fromisoformat(name[:-6]))
                except ValueError:
                    continue
        return sorted(found, reverse=True)

    def read_day(self, day: date) -> list[AuditEntry]:
        try:
            data = self.bucket.get_object(audit_key(day)).read()
        except oss2.exceptions.NoSuchKey:
            return []
        out = []
        for line in data.splitlines():
            try:
                out.append(AuditEntry.model_validate_json(line))
            except ValueError:
                continue  # a torn line never hides the others
        return out

    def page(self, limit: int, before: int | None) -> tuple[list[AuditEntry], int | None]:
        """Newest first, strictly older than `before`; `next` is the cursor for the page after."""
        cutoff = before if before is not None else 2**62
        out: list[AuditEntry] = []
        cutoff_day = day_of(min(cutoff, 253_402_300_799_999))
        days = self.days()
        for day in days:
            if day > cutoff_day:
                continue
            entries = [e for e in self.read_day(day) if e.time < cutoff]
            entries.sort(key=lambda e: e.time, reverse=True)
            out.extend(entries)
            if len(out) >= limit:
                break
        out.sort(key=lambda e: e.time, reverse=True)
        page = out[:limit]
        more = bool(page) and (len(out) > limit or any(d < day_of(page[-1].time) for d in days))
        return page, (page[-1].time if more else None)
