"""Lifecycle rules: validation of the parsed config and the decision "is this due now?".

Config dict (what the HTTP layer parses `<LifecycleConfiguration>` into)::

    {"rules": [{"id": str, "prefix": str, "status": "Enabled" | "Disabled",
                "expiration": {"days": int} | {"created_before_date": "YYYY-MM-DD[THH:MM:SS.000Z]"}
                              | {"date": ...} | None,
                "transitions": [{"days" | "created_before_date": ..., "storage_class": "IA" | ...}],
                "abort_multipart_upload": {"days": int} | {"created_before_date": ...} | None,
                "tags": [[key, value]], "not": {"prefix": str, "tag": [key, value] | None} | None,
                "size_greater_than": int | None, "size_less_than": int | None}]}

Timing (deliberately simpler than real OSS, documented): an object expires when
`last_modified + days*86400 <= clock.now()` — exact seconds, where real OSS rounds the object's
time up to the next midnight (UTC+8) before counting days. `created_before_date` expires objects
whose last_modified is before that instant (UTC). AbortMultipartUpload uses the upload's
initiation time the same way. An expiration is a delete that sends no event: real OSS's event
notifications name no lifecycle expiration (ObjectRemoved:DeleteObject/DeleteObjects are the
DeleteObject/DeleteMultipleObjects requests), so nothing downstream hears of it.

`sweep` applies the enabled rules of every bucket (the store runs it on a timer).
"""

from __future__ import annotations

import calendar
import re
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import InvalidArgument, OSSError
from . import tags as tag_rules
from .types import Caller, ObjectInfo

if TYPE_CHECKING:
    from .writer import BucketState, Writer

MAX_RULES = 1000
_DATE_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z?)?$")


def _bad(message: str, name: str = "LifecycleConfiguration", value: object = "") -> OSSError:
    """400 InvalidArgument naming the element at fault (the whole document when no one element is)."""
    return InvalidArgument(message, name, value)


def parse_date(value: str) -> float:
    """`YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS.000Z` (UTC) → unix seconds; raises InvalidArgument."""
    m = _DATE_RE.match(value.strip())
    if not m:
        raise _bad(f"The date {value!r} is not an ISO 8601 date.", "CreatedBeforeDate", value)
    y, mo, d, hh, mm, ss = (int(g) if g else 0 for g in m.groups())
    try:
        return float(calendar.timegm((y, mo, d, hh, mm, ss, 0, 0, 0)))
    except (ValueError, OverflowError) as exc:
        raise _bad(f"The date {value!r} is not a valid date.", "CreatedBeforeDate", value) from exc


_KINDS = ("days", "created_before_date", "date")
TRANSITION_CLASSES = ("IA", "Archive", "ColdArchive", "DeepColdArchive")
CLASS_ORDER = {"Standard": 0, "IA": 1, "Archive": 2, "ColdArchive": 3, "DeepColdArchive": 4}


def _malformed() -> OSSError:
    return OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)


