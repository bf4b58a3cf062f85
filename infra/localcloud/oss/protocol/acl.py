"""Anonymous access, decided by ACLs as OSS decides it.

An unsigned request is allowed when the ACL that governs it grants it: the object's own ACL when
it has one (not "default"), else the bucket's. `public-read` opens reads (GET/HEAD, listings);
`public-read-write` also opens writes. Everything else is 403 AccessDenied with OSS's message.
Signed requests stay governed by RAM policies alone (see docs/localcloud.md). With Block Public
Access on for the bucket or the account, no ACL grants anything to an anonymous request.
"""

from __future__ import annotations

from typing import Any

from localcloud.oss.errors import OSSError
from localcloud.oss.protocol import attr_ops
from localcloud.oss.protocol.routing import Route
from localcloud.ram.principal import Principal

READS = frozenset("GetObject HeadObject GetObjectMeta GetSymlink ListObjects ListObjectsV2".split())
WRITES = frozenset(
    "PutObject AppendObject DeleteObject DeleteMultipleObjects InitiateMultipartUpload UploadPart "
    "CompleteMultipartUpload AbortMultipartUpload ListParts ListMultipartUploads PutSymlink".split()
)
DENIED = "You have no right to access this object because of bucket acl."
_GRANTED = {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": "*"}]}


def governing_acl(store: Any, route: Route) -> str:
    """The ACL that decides for `route`: the object's own, else its bucket's."""
    assert route.bucket is not None
    if route.key is not None:
        try:
            own = store.head_object(route.bucket, route.key).acl
        except OSSError:
            own = "default"
        if own != "default":
            return str(own)
    return attr_ops.bucket_acl(store, route.bucket)


def anonymous(operation: str, route: Route, store: Any) -> Principal:
    """The anonymous principal for an operation an ACL grants; 403 AccessDenied otherwise."""
    if route.bucket is None or operation not in READS | WRITES:
        raise OSSError("AccessDenied", DENIED, 403)
    if store.public_access_blocked(route.bucket):  # Block Public Access: public ACLs are ignored
        store.bucket_info(route.bucket)  # a missing bucket still answers NoSuchBucket
        raise OSSError("AccessDenied", DENIED, 403)
    try:
        grant = governing_acl(store, route)
    except OSSError as err:
        if err.code == "NoSuchBucket":
            raise
        raise OSSError("AccessDenied", DENIED, 403) from err
    allowed = (grant == "public-read-write") or (grant == "public-read" and operation in READS)
    if not allowed:
        raise OSSError("AccessDenied", DENIED, 403)
    return Principal(access_key_id="", secret="", arn="anonymous", principal_id="anonymous", kind="user",
                     policies=(_GRANTED,), session_policy=None, expiration=None)
