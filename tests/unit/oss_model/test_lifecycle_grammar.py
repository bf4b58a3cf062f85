"""The lifecycle model's grammar: validation, scope (prefix, tags, size, Not), transitions, Date."""

from __future__ import annotations

import pytest
from localcloud.oss.errors import OSSError
from localcloud.oss.model import lifecycle
from localcloud.oss.model.types import ObjectHeaders

pytestmark = pytest.mark.unit

DAY = 86400


def _rule(**kw):  # type: ignore[no-untyped-def]
    return dict({"id": "r", "prefix": "", "status": "Enabled"}, **kw)


def _invalid(doc) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(OSSError) as info:
        lifecycle.validate(doc)
    assert info.value.code in ("InvalidArgument", "MalformedXML")
    return info.value.message


def test_validation_messages() -> None:
    assert "exactly one" in _invalid({"rules": [_rule(expiration={"days": 3, "created_before_date": "2026-01-01"})]})
    assert "Date" in _invalid({"rules": [_rule(abort_multipart_upload={"date": "2026-01-01"})]})
    assert "StorageClass" in _invalid({"rules": [_rule(transitions=[{"days": 3, "storage_class": "Cold"}])]})
    assert "at most once" in _invalid({"rules": [_rule(transitions=[{"days": 3, "storage_class": "IA"},
                                                                     {"days": 5, "storage_class": "IA"}])]})
    assert "cannot carry AbortMultipartUpload" in _invalid(
        {"rules": [_rule(tags=[["k", "v"]], abort_multipart_upload={"days": 1})]})
    assert "ObjectSizeLessThan" in _invalid(
        {"rules": [_rule(expiration={"days": 1}, size_greater_than=10, size_less_than=5)]})
    assert "needs Expiration" in _invalid({"rules": [_rule()]})
    # overlap counts per action: an expiration rule and a transition rule may share a prefix
    ok = lifecycle.validate({"rules": [_rule(id="a", prefix="x/", expiration={"days": 9}),
                                       _rule(id="b", prefix="x/y", transitions=[{"days": 2, "storage_class": "IA"}])]})
    assert [r["id"] for r in ok["rules"]] == ["a", "b"]
    assert "allow_same_action_overlap" not in ok


def test_scope_prefix_tags_size_and_not() -> None:
    rule = lifecycle.validate({"rules": [_rule(prefix="v/", expiration={"days": 1}, tags=[["t", "1"]],
                                               size_greater_than=2, size_less_than=100,
                                               **{"not": {"prefix": "v/keep", "tag": ["hold", "y"]}})]})["rules"][0]
    assert lifecycle.matches(rule, "v/a", 10, (("t", "1"),))
    assert not lifecycle.matches(rule, "w/a", 10, (("t", "1"),))       # prefix
    assert not lifecycle.matches(rule, "v/a", 10, (("t", "2"),))       # tag value
    assert not lifecycle.matches(rule, "v/a", 2, (("t", "1"),))        # size must be > 2
    assert not lifecycle.matches(rule, "v/a", 100, (("t", "1"),))      # and < 100
    assert not lifecycle.matches(rule, "v/keep/x", 10, (("t", "1"), ("hold", "y")))  # Not
    assert lifecycle.matches(rule, "v/keep/x", 10, (("t", "1"),))      # Not needs its tag too


def test_due_transition_is_the_coldest_due_and_never_warmer() -> None:
    rule = lifecycle.validate({"rules": [_rule(transitions=[{"days": 1, "storage_class": "IA"},
                                                            {"days": 3, "storage_class": "Archive"}])]})["rules"][0]
    assert lifecycle.due_transition(rule, "Standard", 0, 0.5 * DAY) is None
    assert lifecycle.due_transition(rule, "Standard", 0, 2 * DAY) == "IA"
    assert lifecycle.due_transition(rule, "Standard", 0, 4 * DAY) == "Archive"
    assert lifecycle.due_transition(rule, "Archive", 0, 4 * DAY) is None
    assert lifecycle.due_transition(rule, "ColdArchive", 0, 4 * DAY) is None


def test_store_transition_keeps_data_and_survives_a_restart(ossm) -> None:
    ossm.store.put_config(ossm.bucket, "lifecycle", {"rules": [
        _rule(prefix="c/", transitions=[{"days": 1, "storage_class": "IA"}], tags=[["tier", "auto"]])]})
    info = ossm.store.put_object(ossm.bucket, "c/a", body=__import__("io").BytesIO(b"abc"), length=3,
                                 headers=ObjectHeaders(),
                                 attrs={"tags": (("tier", "auto"),)})
    ossm.put("c/b", b"untagged")
    ossm.clock.advance(2 * DAY)
    assert ossm.store.sweep_lifecycle() == 1
    moved = ossm.store.head_object(ossm.bucket, "c/a")
    assert (moved.storage_class, moved.etag, moved.last_modified) == ("IA", info.etag, info.last_modified)
    assert ossm.store.head_object(ossm.bucket, "c/b").storage_class == "Standard"
    ossm.reopen()
    assert ossm.store.head_object(ossm.bucket, "c/a").storage_class == "IA"
    assert ossm.read("c/a") == b"abc"


def test_attribute_change_without_room_rebuilds_the_header(ossm, monkeypatch) -> None:
    """Files written before the attribute reserve existed have no room: the header is rebuilt."""
    from localcloud.oss.model import records

    ossm.put("k", b"payload" * 1000)
    before = ossm.store.head_object(ossm.bucket, "k")
    tags = tuple((f"key-{i:03d}-" + "k" * 100, "v" * 256) for i in range(10))

    def full(*_a, **_k):  # type: ignore[no-untyped-def]
        raise ValueError("object metadata does not fit its header slot")

    monkeypatch.setattr(records, "write_slot", full)
    ossm.store.update_object(ossm.bucket, "k", tags=tags)
    monkeypatch.undo()
    after = ossm.store.head_object(ossm.bucket, "k")
    assert after.tags == tags and (after.etag, after.last_modified) == (before.etag, before.last_modified)
    ossm.reopen()
    assert ossm.store.head_object(ossm.bucket, "k").tags == tags
    assert ossm.read("k") == b"payload" * 1000
    assert list((ossm.root / "tmp").iterdir()) == []