def _action(value: Any, name: str, allow_date: bool = False) -> dict[str, Any] | None:
    """{"days": n} | {"created_before_date": d} | {"date": d} (Expiration only), checked."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _malformed()
    given = [k for k in _KINDS if value.get(k) is not None and value.get(k) != ""]
    if len(given) != 1 or (given[0] == "date" and not allow_date):
        allowed = "Days, CreatedBeforeDate or Date" if allow_date else "Days or CreatedBeforeDate"
        raise _bad(f"{name} needs exactly one of {allowed}.")
    kind = given[0]
    if kind == "days":
        try:
            days = int(value["days"])
        except (TypeError, ValueError) as exc:
            raise _bad(f"{name} Days must be a positive integer.", "Days", value.get("days")) from exc
        if days < 1:
            raise _bad(f"{name} Days must be a positive integer.", "Days", days)
        return {"days": days}
    date = str(value[kind])
    parse_date(date)
    return {kind: date}


def _tags(raw: Any, where: str) -> list[list[str]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _malformed()
    pairs = [[str(k), str(v)] for k, v in raw]
    if len({k for k, _ in pairs}) != len(pairs):
        raise _bad(f"{where} repeats a tag key.", "Tag")
    # each Tag follows the object-tag rules (what it is matched against); OSS sets no count limit here
    tag_rules.validate_tag_pairs(tuple((k, v) for k, v in pairs))
    return pairs


def _transitions(raw: Any, expiration: dict[str, Any] | None) -> list[dict[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _malformed()
    out = []
    for item in raw:
        if not isinstance(item, dict):
            raise _malformed()
        cls = item.get("storage_class")
        if cls not in TRANSITION_CLASSES:
            raise _bad(f"Transition StorageClass must be one of {', '.join(TRANSITION_CLASSES)}.", "StorageClass", cls)
        action = _action(item, "Transition")
        assert action is not None
        out.append(dict(action, storage_class=cls))
    if len({"days" in t for t in out}) > 1:
        raise _bad("The Transitions of a rule use either Days or CreatedBeforeDate, not both.", "Transition")
    classes = [t["storage_class"] for t in out]
    if len(set(classes)) != len(classes):
        raise _bad("A rule transitions to each storage class at most once.")
    by_days = sorted((t for t in out if "days" in t), key=lambda t: CLASS_ORDER[t["storage_class"]])
    for colder, warmer in zip(by_days[1:], by_days, strict=False):
        if colder["days"] <= warmer["days"]:
            raise _bad(f"Transition to {colder['storage_class']} must come after the transition to "
                       f"{warmer['storage_class']} (Days {colder['days']} <= {warmer['days']}).")
    if expiration and "days" in expiration:
        for t in by_days:
            if t["days"] >= expiration["days"]:
                raise _bad(f"Transition Days ({t['days']}) must be less than Expiration Days "
                           f"({expiration['days']}).")
    return out


def _not(raw: Any, prefix: str) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise _malformed()
    not_prefix = str(raw.get("prefix") or "")
    if not not_prefix.startswith(prefix) or (not_prefix == prefix and not raw.get("tag")):
        raise _bad("The Prefix in Not must start with the rule's Prefix and be longer, or carry a Tag.")
    tag = raw.get("tag")
    if tag is not None and (not isinstance(tag, (list, tuple)) or len(tag) != 2):
        raise _malformed()
    return {"prefix": not_prefix, "tag": [str(tag[0]), str(tag[1])] if tag else None}


def _size(raw: Any, name: str) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise _bad(f"{name} must be an integer.", name, raw) from exc
    if value < 0:
        raise _bad(f"{name} must not be negative.", name, value)
    return value


def _overlapping(a: dict[str, Any], b: dict[str, Any]) -> bool:
    return bool(a["prefix"].startswith(b["prefix"]) or b["prefix"].startswith(a["prefix"]))


def _check_time_kinds(rules: list[dict[str, Any]]) -> None:
    """Rules whose prefixes overlap time their Transitions the same way (all Days or all
    CreatedBeforeDate; OSS EC 0014-00000080), whatever the overlap header says."""
    for i, a in enumerate(rules):
        for b in rules[i + 1:]:
            kinds = {"days" in t for t in (a.get("transitions") or []) + (b.get("transitions") or [])}
            if len(kinds) > 1 and _overlapping(a, b):
                raise _bad("Rules with overlapping prefixes must all use Days or all use CreatedBeforeDate "
                           "in their Transitions.", "Transition")


def _check_overlap(rules: list[dict[str, Any]]) -> None:
    """OSS refuses two rules with the same action whose prefixes overlap (one starts with the
    other) unless the request carried `x-oss-allow-same-action-overlap: true`."""
    actions = ("expiration", "transitions", "abort_multipart_upload")
    for i, a in enumerate(rules):
        for b in rules[i + 1:]:
            if not _overlapping(a, b):
                continue
            for action in actions:
                if a.get(action) and b.get(action):
                    name = {"expiration": "Expiration", "transitions": "Transition",
                            "abort_multipart_upload": "AbortMultipartUpload"}[action]
                    raise _bad(f"Overlap for same action type {name}.")


def validate(doc: dict[str, Any]) -> dict[str, Any]:
    """Normalise and check a parsed lifecycle config; raises InvalidArgument / MalformedXML.

    `allow_same_action_overlap` (from the request header) is read, not stored."""
    rules = doc.get("rules")
    if not isinstance(rules, list) or not rules:
        raise _malformed()
    if len(rules) > MAX_RULES:
        raise _bad(f"A lifecycle config holds at most {MAX_RULES} rules.")
    out = []
    seen: set[str] = set()
    for rule in rules:
        if not isinstance(rule, dict):
            raise _malformed()
        rid = str(rule.get("id") or uuid.uuid4())
        if rid in seen:
            raise _bad(f"Duplicate rule id {rid!r}.", "ID", rid)
        seen.add(rid)
        status = rule.get("status")
        if status not in ("Enabled", "Disabled"):
            raise _bad("Status must be Enabled or Disabled.", "Status", status)
        prefix = str(rule.get("prefix") or "")
        expiration = _action(rule.get("expiration"), "Expiration", allow_date=True)
        abort = _action(rule.get("abort_multipart_upload"), "AbortMultipartUpload")
        if abort is not None and "date" in abort:
            raise _bad("AbortMultipartUpload needs Days or CreatedBeforeDate.")
        transitions = _transitions(rule.get("transitions"), expiration)
        if expiration is None and abort is None and not transitions:
            raise _bad("A rule needs Expiration, Transition or AbortMultipartUpload.")
        tags = _tags(rule.get("tags"), "A rule")
        if tags and abort is not None:
            raise _bad("A rule with Tag cannot carry AbortMultipartUpload.")
        larger = _size(rule.get("size_greater_than"), "ObjectSizeGreaterThan")
        smaller = _size(rule.get("size_less_than"), "ObjectSizeLessThan")
        if larger is not None and smaller is not None and smaller <= larger:
            raise _bad("ObjectSizeLessThan must be greater than ObjectSizeGreaterThan.")
        out.append({"id": rid, "prefix": prefix, "status": status, "expiration": expiration,
                    "abort_multipart_upload": abort, "transitions": transitions, "tags": tags,
                    "not": _not(rule.get("not"), prefix), "size_greater_than": larger,
                    "size_less_than": smaller})
    _check_time_kinds(out)
    if not doc.get("allow_same_action_overlap"):
        _check_overlap(out)
    return {"rules": out}


def is_due(action: dict[str, Any] | None, since: float, now: float) -> bool:
    """Does this Expiration / Transition / AbortMultipartUpload apply to a thing dated `since`?

    Days: `since + days` has passed; CreatedBeforeDate: dated before it; Date: that date has come
    (everything matching, whatever its age)."""
    if action is None:
        return False
    if "days" in action:
        return since + int(action["days"]) * 86400 <= now
    if "date" in action:
        return now >= parse_date(str(action["date"]))
    return since < parse_date(str(action["created_before_date"]))


def matches(rule: dict[str, Any], key: str, size: int, tags: tuple[tuple[str, str], ...]) -> bool:
    """Is an object in a rule's scope: prefix, every rule Tag, size bounds, and not its Not."""
    if not key.startswith(rule.get("prefix", "")):
        return False
    have = dict(tags)
    if any(have.get(k) != v for k, v in rule.get("tags") or ()):
        return False
    larger, smaller = rule.get("size_greater_than"), rule.get("size_less_than")
    if (larger is not None and size <= larger) or (smaller is not None and size >= smaller):
        return False
    excluded = rule.get("not")
    if excluded and key.startswith(excluded["prefix"]):
        tag = excluded.get("tag")
        if tag is None or have.get(tag[0]) == tag[1]:
            return False
    return True


