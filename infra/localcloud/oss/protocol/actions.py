"""Which OSS operation a request is, and the RAM checks (action, resource ARN, context) it needs.

Free of I/O so every mapping is a plain function a unit test can read. CopyObject needs
`oss:GetObject` on its source too; DeleteMultipleObjects is checked per key by the handler
(its keys are in the body) with `object_check`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import unquote

from localcloud.oss.errors import InvalidArgument
from localcloud.oss.model.names import validate_key
from localcloud.oss.protocol import subresources
from localcloud.oss.protocol.routing import Route, decode_component


@dataclass(frozen=True)
class Check:
    """One policy question: may the principal do `action` on `resource` in `context`?"""

    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)


# (scope, method, sub-resource or "") → operation; scope is "service", "bucket" or "object".
_BUCKET_CONFIG = {"lifecycle": "Lifecycle", "cors": "Cors", "overwriteConfig": "OverwriteConfig",
                  "policy": "Policy"}
_VERB = {"PUT": "Put", "GET": "Get", "DELETE": "Delete"}

# operation → RAM action (object ops use the object ARN, bucket ops the bucket ARN)
RAM_ACTIONS: dict[str, str] = {
    "ListBuckets": "oss:ListBuckets",
    "PutBucket": "oss:PutBucket",
    "DeleteBucket": "oss:DeleteBucket",
    "GetBucketInfo": "oss:GetBucketInfo",
    "GetBucketLocation": "oss:GetBucketLocation",
    "ListObjects": "oss:ListObjects",
    "ListObjectsV2": "oss:ListObjects",
    "ListMultipartUploads": "oss:ListMultipartUploads",
    "DeleteMultipleObjects": "oss:DeleteObject",
    "PutObject": "oss:PutObject",
    "AppendObject": "oss:PutObject",
    "InitiateMultipartUpload": "oss:PutObject",
    "UploadPart": "oss:PutObject",
    "CompleteMultipartUpload": "oss:PutObject",
    "CopyObject": "oss:PutObject",
    "GetObject": "oss:GetObject",
    "HeadObject": "oss:GetObject",
    "GetObjectMeta": "oss:GetObject",
    "DeleteObject": "oss:DeleteObject",
    "AbortMultipartUpload": "oss:AbortMultipartUpload",
    "ListParts": "oss:ListParts",
    "HeadBucket": "oss:GetBucketInfo",
}
for _kind in _BUCKET_CONFIG.values():
    for _verb in _VERB.values():
        RAM_ACTIONS[f"{_verb}Bucket{_kind}"] = f"oss:{_verb}Bucket{_kind}"

RAM_ACTIONS.update(subresources.RAM_ACTIONS)

NOT_IMPLEMENTED = "NotImplemented"

# Writes that take `x-oss-object-acl` (OSS: "the same effect as PutObjectACL"), so they need
# oss:PutObjectAcl as well when the header is there.
ACL_ON_WRITE = frozenset(("PutObject", "AppendObject", "InitiateMultipartUpload", "CopyObject", "PutSymlink"))


def identify(method: str, route: Route, headers: Mapping[str, str]) -> str:
    """The OSS operation name; `NotImplemented` for calls localcloud does not serve."""
    params = route.params
    if method == "OPTIONS":
        return "Preflight"
    if route.is_service:
        served = subresources.service_op(method, params)
        if served is not None:
            return served
        return "ListBuckets" if method == "GET" else NOT_IMPLEMENTED
    if not route.is_object:
        return subresources.bucket_op(method, params) or _bucket_op(method, params)
    return subresources.object_op(method, params, headers) or _object_op(method, params, headers)


def _bucket_op(method: str, params: Mapping[str, str]) -> str:
    for sub, kind in _BUCKET_CONFIG.items():
        if sub in params:
            verb = _VERB.get(method)
            return f"{verb}Bucket{kind}" if verb else NOT_IMPLEMENTED
    if method == "GET":
        if "bucketInfo" in params:
            return "GetBucketInfo"
        if "location" in params:
            return "GetBucketLocation"
        if "uploads" in params:
            return "ListMultipartUploads"
        if _other_subresource(params):
            return NOT_IMPLEMENTED
        return "ListObjectsV2" if params.get("list-type") == "2" else "ListObjects"
    if method == "PUT":
        return NOT_IMPLEMENTED if _other_subresource(params) else "PutBucket"
    if method == "DELETE":
        return NOT_IMPLEMENTED if _other_subresource(params) else "DeleteBucket"
    if method == "POST" and "delete" in params:
        return "DeleteMultipleObjects"
    if method == "HEAD":
        return "HeadBucket"
    return NOT_IMPLEMENTED


# Bucket sub-resources localcloud does not serve: answering them as a plain listing or a
# CreateBucket would be a lie.
_UNSERVED = frozenset(
    "acl website referer logging tagging encryption versioning versions replication "
    "inventory worm stat qos requestPayment transferAcceleration".split()
)


def _other_subresource(params: Mapping[str, str]) -> bool:
    return any(p in _UNSERVED for p in params)


def _object_op(method: str, params: Mapping[str, str], headers: Mapping[str, str]) -> str:
    if any(p in params for p in ("acl", "symlink", "tagging", "restore", "x-oss-process")):
        return NOT_IMPLEMENTED
    if method == "PUT":
        if "partNumber" in params or "uploadId" in params:
            return NOT_IMPLEMENTED if "x-oss-copy-source" in headers else "UploadPart"
        return "CopyObject" if "x-oss-copy-source" in headers else "PutObject"
    if method == "GET":
        if "uploadId" in params:
            return "ListParts"
        return "GetObject"
    if method == "HEAD":
        return "GetObjectMeta" if "objectMeta" in params else "HeadObject"
    if method == "POST":
        if "uploads" in params:
            return "InitiateMultipartUpload"
        if "uploadId" in params:
            return "CompleteMultipartUpload"
        if "append" in params:
            return "AppendObject"
        return NOT_IMPLEMENTED
    if method == "DELETE":
        return "AbortMultipartUpload" if "uploadId" in params else "DeleteObject"
    return NOT_IMPLEMENTED


def bucket_arn(bucket: str) -> str:
    return f"acs:oss:*:*:{bucket}"


def object_arn(bucket: str, key: str) -> str:
    return f"acs:oss:*:*:{bucket}/{key}"


def base_context(source_ip: str, now: float, secure: bool) -> dict[str, str]:
    return {
        "acs:SourceIp": source_ip,
        "acs:CurrentTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "acs:SecureTransport": "true" if secure else "false",
    }


def parse_copy_source(value: str) -> tuple[str, str]:
    """`/<bucket>/<url-encoded key>` → (bucket, key); a malformed source is InvalidArgument."""
    raw = value.split("?", 1)[0]
    raw = raw[1:] if raw.startswith("/") else raw
    bucket, sep, key = raw.partition("/")
    if not sep or not bucket or not key:
        raise InvalidArgument("x-oss-copy-source must be /<bucket>/<key>.", "x-oss-copy-source")
    return unquote(bucket), validate_key(decode_component(key))


def checks(operation: str, route: Route, headers: Mapping[str, str], context: dict[str, str]) -> list[Check]:
    """Every policy check `operation` on `route` needs before it runs."""
    action = RAM_ACTIONS.get(operation)
    if action is None:
        return []
    if route.bucket is None:
        return [Check(action, "acs:oss:*:*:*", context)]
    if operation in ("ListObjects", "ListObjectsV2", "ListMultipartUploads"):
        listing = dict(context)
        listing["oss:Prefix"] = route.params.get("prefix", "")
        listing["oss:Delimiter"] = route.params.get("delimiter", "")
        return [Check(action, bucket_arn(route.bucket), listing)]
    if operation == "DeleteMultipleObjects":
        return []  # per key, after the body is read (object_check)
    if route.key is None:
        return [Check(action, bucket_arn(route.bucket), context)]
    out = [Check(action, object_arn(route.bucket, route.key), context)]
    if operation in ACL_ON_WRITE and headers.get("x-oss-object-acl"):
        # an ACL given with a write is a PutObjectAcl too: OSS wants both permissions
        out.append(Check("oss:PutObjectAcl", object_arn(route.bucket, route.key), context))
    if operation in ("CopyObject", "UploadPartCopy"):
        src_bucket, src_key = parse_copy_source(headers.get("x-oss-copy-source", ""))
        out.insert(0, Check("oss:GetObject", object_arn(src_bucket, src_key), context))
    return out


def object_check(action: str, bucket: str, key: str, context: dict[str, str]) -> Check:
    return Check(action, object_arn(bucket, key), context)
