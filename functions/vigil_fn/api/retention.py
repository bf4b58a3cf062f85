"""Retention in days, read from and written to the bucket lifecycle (so OSS itself enforces it).

The lifecycle rules `vigil-videos`, `vigil-live`, `vigil-index` and `vigil-stills` (written by `vigil
bucket setup`) carry the retention as their expiration days; setting it rewrites those and keeps every
other rule as it is (nonces, multipart aborts, anything an operator added).

Retention by importance (issue 23): cameras upload clips that hold activity with the object tag
`vigil-activity=1`. `vigil-videos` then expires only clips *without* that tag (a `Not` filter) and
`vigil-videos-activity` expires the tagged ones after `activity_days` — storage, the largest cost,
follows what matters. Two expiration rules on one prefix need OSS's
`x-oss-allow-same-action-overlap: true`; the filters make them disjoint. This module is the one
builder of those rules: the api's retention screen and `vigil bucket setup` both call it.
"""

from __future__ import annotations

import oss2
from oss2.models import (
    AbortMultipartUpload,
    BucketLifecycle,
    FilterNot,
    FilterNotTag,
    LifecycleExpiration,
    LifecycleFilter,
    LifecycleRule,
    Tagging,
    TaggingRule,
)
from vigil_camera.activity.meta import TAG_KEY, TAG_VALUE

RETENTION_RULES = {"vigil-videos": "videos/", "vigil-live": "live/", "vigil-index": "index/",
                   "vigil-stills": "stills/"}
ACTIVITY_RULE = "vigil-videos-activity"
OVERLAP = {"x-oss-allow-same-action-overlap": "true"}


def video_rules(quiet_days: int, activity_days: int | None,
                abort: AbortMultipartUpload | None = None) -> list[LifecycleRule]:
    """`vigil-videos` (quiet clips, or every clip when `activity_days` is None) and, with
    `activity_days`, `vigil-videos-activity` for the clips tagged as holding activity."""
    if activity_days is None:
        return [LifecycleRule("vigil-videos", "videos/", status=LifecycleRule.ENABLED,
                              expiration=LifecycleExpiration(days=quiet_days), abort_multipart_upload=abort)]
    tagged = TaggingRule()
    tagged.add(TAG_KEY, TAG_VALUE)
    quiet = LifecycleRule("vigil-videos", "videos/", status=LifecycleRule.ENABLED,
                          expiration=LifecycleExpiration(days=quiet_days), abort_multipart_upload=abort,
                          filter=LifecycleFilter([FilterNot(prefix="videos/", tag=FilterNotTag(TAG_KEY, TAG_VALUE))]))
    busy = LifecycleRule(ACTIVITY_RULE, "videos/", status=LifecycleRule.ENABLED,
                         expiration=LifecycleExpiration(days=activity_days), tagging=Tagging(tagged))
    return [quiet, busy]


def _rules(bucket: oss2.Bucket) -> list[LifecycleRule]:
    try:
        return list(bucket.get_bucket_lifecycle().rules)
    except oss2.exceptions.NoSuchLifecycle:
        return []


def get_retention(bucket: oss2.Bucket) -> int | None:
    for rule in _rules(bucket):
        if rule.id == "vigil-videos" and rule.expiration is not None and rule.expiration.days:
            return int(rule.expiration.days)
    return None


def get_activity_retention(bucket: oss2.Bucket) -> int | None:
    """Days clips with activity are kept; None when they follow the plain retention."""
    for rule in _rules(bucket):
        if rule.id == ACTIVITY_RULE and rule.expiration is not None and rule.expiration.days:
            return int(rule.expiration.days)
    return None


def set_retention(bucket: oss2.Bucket, days: int, activity_days: int | None = None) -> int:
    """Keep recordings `days` (clips with activity `activity_days`, when given, else as before)."""
    if not 1 <= days <= 3650 or (activity_days is not None and not 1 <= activity_days <= 3650):
        raise ValueError("retention is 1 to 3650 days")
    rules = _rules(bucket)
    if activity_days is None:
        activity_days = get_activity_retention(bucket)
    abort = next((r.abort_multipart_upload for r in rules if r.id == "vigil-videos"), None)
    kept = [r for r in rules if r.id not in ("vigil-videos", ACTIVITY_RULE)]
    # the index must outlive the longest-kept clip, or kept clips vanish from the timeline
    keep = {"vigil-live": days, "vigil-index": max(days, activity_days or 0), "vigil-stills": days}
    for rule in kept:
        if rule.id in keep:
            rule.expiration = LifecycleExpiration(days=keep[rule.id])
    have = {r.id for r in kept}
    for rule_id, prefix in RETENTION_RULES.items():
        if rule_id not in have and rule_id in keep:
            kept.append(LifecycleRule(rule_id, prefix, status=LifecycleRule.ENABLED,
                                      expiration=LifecycleExpiration(days=keep[rule_id])))
    rules = video_rules(days, activity_days, abort) + kept
    bucket.put_bucket_lifecycle(BucketLifecycle(rules), headers=OVERLAP if activity_days else None)
    return days
