"""Lifecycle rules: validation of the parsed config and the decision "is this due now?".

Config dict (what the HTTP layer parses `<LifecycleConfiguration>` into)::

    {"rules": [{"id": str, "prefix": str, "status": "Enabled" | "Disabled",
                "expiration": {"days": int} | {"created_before_date": "YYYY-MM-DD[THH:MM:SS.000Z]"} | None,
                "abort_multipart_upload": {"days": int} | {"created_before_date": ...} | None}]}

Timing (deliberately simpler than real OSS, documented): an object expires when
`last_modified + days*86400 <= clock.now()` — exact seconds, where real OSS rounds the object's
time up to the next midnight (UTC+8) before counting days. `created_before_date` expires objects
whose last_modified is before that instant (UTC). AbortMultipartUpload uses the upload's
initiation time the same way. An expiration is a delete, with the event
`ObjectRemoved:DeleteObject` (real OSS reports lifecycle deletions under that name too).
"""

from __future__ import annotations

import calendar
import re
import uuid
from typing import Any

from ..errors import OSSError

MAX_RULES = 1000
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z?)?$")


def _bad(message: str) -> OSSError:
    return OSSError("InvalidArgument", message, 400)


def parse_date(value: str) -> float:
    """`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS.000Z` (UTC) → unix seconds; raises InvalidArgument."""
    m = _DATE_RE.match(value.strip())
    if not m:
        raise _bad(f"CreatedBeforeDate {value!r} is not an ISO 8601 date.")
    y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
    try:
        return float(calendar.timegm((y, mo, d, hh, mm, ss, 0, 0, 0)))
    except (ValueError, OverflowError) as exc:
        raise _bad(f"CreatedBeforeDate {value!r} is not a valid date.") from exc


def _action(value: Any, name: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
    if "days" in value and value["days"] is not None:
        try:
            days = int(value["days"])
        except (TypeError, ValueError) as exc:
            raise _bad(f"{name} Days must be a positive integer.") from exc
        if days < 1:
            raise _bad(f"{name} Days must be a positive integer.")
        return {"days": days}
    if value.get("created_before_date"):
        date = str(value["created_before_date"])
        parse_date(date)
        return {"created_before_date": date}
    raise _bad(f"{name} needs Days or CreatedBeforeDate.")


def validate(doc: dict[str, Any]) -> dict[str, Any]:
    """Normalise and check a parsed lifecycle config; raises InvalidArgument / MalformedXML."""
    rules = doc.get("rules")
    if not isinstance(rules, list) or not rules:
        raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
    if len(rules) > MAX_RULES:
        raise _bad(f"A lifecycle config holds at most {MAX_RULES} rules.")
    out = []
    seen: set[str] = set()
    for rule in rules:
        if not isinstance(rule, dict):
            raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
        rid = str(rule.get("id") or uuid.uuid4())
        if rid in seen:
            raise _bad(f"Duplicate rule id {rid!r}.")
        seen.add(rid)
        status = rule.get("status")
        if status not in ("Enabled", "Disabled"):
            raise _bad("Status must be Enabled or Disabled.")
        expiration = _action(rule.get("expiration"), "Expiration")
        abort = _action(rule.get("abort_multipart_upload"), "AbortMultipartUpload")
        if expiration is None and abort is None:
            raise _bad("A rule needs Expiration or AbortMultipartUpload.")
        out.append({"id": rid, "prefix": str(rule.get("prefix") or ""), "status": status,
                    "expiration": expiration, "abort_multipart_upload": abort})
    return {"rules": out}


def is_due(action: dict[str, Any] | None, since: float, now: float) -> bool:
    """Does this Expiration / AbortMultipartUpload action apply to a thing dated `since`?"""
    if action is None:
        return False
    if "days" in action:
        return since + int(action["days"]) * 86400 <= now
    return since < parse_date(str(action["created_before_date"]))


def active_rules(config: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not config:
        return []
    return [r for r in config.get("rules", []) if r.get("status") == "Enabled"]
