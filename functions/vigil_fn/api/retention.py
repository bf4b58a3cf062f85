"""Retention in days, read from and written to the bucket lifecycle (so OSS itself enforces it).

The lifecycle rules `vigil-videos`, `vigil-live`, `vigil-index` and `vigil-stills` (written by `vigil
bucket setup`) carry the retention as their expiration days; setting it rewrites those and keeps
every other rule as it is (nonces, multipart aborts, anything an operator added).
"""

from __future__ import annotations

import oss2
from oss2.models import BucketLifecycle, LifecycleExpiration, LifecycleRule

RETENTION_RULES = {"vigil-videos": "videos/", "vigil-live": "live/", "vigil-index": "index/",
                   "vigil-stills": "stills/"}


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


def set_retention(bucket: oss2.Bucket, days: int) -> int:
    if not 1 <= days <= 3650:
        raise ValueError("retention is 1 to 3650 days")
    rules = _rules(bucket)
    seen = set()
    for rule in rules:
        if rule.id in RETENTION_RULES:
            rule.expiration = LifecycleExpiration(days=days)
            seen.add(rule.id)
    for rule_id, prefix in RETENTION_RULES.items():
        if rule_id not in seen:
            rules.append(LifecycleRule(rule_id, prefix, status=LifecycleRule.ENABLED,
                                       expiration=LifecycleExpiration(days=days)))
    bucket.put_bucket_lifecycle(BucketLifecycle(rules))
    return days
