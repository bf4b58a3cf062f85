"""OSS event records, parsed at the edge: the bytes FC delivers → typed records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from . import safejson


class EventError(ValueError):
    """The payload is not an OSS trigger event."""


@dataclass(frozen=True)
class OssEventRecord:
    event_name: str        # e.g. "ObjectCreated:PutObject"
    bucket: str
    key: str
    size: int
    etag: str              # upper-case hex, no quotes ("" when the event has none)
    event_time_ms: int     # unix ms
    request_id: str

    @property
    def is_create(self) -> bool:
        return self.event_name.startswith("ObjectCreated:")

    @property
    def is_remove(self) -> bool:
        return self.event_name.startswith("ObjectRemoved:")


def _event_time_ms(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise EventError(f"bad eventTime {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return int(moment.timestamp() * 1000)


def _record(raw: Any) -> OssEventRecord:
    try:
        oss = raw["oss"]
        obj = oss["object"]
        # The key exactly as OSS stored it: the trigger delivers it raw, and decoding it here would
        # let a junk object named `%30%32...Z-18.ts` pose as the clip `020...Z-18.ts` (issue #13).
        # Vigil's own keys never hold `%`, `+` or spaces, so nothing legitimate needs decoding.
        key = obj["key"]
        if not isinstance(key, str):
            raise TypeError("oss.object.key must be a string")
        return OssEventRecord(
            event_name=str(raw["eventName"]),
            bucket=str(oss["bucket"]["name"]),
            key=str(key),
            size=int(obj.get("size") or 0),
            etag=str(obj.get("eTag") or "").strip('"').upper(),
            event_time_ms=_event_time_ms(str(raw.get("eventTime") or "1970-01-01T00:00:00Z")),
            request_id=str((raw.get("responseElements") or {}).get("requestId") or ""),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise EventError(f"not an OSS event record: {exc}") from exc


def parse_oss_event(payload: bytes | str | dict[str, Any]) -> list[OssEventRecord]:
    """`{"events": [...]}` (bytes, text or already decoded) → records."""
    if isinstance(payload, (bytes, str)):
        try:
            payload = safejson.loads(payload)
        except ValueError as exc:
            raise EventError(f"event payload is not acceptable JSON ({exc})") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise EventError('event payload has no "events" list')
    return [_record(raw) for raw in payload["events"]]
