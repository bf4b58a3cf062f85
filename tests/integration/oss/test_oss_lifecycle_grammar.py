"""Lifecycle, full grammar through oss2: Transition, Tag, Filter/Not, size filters, `<Date>`,
OSS's validation (ordering, overlap) and the sweeper applying transitions and tag filters."""

from __future__ import annotations

import datetime
import uuid

import oss2
import pytest
from oss2.models import (
    BucketLifecycle,
    FilterNot,
    FilterNotTag,
    LifecycleExpiration,
    LifecycleFilter,
    LifecycleRule,
    StorageTransition,
    Tagging,
    TaggingRule,
)

pytestmark = pytest.mark.integration
DAY = 86400


def _bucket(oss_env) -> oss2.Bucket:  # type: ignore[no-untyped-def]
    bucket = oss_env.bucket(f"lc-{uuid.uuid4().hex[:10]}")
    bucket.create_bucket()
    return bucket


def _tags(**pairs: str) -> Tagging:
    rule = TaggingRule()
    for key, value in pairs.items():
        rule.add(key, value)
    return Tagging(rule)


def _tiered_rule() -> LifecycleRule:
    return LifecycleRule(
        "tiers", "clips/", status=LifecycleRule.ENABLED,
        expiration=LifecycleExpiration(days=30),
        storage_transitions=[StorageTransition(days=10, storage_class=oss2.BUCKET_STORAGE_CLASS_IA),
                             StorageTransition(days=20, storage_class=oss2.BUCKET_STORAGE_CLASS_ARCHIVE)],
        tagging=_tags(tier="auto"),
        filter=LifecycleFilter(filter_not=[FilterNot(prefix="clips/pinned/", tag=FilterNotTag("hold", "yes"))]),
    )


def test_full_rule_round_trips(oss_env) -> None:
    bucket = _bucket(oss_env)
    dated = LifecycleRule("dated", "old/", status=LifecycleRule.ENABLED,
                          expiration=LifecycleExpiration(date=datetime.date(2030, 1, 1)))
    bucket.put_bucket_lifecycle(BucketLifecycle([_tiered_rule(), dated]))
    rules = {r.id: r for r in bucket.get_bucket_lifecycle().rules}
    tiers = rules["tiers"]
    assert tiers.expiration.days == 30
    assert [(t.days, t.storage_class) for t in tiers.storage_transitions] == [(10, "IA"), (20, "Archive")]
    assert tiers.tagging.tag_set.tagging_rule == {"tier": "auto"}
    (excluded,) = tiers.filter.filter_not
    assert (excluded.prefix, excluded.tag.key, excluded.tag.value) == ("clips/pinned/", "hold", "yes")
    # <Date> comes back as <Date>, not as CreatedBeforeDate
    assert rules["dated"].expiration.date == datetime.date(2030, 1, 1)
    assert rules["dated"].expiration.created_before_date is None


@pytest.mark.parametrize(
    "rule, words",
    [
        (LifecycleRule("r", "a/", status="Enabled", expiration=LifecycleExpiration(days=10),
                       storage_transitions=[StorageTransition(days=10, storage_class="IA")]),
         "less than Expiration"),
        (LifecycleRule("r", "a/", status="Enabled",
                       storage_transitions=[StorageTransition(days=20, storage_class="IA"),
                                            StorageTransition(days=10, storage_class="Archive")]),
         "must come after"),
        (LifecycleRule("r", "a/", status="Enabled",
                       storage_transitions=[StorageTransition(days=5, storage_class="Standard")]),
         "StorageClass"),
        (LifecycleRule("r", "a/", status="Enabled", expiration=LifecycleExpiration(days=5),
                       filter=LifecycleFilter(filter_not=[FilterNot(prefix="b/")])),
         "Not"),
    ],
)
def test_invalid_rules_are_refused(oss_env, rule, words) -> None:
    bucket = _bucket(oss_env)
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.put_bucket_lifecycle(BucketLifecycle([rule]))
    assert (info.value.status, info.value.code) == (400, "InvalidArgument")
    assert words in info.value.message
    with pytest.raises(oss2.exceptions.NoSuchLifecycle):
        bucket.get_bucket_lifecycle()


