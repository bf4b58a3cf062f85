"""Lifecycle: expiration by days and by date (no events, as on OSS), multipart aborts, status, prefixes, sweeper."""

from __future__ import annotations

import io
import time

import pytest
from localcloud.oss.model.types import ObjectHeaders

pytestmark = pytest.mark.unit

DAY = 86400


def _rules(ossm, *rules: dict) -> None:  # type: ignore[type-arg]
    ossm.store.put_config(ossm.bucket, "lifecycle", {"rules": list(rules)})


def test_expiration_days(ossm) -> None:
    _rules(ossm, {"id": "v", "prefix": "videos/", "status": "Enabled", "expiration": {"days": 2}})
    ossm.put("videos/old.ts", b"1")
    ossm.put("index/keep.jsonl", b"1")
    assert ossm.store.sweep_lifecycle() == 0
    ossm.clock.advance(DAY)
    ossm.put("videos/new.ts", b"2")
    ossm.clock.advance(DAY + 1)
    assert ossm.store.sweep_lifecycle() == 1
    assert ossm.keys() == ["index/keep.jsonl", "videos/new.ts"]
    ossm.clock.advance(DAY)
    assert ossm.store.sweep_lifecycle() == 1
    assert ossm.keys() == ["index/keep.jsonl"]
    assert ossm.store.sweep_lifecycle() == 0


def test_expiration_sends_no_event_and_stays_gone_after_a_restart(ossm) -> None:
    """Real OSS announces no lifecycle expiration (its event list has none); a DeleteObject still does."""
    _rules(ossm, {"id": "v", "prefix": "videos/", "status": "Enabled", "expiration": {"days": 1}})
    ossm.put("videos/old.ts", b"1")
    ossm.put("videos/mine.ts", b"2")
    ossm.store.delete_object(ossm.bucket, "videos/mine.ts")
    before = [(e["eventName"], e["oss"]["object"]["key"]) for e in ossm.events()]
    assert before == [("ObjectCreated:PutObject", "videos/old.ts"), ("ObjectCreated:PutObject", "videos/mine.ts"),
                      ("ObjectRemoved:DeleteObject", "videos/mine.ts")]
    ossm.clock.advance(DAY + 1)
    assert ossm.store.sweep_lifecycle() == 1 and ossm.keys() == []
    assert [(e["eventName"], e["oss"]["object"]["key"]) for e in ossm.events()] == before
    ossm.reopen()  # nothing left in trash/ to announce or bring back
    assert ossm.keys() == []
    assert [(e["eventName"], e["oss"]["object"]["key"]) for e in ossm.events()] == before
    assert list((ossm.root / "buckets" / ossm.bucket / "trash").iterdir()) == []


def test_overwritten_object_restarts_its_clock(ossm) -> None:
    _rules(ossm, {"id": "v", "prefix": "", "status": "Enabled", "expiration": {"days": 1}})
    ossm.put("k", b"1")
    ossm.clock.advance(DAY - 10)
    ossm.put("k", b"2")
    ossm.clock.advance(20)
    assert ossm.store.sweep_lifecycle() == 0 and ossm.read("k") == b"2"


def test_disabled_rule_does_nothing(ossm) -> None:
    _rules(ossm, {"id": "v", "prefix": "", "status": "Disabled", "expiration": {"days": 1}})
    ossm.put("k", b"1")
    ossm.clock.advance(10 * DAY)
    assert ossm.store.sweep_lifecycle() == 0 and ossm.keys() == ["k"]


def test_created_before_date(ossm) -> None:
    ossm.put("a", b"1")
    tomorrow = time.strftime("%Y-%m-%dT00:00:00.000Z", time.gmtime(ossm.clock.now() + DAY))
    _rules(ossm, {"id": "d", "prefix": "", "status": "Enabled",
                  "expiration": {"created_before_date": tomorrow}})
    ossm.clock.advance(2 * DAY)
    ossm.put("b", b"1")  # created after the date: kept
    assert ossm.store.sweep_lifecycle() == 1 and ossm.keys() == ["b"]


def test_abort_multipart_days(ossm) -> None:
    _rules(ossm, {"id": "mp", "prefix": "videos/", "status": "Enabled",
                  "abort_multipart_upload": {"days": 1}})
    old = ossm.store.initiate_multipart(ossm.bucket, "videos/a.mp4", headers=ObjectHeaders())
    other = ossm.store.initiate_multipart(ossm.bucket, "live/a.mp4", headers=ObjectHeaders())
    ossm.store.upload_part(ossm.bucket, "videos/a.mp4", upload_id=old.upload_id, part_number=1,
                           body=io.BytesIO(b"x"), length=1)
    ossm.clock.advance(DAY / 2)
    young = ossm.store.initiate_multipart(ossm.bucket, "videos/b.mp4", headers=ObjectHeaders())
    ossm.clock.advance(DAY / 2)
    assert ossm.store.sweep_lifecycle() == 1
    assert {u.upload_id for u in ossm.store.list_uploads(ossm.bucket).uploads} == {other.upload_id,
                                                                                    young.upload_id}
    assert ossm.events() == []  # aborting an upload changes no object


def test_sweeper_thread_applies_rules(ossm) -> None:
    _rules(ossm, {"id": "v", "prefix": "", "status": "Enabled", "expiration": {"days": 1}})
    ossm.put("k", b"1")
    ossm.clock.advance(2 * DAY)
    ossm.store.start_sweeper(0.02)
    assert ossm.store.wait_swept(1, 10.0)
    assert ossm.keys() == []
