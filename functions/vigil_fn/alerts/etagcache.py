"""Reading a prefix of small JSON objects every minute for one LIST: each object is fetched again only
when the listing shows a new ETag.

A warm alerts instance ticks every minute; without this, every tick would GET every rule, channel
and device record (a fleet of 1,000 cameras: 1,000 GETs a minute, 43 million a month). The listing
carries each object's ETag, so a changed, added or removed object is seen on the very next tick —
no staleness, only the unchanged ones are served from memory.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

import oss2

T = TypeVar("T")
_lock = threading.Lock()
_cache: dict[tuple[str, str, str], tuple[str, Any]] = {}   # (bucket, prefix, key) -> (etag, parsed)


def read_prefix(bucket: oss2.Bucket, prefix: str, parse: Callable[[bytes], T]) -> dict[str, T]:
    """{key: parse(body)} for every object under `prefix`; one LIST + a GET per changed object.
    An object that `parse` refuses (ValueError) is left out, and read again only when it changes."""
    listing = [(o.key, o.etag) for o in oss2.ObjectIteratorV2(bucket, prefix=prefix)]
    out: dict[str, T] = {}
    seen = set()
    for key, etag in listing:
        ident = (bucket.bucket_name, prefix, key)
        seen.add(ident)
        with _lock:
            hit = _cache.get(ident)
        if hit is not None and hit[0] == etag:
            if hit[1] is not None:
                out[key] = hit[1]
            continue
        try:
            body = bucket.get_object(key).read()
        except oss2.exceptions.NoSuchKey:
            continue
        try:
            value: Any = parse(body)
        except ValueError:
            value = None
        with _lock:
            _cache[ident] = (etag, value)
        if value is not None:
            out[key] = value
    with _lock:   # objects gone from the listing leave the cache too
        for ident in [i for i in _cache if i[0] == bucket.bucket_name and i[1] == prefix and i not in seen]:
            del _cache[ident]
    return out
