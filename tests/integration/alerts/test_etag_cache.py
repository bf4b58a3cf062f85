"""The per-tick reads of rules, channels and device records: one LIST, a GET only for what changed —
and a change, an addition or a removal is seen on the very next read."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from vigil_fn.alerts.etagcache import read_prefix

pytestmark = pytest.mark.integration


def test_changed_objects_are_read_again_unchanged_ones_are_not(cloud: Any) -> None:
    bucket = cloud.bucket()
    prefix = f"_system/alerts/cache-test-{uuid.uuid4().hex[:6]}/"
    for name in ("a", "b", "c"):
        bucket.put_object(f"{prefix}{name}.json", json.dumps({"v": 1}))
    bucket.put_object(f"{prefix}bad.json", b"not json")
    gets: list[str] = []
    real_get = bucket.get_object

    def counting_get(key: str, *args: Any, **kwargs: Any) -> Any:
        gets.append(key)
        return real_get(key, *args, **kwargs)

    bucket.get_object = counting_get  # type: ignore[method-assign]  # the real call, counted
    first = read_prefix(bucket, prefix, json.loads)
    assert {k.rsplit("/", 1)[1]: v["v"] for k, v in first.items()} == {"a.json": 1, "b.json": 1, "c.json": 1}
    assert len(gets) == 4
    gets.clear()
    assert read_prefix(bucket, prefix, json.loads) == first and gets == []       # nothing changed: no GET
    bucket.put_object(f"{prefix}b.json", json.dumps({"v": 2}))
    bucket.delete_object(f"{prefix}c.json")
    bucket.put_object(f"{prefix}d.json", json.dumps({"v": 1}))
    now = read_prefix(bucket, prefix, json.loads)
    assert {k.rsplit("/", 1)[1]: v["v"] for k, v in now.items()} == {"a.json": 1, "b.json": 2, "d.json": 1}
    assert sorted(k.rsplit("/", 1)[1] for k in gets) == ["b.json", "d.json"]
