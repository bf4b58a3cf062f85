"""Block Public Access (OSS's real API and effect), bucket-level and account-level.

API: `PUT|GET|DELETE /?publicAccessBlock` on a bucket (Put/Get/DeleteBucketPublicAccessBlock) and
on the service endpoint (Put/Get/DeletePublicAccessBlock, the whole account), body
`<PublicAccessBlockConfiguration><BlockPublicAccess>true</BlockPublicAccess></...>`. oss2 sends
`True` / `False` capitalised, so the value is read case-insensitively.

Effect, as OSS documents it ("existing public access permissions are ignored and no new public
access permissions can be configured") when the bucket's or the account's setting is on:
- anonymous requests get no grant from a public bucket or object ACL (`acl.anonymous`);
- a public ACL (public-read / public-read-write) is refused with 403 AccessDenied wherever it is
  set: PutBucketAcl, PutObjectAcl, PutBucket `x-oss-acl`, and `x-oss-object-acl` on a write;
- a bucket policy with a public statement (`bucket_policy.is_public`) is refused by PutBucketPolicy,
  and the public statements of a policy already stored are left out of every decision.
Where localcloud simplifies: GET on a bucket or account without a setting answers the documented
default (`false`) instead of an error, and the refusal message is localcloud's own wording.
"""

from __future__ import annotations

from typing import Any

from localcloud.oss.errors import AccessDenied, OSSError
from localcloud.oss.protocol import xml
from localcloud.oss.protocol.context import Call
from localcloud.oss.protocol.responses import Response, xml_response

KIND = "public_access_block"
PUBLIC_ACLS = frozenset(("public-read", "public-read-write"))
MAX_BODY = 16 * 1024


def _parse(body: bytes) -> dict[str, Any]:
    root = xml.parse(body, "PublicAccessBlockConfiguration")
    raw = (xml.text(root, "BlockPublicAccess", "false") or "false").strip().lower()
    if raw not in ("true", "false"):
        raise xml.malformed("BlockPublicAccess must be true or false.")
    return {"block_public_access": raw == "true"}


def _render(blocked: bool) -> Response:
    root = xml.element("PublicAccessBlockConfiguration")
    xml.sub(root, "BlockPublicAccess", "true" if blocked else "false")
    return xml_response(root)


# -- bucket level ---------------------------------------------------------------------------------

def put_bucket(call: Call) -> Response:
    call.store.put_config(call.bucket, KIND, _parse(call.req.read_small(MAX_BODY)))
    return Response(200)


def get_bucket(call: Call) -> Response:
    try:
        doc = call.store.get_config(call.bucket, KIND)
    except OSSError as err:
        if err.code == "NoSuchBucket":
            raise
        doc = None  # none set: the documented default
    return _render(bool(doc and doc["block_public_access"]))


def delete_bucket(call: Call) -> Response:
    call.store.delete_config(call.bucket, KIND)
    return Response(204)


# -- account level --------------------------------------------------------------------------------

def put_account(call: Call) -> Response:
    call.store.account.put(KIND, _parse(call.req.read_small(MAX_BODY)))
    return Response(200)


def get_account(call: Call) -> Response:
    doc = call.store.account.get(KIND)
    return _render(bool(doc and doc["block_public_access"]))


def delete_account(call: Call) -> Response:
    call.store.account.delete(KIND)
    return Response(204)


HANDLERS = {
    "PutBucketPublicAccessBlock": put_bucket, "GetBucketPublicAccessBlock": get_bucket,
    "DeleteBucketPublicAccessBlock": delete_bucket, "PutPublicAccessBlock": put_account,
    "GetPublicAccessBlock": get_account, "DeletePublicAccessBlock": delete_account,
}
RAM_ACTIONS = {name: f"oss:{name}" for name in HANDLERS}


# -- the effect -----------------------------------------------------------------------------------

def _blocked_error(what: str) -> AccessDenied:
    return AccessDenied(f"Public access is blocked for this bucket (Block Public Access): {what} is not allowed.")


def refuse_public_acl(store: Any, bucket: str | None, acl: str | None) -> None:
    """403 when `acl` is public and Block Public Access is on for `bucket` or the account."""
    if acl in PUBLIC_ACLS and store.public_access_blocked(bucket):
        raise _blocked_error(f"the ACL {acl}")


def refuse_public_policy(store: Any, bucket: str, public: bool) -> None:
    if public and store.public_access_blocked(bucket):
        raise _blocked_error("a bucket policy that grants public access")