def test_overlapping_prefixes_need_the_overlap_header(oss_env) -> None:
    bucket = _bucket(oss_env)
    rules = BucketLifecycle([
        LifecycleRule("wide", "logs/", status="Enabled", expiration=LifecycleExpiration(days=30)),
        LifecycleRule("narrow", "logs/debug/", status="Enabled", expiration=LifecycleExpiration(days=3)),
    ])
    with pytest.raises(oss2.exceptions.OssError) as info:
        bucket.put_bucket_lifecycle(rules)
    assert info.value.code == "InvalidArgument" and "Overlap for same action type Expiration" in info.value.message
    bucket.put_bucket_lifecycle(rules, headers={"x-oss-allow-same-action-overlap": "true"})
    assert {r.id for r in bucket.get_bucket_lifecycle().rules} == {"wide", "narrow"}


def test_sweeper_applies_transitions_tags_and_not(oss_env) -> None:
    bucket = _bucket(oss_env)
    bucket.put_bucket_lifecycle(BucketLifecycle([_tiered_rule()]))
    auto = {"x-oss-tagging": "tier=auto"}
    bucket.put_object("clips/a.ts", b"a", headers=auto)
    bucket.put_object("clips/untagged.ts", b"u")
    bucket.put_object("clips/pinned/held.ts", b"h", headers={"x-oss-tagging": "tier=auto&hold=yes"})
    bucket.put_object("clips/pinned/free.ts", b"f", headers=auto)
    etag = bucket.head_object("clips/a.ts").etag

    def classes() -> dict[str, str]:
        return {o.key: o.storage_class for o in bucket.list_objects(prefix="clips/").object_list}

    start = oss_env.clock.offset
    try:
        oss_env.clock.advance(11 * DAY)
        oss_env.store.sweep_lifecycle()
        assert classes() == {"clips/a.ts": "IA", "clips/untagged.ts": "Standard",
                             "clips/pinned/held.ts": "Standard", "clips/pinned/free.ts": "IA"}
        assert bucket.head_object("clips/a.ts").etag == etag  # a transition keeps data and ETag
        oss_env.clock.advance(10 * DAY)
        oss_env.store.sweep_lifecycle()
        assert classes()["clips/a.ts"] == "Archive"
        with pytest.raises(oss2.exceptions.OssError) as info:
            bucket.get_object("clips/a.ts")
        assert info.value.code == "InvalidObjectState"
        oss_env.clock.advance(10 * DAY)
        oss_env.store.sweep_lifecycle()
        assert set(classes()) == {"clips/untagged.ts", "clips/pinned/held.ts"}
    finally:
        oss_env.clock.set_offset(start)


def test_date_expiration_removes_everything_once_the_date_has_come(oss_env) -> None:
    bucket = _bucket(oss_env)
    soon = datetime.datetime.fromtimestamp(oss_env.clock.now() + 3 * DAY, datetime.timezone.utc).date()
    bucket.put_bucket_lifecycle(BucketLifecycle([
        LifecycleRule("d", "tmp/", status="Enabled", expiration=LifecycleExpiration(date=soon))]))
    bucket.put_object("tmp/x", b"x")
    oss_env.store.sweep_lifecycle()
    assert bucket.object_exists("tmp/x")
    start = oss_env.clock.offset
    try:
        oss_env.clock.advance(4 * DAY)
        bucket.put_object("tmp/new", b"n")  # younger than the date: still removed (Date semantics)
        oss_env.store.sweep_lifecycle()
        assert not bucket.object_exists("tmp/x") and not bucket.object_exists("tmp/new")
    finally:
        oss_env.clock.set_offset(start)
