"""Sub-resource operations beyond the core ones (tagging, ACLs, symlinks, restore, stat,
UploadPartCopy), and the object sub-resources localcloud does not serve.

Kept apart from actions.py so the core routing stays as it was: `object_op` / `bucket_op` answer
for the sub-resources listed here and return None for everything else. An object request naming
a sub-resource OSS knows and localcloud does not serve (`?live`, `?x-oss-process`, ...) must be
NotImplemented: run as a plain PUT or GET it would store or return the wrong thing.
"""

from __future__ import annotations

from collections.abc import Mapping

NOT_IMPLEMENTED = "NotImplemented"

_OBJECT: dict[tuple[str, str], str] = {
    ("PUT", "tagging"): "PutObjectTagging",
    ("GET", "tagging"): "GetObjectTagging",
    ("DELETE", "tagging"): "DeleteObjectTagging",
    ("PUT", "acl"): "PutObjectAcl",
    ("GET", "acl"): "GetObjectAcl",
    ("PUT", "symlink"): "PutSymlink",
    ("GET", "symlink"): "GetSymlink",
    ("POST", "restore"): "RestoreObject",
}
_BUCKET: dict[tuple[str, str], str] = {
    ("PUT", "tagging"): "PutBucketTags",
    ("GET", "tagging"): "GetBucketTags",
    ("DELETE", "tagging"): "DeleteBucketTags",
    ("PUT", "acl"): "PutBucketAcl",
    ("GET", "acl"): "GetBucketAcl",
    ("GET", "stat"): "GetBucketStat",
    ("PUT", "publicAccessBlock"): "PutBucketPublicAccessBlock",
    ("GET", "publicAccessBlock"): "GetBucketPublicAccessBlock",
    ("DELETE", "publicAccessBlock"): "DeleteBucketPublicAccessBlock",
}
_SERVICE: dict[tuple[str, str], str] = {
    ("PUT", "publicAccessBlock"): "PutPublicAccessBlock",
    ("GET", "publicAccessBlock"): "GetPublicAccessBlock",
    ("DELETE", "publicAccessBlock"): "DeletePublicAccessBlock",
}

# Object sub-resources of the OSS API (oss2's signed set and the docs) that localcloud does not
# serve: LiveChannel, image/video processing, versioning, callbacks' async forms, selects.
UNSERVED_OBJECT = frozenset(
    "live comp vod status startTime endTime x-oss-process x-oss-async-process versionId versions "
    "objectInfo link group style styleName x-oss-write-get-object-response "
    "cors lifecycle logging website referer policy encryption versioning replication inventory worm "
    "qos stat bucketInfo location".split()
)

RAM_ACTIONS: dict[str, str] = {
    "PutObjectTagging": "oss:PutObjectTagging",
    "GetObjectTagging": "oss:GetObjectTagging",
    "DeleteObjectTagging": "oss:DeleteObjectTagging",
    "PutObjectAcl": "oss:PutObjectAcl",
    "GetObjectAcl": "oss:GetObjectAcl",
    "PutSymlink": "oss:PutObject",
    "GetSymlink": "oss:GetObject",
    "RestoreObject": "oss:RestoreObject",
    "GetObjectSnapshot": "oss:GetObject",
    "UploadPartCopy": "oss:PutObject",
    "PutBucketTags": "oss:PutBucketTagging",
    "GetBucketTags": "oss:GetBucketTagging",
    "DeleteBucketTags": "oss:DeleteBucketTagging",
    "PutBucketAcl": "oss:PutBucketAcl",
    "GetBucketAcl": "oss:GetBucketAcl",
    "GetBucketStat": "oss:GetBucketStat",
    "PutBucketPublicAccessBlock": "oss:PutBucketPublicAccessBlock",
    "GetBucketPublicAccessBlock": "oss:GetBucketPublicAccessBlock",
    "DeleteBucketPublicAccessBlock": "oss:DeleteBucketPublicAccessBlock",
    "PutPublicAccessBlock": "oss:PutPublicAccessBlock",
    "GetPublicAccessBlock": "oss:GetPublicAccessBlock",
    "DeletePublicAccessBlock": "oss:DeletePublicAccessBlock",
}


# Request headers asking for behaviour localcloud cannot give: server-side encryption of an object
# (stored and reported per object). Upload callbacks are served (callback.py).
UNSERVED_HEADERS = ("x-oss-server-side-encryption", "x-oss-server-side-data-encryption")


def object_op(method: str, params: Mapping[str, str], headers: Mapping[str, str]) -> str | None:
    if method in ("PUT", "POST") and any(h in headers for h in UNSERVED_HEADERS):
        return NOT_IMPLEMENTED
    if method == "GET" and params.get("x-oss-process", "").startswith("video/snapshot"):
        return "GetObjectSnapshot"  # localcloud/oss/snapshot.py; other processing stays NotImplemented
    for (verb, sub), operation in _OBJECT.items():
        if method == verb and sub in params:
            return operation
    if method == "PUT" and "partNumber" in params and "uploadId" in params and "x-oss-copy-source" in headers:
        return "UploadPartCopy"
    if any(p in UNSERVED_OBJECT for p in params) or any(sub in params for _, sub in _OBJECT):
        return NOT_IMPLEMENTED  # e.g. POST ?tagging, PUT ?live
    return None


def service_op(method: str, params: Mapping[str, str]) -> str | None:
    for (verb, sub), operation in _SERVICE.items():
        if method == verb and sub in params:
            return operation
    return None


def bucket_op(method: str, params: Mapping[str, str]) -> str | None:
    for (verb, sub), operation in _BUCKET.items():
        if method == verb and sub in params:
            return operation
    return None
