"""Where alerts keep things: rules, channels, condition state, the outbox and dead letters, under `_system/alerts/`.

No database: each rule and channel is one object; the outbox is one object per pending delivery,
named `outbox/<due ms, 13 digits>-<delivery id>.json` so one listing returns them in due order;
a new delivery is written create-only (`x-oss-forbid-overwrite`), so a tick that runs twice (FC
retries a timer invocation; two instances overlap) queues each delivery once. The condition state
(what is firing, what was told, counters) is one object written by the timer tick only.
"""

from __future__ import annotations

import json
from typing import Any

import oss2

from .etagcache import read_prefix
from .messages import Delivery
from .rules import Channel, Rule, check_channel, check_rule

ROOT = "_system/alerts/"
RULES = ROOT + "rules/"
CHANNELS = ROOT + "channels/"
OUTBOX = ROOT + "outbox/"
DEAD = ROOT + "dead/"
MARKS = ROOT + "marks/"          # create-only markers: activity cool-downs, digests sent
DIGESTS = ROOT + "digests/"      # per-user digest subscriptions
STATE = ROOT + "state.json"
JSON = {"Content-Type": "application/json"}


class NotFound(LookupError):
    status = 404
    code = "not_found"


def _get(bucket: oss2.Bucket, key: str) -> dict[str, Any] | None:
    try:
        doc = json.loads(bucket.get_object(key).read())
    except oss2.exceptions.NoSuchKey:
        return None
    return doc if isinstance(doc, dict) else None


def _put(bucket: oss2.Bucket, key: str, doc: dict[str, Any], *, create_only: bool = False) -> bool:
    """Write `doc`; with `create_only`, False when the key exists already (nothing is changed)."""
    headers = dict(JSON, **({"x-oss-forbid-overwrite": "true"} if create_only else {}))
    try:
        bucket.put_object(key, json.dumps(doc, separators=(",", ":"), sort_keys=True), headers=headers)
    except oss2.exceptions.OssError as exc:
        if create_only and getattr(exc, "code", "") == "FileAlreadyExists":
            return False
        raise
    return True


def _keys(bucket: oss2.Bucket, prefix: str) -> list[str]:
    return [o.key for o in oss2.ObjectIteratorV2(bucket, prefix=prefix)]


def mark(bucket: oss2.Bucket, name: str, owner: str = "") -> bool:
    """Create the marker `marks/<name>` once: True for the one caller that created it — or, with an
    `owner`, for a retry by that same owner (an invocation FC retries after it died past this point)."""
    try:
        bucket.put_object(MARKS + name, owner.encode(), headers={"x-oss-forbid-overwrite": "true"})
    except oss2.exceptions.OssError as exc:
        if getattr(exc, "code", "") != "FileAlreadyExists":
            raise
        return bool(owner) and bucket.get_object(MARKS + name).read() == owner.encode()
    return True


def _subscription(body: bytes) -> dict[str, Any]:
    doc = json.loads(body)
    if not isinstance(doc, dict):
        raise ValueError("a digest subscription is a JSON object")
    return doc