def due_transition(rule: dict[str, Any], current_class: str, since: float, now: float) -> str | None:
    """The coldest storage class a due Transition of `rule` moves an object to, if colder than now."""
    best: str | None = None
    for t in rule.get("transitions") or ():
        if is_due(t, since, now) and CLASS_ORDER[t["storage_class"]] > CLASS_ORDER.get(current_class, 0):
            if best is None or CLASS_ORDER[t["storage_class"]] > CLASS_ORDER[best]:
                best = t["storage_class"]
    return best


def active_rules(config: dict[str, Any] | None) -> list[dict[str, Any]]:
    if not config:
        return []
    return [r for r in config.get("rules", []) if r.get("status") == "Enabled"]


# -- the sweep ---------------------------------------------------------------------------------
_SWEEPER = Caller(principal_id="lifecycle")


def sweep(w: Writer, buckets: Iterable[BucketState], now: float) -> int:
    """Apply every bucket's enabled rules at `now` -> objects expired or transitioned + uploads
    aborted. Expirations send no event (as on OSS); transitions
    change the storage class in place (data, ETag and Last-Modified stay)."""
    done = 0
    for b in buckets:
        for rule in active_rules(b.configs.get("lifecycle")):
            done += sum(_apply_to_object(w, b, rule, info, now) for info in b.index.snapshot(rule["prefix"]))
            done += _abort_uploads(b, rule, now)
    return done


def _apply_to_object(w: Writer, b: BucketState, rule: dict[str, Any], info: ObjectInfo, now: float) -> int:
    """1 when `rule` expired or transitioned `info`, else 0."""
    if not matches(rule, info.key, info.size, info.tags):
        return 0
    expiration = rule.get("expiration")
    if expiration and is_due(expiration, info.last_modified, now):
        def still_due(cur: ObjectInfo) -> bool:  # re-checked under the key lock
            return is_due(expiration, cur.last_modified, now) and matches(rule, cur.key, cur.size, cur.tags)
        gone = w.delete(b, info.key, caller=_SWEEPER, event_name=None, only_if=still_due)
        return int(gone is not None)
    target = due_transition(rule, info.storage_class, info.last_modified, now)
    if target is None or info.object_type == "Symlink":
        return 0
    try:
        w.update(b, info.key, {"storage_class": target})
    except OSSError:
        return 0  # deleted meanwhile
    return 1


def _abort_uploads(b: BucketState, rule: dict[str, Any], now: float) -> int:
    action = rule.get("abort_multipart_upload")
    if not action:
        return 0
    done = 0
    for up in b.uploads.all():
        if up.key.startswith(rule["prefix"]) and is_due(action, up.initiated, now):
            try:
                b.uploads.abort(up.key, up.upload_id)
                done += 1
            except OSSError:
                pass  # completed or aborted meanwhile
    return done
