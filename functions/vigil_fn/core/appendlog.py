"""Compare-and-append of a line to an appendable OSS object, shared by every log Vigil keeps.

OSS `AppendObject` takes the expected length as `position` and refuses with
`PositionNotEqualToLength` (carrying the real length) when another writer appended first, so a
writer that retries at the returned position never overwrites anyone (the index log, the audit
trail and the export job index rely on it).
"""

from __future__ import annotations

import random
import time

import oss2

MAX_APPEND_ATTEMPTS = 64


def append(bucket: oss2.Bucket, key: str, data: bytes, *, content_type: str = "application/x-ndjson") -> None:
    """Append `data` to `key` (created when missing); RuntimeError after 64 lost races in a row.

    A writer that lost waits a little, jittered and growing, before it tries again: without it, one
    of eight writers racing through 40 appends could lose every round (seen under load)."""
    try:
        position = int(bucket.head_object(key).content_length)
    except oss2.exceptions.NoSuchKey:
        position = 0
    for attempt in range(MAX_APPEND_ATTEMPTS):
        try:
            bucket.append_object(key, position, data, headers={"Content-Type": content_type})
            return
        except oss2.exceptions.PositionNotEqualToLength as exc:
            position = int(exc.next_position)
            time.sleep(random.uniform(0, min(0.05, 0.001 * 2 ** min(attempt, 6))))
    raise RuntimeError(f"could not append to {key}")
