"""The OSS event record (the FC OSS-trigger JSON of one event), built from a committed change."""

from __future__ import annotations

import time
from typing import Any

PUT = "ObjectCreated:PutObject"
POST = "ObjectCreated:PostObject"
COPY = "ObjectCreated:CopyObject"
APPEND = "ObjectCreated:AppendObject"
COMPLETE = "ObjectCreated:CompleteMultipartUpload"
PUT_SYMLINK = "ObjectCreated:PutSymlink"
DELETE = "ObjectRemoved:DeleteObject"
DELETE_MULTIPLE = "ObjectRemoved:DeleteObjects"


def iso_ms(ts: float) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC."""
    whole = int(ts)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{int((ts - whole) * 1000):03d}Z"


def build(
    *,
    name: str,
    now: float,
    region: str,
    account_id: str,
    bucket: str,
    key: str,
    size: int,
    delta: int,
    etag: str,
    request_id: str,
    principal_id: str,
    source_ip: str,
) -> dict[str, Any]:
    """One record, keys and types exactly as FC delivers them (see docs/internals.md)."""
    return {
        "eventName": name,
        "eventSource": "acs:oss",
        "eventTime": iso_ms(now),
        "eventVersion": "1.0",
        "region": region,
        "oss": {
            "bucket": {"arn": f"acs:oss:{region}:{account_id}:{bucket}", "name": bucket,
                       "ownerIdentity": account_id},
            "object": {"deltaSize": delta, "eTag": etag, "key": key, "size": size},
            "ossSchemaVersion": "1.0",
            "ruleId": "localcloud",
        },
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {"requestId": request_id},
        "userIdentity": {"principalId": principal_id},
    }