class AlertStore:
    """Rules, channels, digests, state, outbox and dead letters of one bucket."""

    def __init__(self, bucket: oss2.Bucket) -> None:
        self.bucket = bucket

    # -- rules and channels ----------------------------------------------------------------------
    def rules(self) -> list[Rule]:
        """Every stored rule (one LIST; a GET only for a rule that changed); one that no longer passes
        the checks is skipped."""
        return sorted(read_prefix(self.bucket, RULES, lambda b: check_rule(json.loads(b))).values(),
                      key=lambda r: r.id)

    def rule(self, rule_id: str) -> Rule:
        doc = _get(self.bucket, f"{RULES}{rule_id}.json")
        if doc is None:
            raise NotFound(f"no such rule: {rule_id}")
        return check_rule(doc)

    def save_rule(self, rule: Rule, *, create: bool = False) -> bool:
        return _put(self.bucket, f"{RULES}{rule.id}.json", rule.to_doc(), create_only=create)

    def delete_rule(self, rule_id: str) -> None:
        self.rule(rule_id)
        self.bucket.delete_object(f"{RULES}{rule_id}.json")

    def channels(self) -> dict[str, Channel]:
        found = read_prefix(self.bucket, CHANNELS, lambda b: check_channel(json.loads(b)))
        return {ch.id: ch for ch in found.values()}

    def channel(self, channel_id: str) -> Channel:
        doc = _get(self.bucket, f"{CHANNELS}{channel_id}.json")
        if doc is None:
            raise NotFound(f"no such channel: {channel_id}")
        return check_channel(doc)

    def save_channel(self, channel: Channel, *, create: bool = False) -> bool:
        return _put(self.bucket, f"{CHANNELS}{channel.id}.json", channel.to_doc(), create_only=create)

    def delete_channel(self, channel_id: str) -> None:
        self.channel(channel_id)
        self.bucket.delete_object(f"{CHANNELS}{channel_id}.json")

    # -- digests ---------------------------------------------------------------------------------
    def digest(self, user: str) -> dict[str, Any] | None:
        return _get(self.bucket, f"{DIGESTS}{user}.json")

    def digests(self) -> list[dict[str, Any]]:
        """Every subscription (one LIST; a GET only for one that changed, as rules and channels: each
        tick used to GET every subscription again)."""
        return [d for _, d in sorted(read_prefix(self.bucket, DIGESTS, _subscription).items()) if d]

    def save_digest(self, user: str, doc: dict[str, Any]) -> None:
        _put(self.bucket, f"{DIGESTS}{user}.json", doc)

    def delete_digest(self, user: str) -> None:
        self.bucket.delete_object(f"{DIGESTS}{user}.json")

    # -- condition state (the timer tick's alone) ------------------------------------------------
    def state(self) -> dict[str, Any]:
        return _get(self.bucket, STATE) or {"last_tick_ms": 0, "conditions": {}, "told": {}, "counters": {}}

    def save_state(self, state: dict[str, Any]) -> None:
        _put(self.bucket, STATE, state)

    # -- outbox ----------------------------------------------------------------------------------
    @staticmethod
    def outbox_key(delivery: Delivery) -> str:
        return f"{OUTBOX}{max(0, delivery.next_ms):013d}-{delivery.id}.json"

    def enqueue(self, delivery: Delivery) -> bool:
        """Queue a new delivery once (create-only); False when it is queued already."""
        return _put(self.bucket, self.outbox_key(delivery), delivery.to_doc(), create_only=True)

    def due(self, now_ms: int, limit: int = 100) -> list[tuple[str, Delivery]]:
        """Pending deliveries due at `now_ms`, oldest due first (the listing is in due order)."""
        out: list[tuple[str, Delivery]] = []
        for info in oss2.ObjectIteratorV2(self.bucket, prefix=OUTBOX):
            name = info.key[len(OUTBOX):]
            if int(name[:13]) > now_ms or len(out) >= limit:
                break
            doc = _get(self.bucket, info.key)
            if doc is not None:
                out.append((info.key, Delivery.from_doc(doc)))
        return out

    def pending(self) -> list[Delivery]:
        return [Delivery.from_doc(d) for d in (_get(self.bucket, k) for k in _keys(self.bucket, OUTBOX)) if d]

    def reschedule(self, key: str, delivery: Delivery) -> None:
        """Move a delivery to its new due time: the new object first, then the old one goes."""
        new_key = self.outbox_key(delivery)
        _put(self.bucket, new_key, delivery.to_doc())
        if new_key != key:
            self.bucket.delete_object(key)

    def done(self, key: str) -> None:
        self.bucket.delete_object(key)

    # -- dead letters ----------------------------------------------------------------------------
    def bury(self, key: str, delivery: Delivery, dead_ms: int) -> None:
        doc = dict(delivery.to_doc(), dead_ms=dead_ms)
        _put(self.bucket, f"{DEAD}{delivery.id}.json", doc)
        self.bucket.delete_object(key)

    def dead_letters(self) -> list[dict[str, Any]]:
        docs = [d for d in (_get(self.bucket, k) for k in _keys(self.bucket, DEAD)) if d]
        return sorted(docs, key=lambda d: -int(d.get("dead_ms", 0)))

    def resend(self, delivery_id: str, now_ms: int) -> Delivery:
        """Queue a dead letter again, due now, with fresh attempts and the same delivery id."""
        key = f"{DEAD}{delivery_id}.json"
        doc = _get(self.bucket, key)
        if doc is None:
            raise NotFound(f"no such dead letter: {delivery_id}")
        delivery = Delivery.from_doc(doc)
        delivery.attempts, delivery.next_ms = 0, now_ms
        _put(self.bucket, self.outbox_key(delivery), delivery.to_doc())
        self.bucket.delete_object(key)
        return delivery
