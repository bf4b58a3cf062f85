"""OSS signature version 1 (`Authorization: OSS <ak>:<sig>` and `?OSSAccessKeyId=&Signature=`).

The string to sign is built exactly as oss2's `ProviderAuth` builds it: verb, Content-MD5,
Content-Type, date (or `Expires` for presigned URLs), the canonical `x-oss-*` headers and the
canonical resource `/bucket/key` with the signed sub-resources (raw, decoded values).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from localcloud.oss.errors import InvalidArgument

# The sub-resources oss2 2.19.1 signs (ProviderAuth._subresource_key_set) plus `overwriteConfig`,
# which real OSS signs too although oss2 has no API for it.
SUBRESOURCES = frozenset(
    """response-content-type response-content-language response-cache-control logging
    response-content-encoding acl uploadId uploads partNumber group link delete website location
    objectInfo objectMeta response-expires response-content-disposition cors lifecycle restore qos
    referer stat bucketInfo append position security-token live comp status vod startTime endTime
    x-oss-process symlink callback callback-var tagging encryption versions versioning versionId
    policy requestPayment x-oss-traffic-limit qosInfo asyncFetch x-oss-request-payer sequential
    inventory inventoryId continuation-token worm wormId wormExtend replication
    replicationLocation replicationProgress transferAcceleration cname metaQuery
    x-oss-ac-source-ip x-oss-ac-subnet-mask x-oss-ac-vpc-id x-oss-ac-forward-allow resourceGroup
    style styleName x-oss-async-process regionList x-oss-write-get-object-response
    bucketArchiveDirectRead httpsConfig redundancyTransition x-oss-target-redundancy-type
    x-oss-redundancy-transition-taskid accessPoint accessPointPolicy publicAccessBlock
    x-oss-access-point-name requesterQosInfo qosRequester resourcePoolInfo resourcePool
    resourcePoolBuckets overwriteConfig""".split()
)


def canonical_resource(bucket: str | None, key: str | None, params: Mapping[str, str]) -> str:
    """`/bucket/key?sub=v&sub2` with the signed sub-resources sorted; `/` for the service."""
    base = f"/{bucket}/{key or ''}" if bucket else "/"
    subs = sorted((k, v) for k, v in params.items() if k in SUBRESOURCES)
    if not subs:
        return base
    return base + "?" + "&".join(f"{k}={v}" if v else k for k, v in subs)


def canonical_headers(headers: Mapping[str, str]) -> bytes:
    """The `x-oss-*` headers, lower-cased and sorted, one `name:value\\n` each."""
    items = sorted((k.lower(), v) for k, v in headers.items() if k.lower().startswith("x-oss-"))
    return b"".join(k.encode() + b":" + v.encode("utf-8", "surrogateescape") + b"\n" for k, v in items)


def string_to_sign(
    method: str,
    headers: Mapping[str, str],
    bucket: str | None,
    key: str | None,
    params: Mapping[str, str],
    date: str,
) -> bytes:
    """The bytes oss2 signs; `headers` has lower-case names."""
    return b"\n".join(
        [
            method.encode(),
            headers.get("content-md5", "").encode("utf-8", "surrogateescape"),
            headers.get("content-type", "").encode("utf-8", "surrogateescape"),
            date.encode("utf-8", "surrogateescape"),
            canonical_headers(headers) + canonical_resource(bucket, key, params).encode("utf-8"),
        ]
    )


def sign(secret: str, to_sign: bytes) -> str:
    """Base64 HMAC-SHA1, the V1 signature."""
    return base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha1).digest()).decode()


def parse_authorization(value: str) -> tuple[str, str]:
    """`OSS <ak>:<signature>` → (ak, signature)."""
    try:
        scheme, creds = value.split(" ", 1)
        access_key_id, signature = creds.strip().rsplit(":", 1)
    except ValueError as exc:
        raise InvalidArgument("Authorization header is invalid.", "Authorization") from exc
    if scheme != "OSS" or not access_key_id or not signature:
        raise InvalidArgument("Authorization header is invalid.", "Authorization")
    return access_key_id, signature
