"""Appending to an OSS object shared by many writers: AppendObject is a compare-and-append.

AppendObject takes the length the writer expects as `position` and refuses with
`PositionNotEqualToLength` (carrying the real length) when another writer got there first, so a
retry at the returned position never loses or interleaves a record.
"""

from __future__ import annotations

import oss2

MAX_ATTEMPTS = 16


def append(bucket: oss2.Bucket, key: str, data: bytes, *, content_type: str = "application/x-ndjson") -> int:
    """Append `data` at the object's end (creating it); returns the position after it."""
    try:
        position = int(bucket.head_object(key).content_length)
    except oss2.exceptions.NoSuchKey:
        position = 0
    for _ in range(MAX_ATTEMPTS):
        try:
            result = bucket.append_object(key, position, data, headers={"Content-Type": content_type})
            return int(result.next_position)
        except oss2.exceptions.PositionNotEqualToLength as exc:
            position = int(exc.next_position)
    raise RuntimeError(f"could not append to {key} after {MAX_ATTEMPTS} attempts")
