"""The daily digest: one message per subscribed user, per camera the day's alerts, offline time and storage.

A subscription (`_system/alerts/digests/<user>.json`: `{"user", "channel", "hour", "timezone"}`) is
made by the user in the page or API. At the first tick at or after `hour` in the user's zone, the
digest of the day before is sent once (a create-only marker per user and day decides which tick
does it). Content comes from what is already stored: the day's summaries from the index
(`reader.day_summary`: clips, bytes, gaps) and the deliveries still known (outbox and dead letters
hold what was said; a sent delivery is gone, so the digest counts firing notices from state).
Camera limits of viewers are honoured: a viewer's digest lists only the cameras they may see.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import oss2

from ..core.config import AlertSettings
from ..core.devices import Registry
from ..indexer import reader
from . import wording
from .delivery import Send, attempt, delivery_id
from .messages import Delivery, Notice
from .rules import Channel, Rule
from .store import AlertStore, mark


def _camera_line(bucket: oss2.Bucket, camera: str, day: Any, language: str) -> tuple[str, str]:
    """The camera's day in English (the notice's `detail`) and in the digest's language."""
    s = reader.day_summary(bucket, camera, day)
    gaps = s.get("gaps") or []
    gap_ms = sum(int(g.get("end", 0)) - int(g.get("start", 0)) for g in gaps if isinstance(g, dict)) \
        if isinstance(gaps, list) else 0
    fields = {"clips": int(s.get("clips") or 0), "mb": f"{int(s.get('bytes') or 0) / 1e6:.1f}",
              "recorded": int(s.get("recorded_ms") or 0) // 60000, "gaps": gap_ms // 60000}
    return wording.say("digest_day", "en", **fields), wording.say("digest_day", language, **fields)


def digest_for(bucket: oss2.Bucket, sub: dict[str, Any], day: Any, now_ms: int,
               cameras: list[str], firing: dict[str, list[str]], language: str = "en") -> Delivery:
    """The user's digest, said in `language` (the user's; the English `detail` stays for API and logs)."""
    tz = str(sub.get("timezone") or "UTC")
    notices = []
    for cam in cameras:
        english, said = _camera_line(bucket, cam, day, language)
        if firing.get(cam):
            english += wording.say("digest_firing", "en", rules=", ".join(firing[cam]))
            said += wording.say("digest_firing", language, rules=wording.catalog(language)["join"].join(firing[cam]))
        notices.append(Notice(rule="digest", rule_name=wording.say("digest_rule", language), kind="digest",
                              state="event", camera=cam, at_ms=now_ms, detail=english, language=language,
                              timezone=tz, code=wording.SAID, args={"text": said}))
    user = str(sub["user"])
    return Delivery(id=delivery_id("digest", user, day.isoformat()), channel=str(sub["channel"]),
                    created_ms=now_ms, notices=notices, next_ms=now_ms, language=language,
                    subject=wording.say("digest_subject", language, day=day.isoformat(),
                                        cameras=wording.cameras(len(cameras), language)))


# (user, day) digests this instance saw settled — sent by it, or found marked by another tick — so the
# ticks after the digest hour skip them without a request: before, every tick for the rest of the day
# read the subscription and the user, listed the registry, read the state and tried the marker again
# (5 requests a minute per subscription). The create-only marker stays the guard between instances;
# this only spares asking.
_SETTLED: set[tuple[str, str]] = set()
_SETTLED_MAX = 4096   # a cache: cleared when full (the marker answers for anything forgotten)


def _due(subs: list[dict[str, Any]], now_ms: int) -> list[tuple[dict[str, Any], date]]:
    """The subscriptions whose digest hour has come in their zone, with the day to tell, not settled here."""
    due = []
    for sub in subs:
        try:
            zone = ZoneInfo(str(sub.get("timezone") or "UTC"))
        except (KeyError, ValueError):
            continue
        local = datetime.fromtimestamp(now_ms / 1000, zone)
        day = (local - timedelta(days=1)).date()
        if local.hour >= int(sub.get("hour", 8)) and (str(sub.get("user", "")), day.isoformat()) not in _SETTLED:
            due.append((sub, day))
    return due


def _settle(user: str, day: date) -> None:
    if len(_SETTLED) >= _SETTLED_MAX:
        _SETTLED.clear()
    _SETTLED.add((user, day.isoformat()))


def run_digests(bucket: oss2.Bucket, store: AlertStore, rules: list[Rule], channels: dict[str, Channel],
                now_ms: int, settings: AlertSettings, send: Send) -> list[str]:
    due = _due(store.digests(), now_ms)
    if not due:
        return []
    from ..api.users import UserStore  # the viewer accounts: who may see which camera

    users = UserStore(bucket)
    all_cameras = sorted(Registry(bucket).ids())
    state = store.state()
    firing: dict[str, list[str]] = {}
    names = {r.id: r.name for r in rules}
    for key, cond in (state.get("conditions") or {}).items():
        rule_id, _, cam = key.partition("|")
        if cond.get("told"):
            firing.setdefault(cam, []).append(names.get(rule_id, rule_id))
    sent = []
    for sub, day in due:
        user = users.get(str(sub.get("user", "")))
        if user is None:
            continue   # not settled: an account made later in the day still gets its digest
        if not mark(bucket, f"digest/{user.name}/{day.isoformat()}"):
            _settle(user.name, day)
            continue
        _settle(user.name, day)
        cams = [c for c in all_cameras if user.may_see(c)]
        d = digest_for(bucket, sub, day, now_ms, cams, firing, user.language or "en")
        if store.enqueue(d):
            attempt(store, store.outbox_key(d), d, channels.get(d.channel), now_ms, settings, send)
            sent.append(d.id)
    return sent
