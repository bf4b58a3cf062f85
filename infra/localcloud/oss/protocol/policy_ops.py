"""PutBucketPolicy / GetBucketPolicy / DeleteBucketPolicy (`?policy`): a JSON document, not XML.

The body is the policy text as oss2's `put_bucket_policy` sends it; GET answers the stored
document as JSON. The grammar, the 16 KB limit and evaluation live in
`localcloud.oss.model.bucket_policy`.
"""

from __future__ import annotations

import json
from typing import Any

from localcloud.oss.errors import OSSError
from localcloud.oss.model import bucket_policy
from localcloud.oss.protocol import public_access
from localcloud.oss.protocol.actions import Check
from localcloud.oss.protocol.context import Call
from localcloud.oss.protocol.responses import Response


def put_policy(call: Call) -> Response:
    try:
        text = call.req.read_small(bucket_policy.MAX_POLICY_BYTES)
    except OSSError as exc:
        if exc.code != "EntityTooLarge":
            raise
        raise bucket_policy.invalid(f"a policy holds at most {bucket_policy.MAX_POLICY_BYTES} bytes") from None
    doc = bucket_policy.parse(text)
    bucket_policy.check_resources(doc, call.bucket, call.account_id)
    public_access.refuse_public_policy(call.store, call.bucket, bucket_policy.is_public_document(doc))
    call.store.put_config(call.bucket, "policy", doc)
    return Response(200)


def get_policy(call: Call) -> Response:
    doc = call.store.get_config(call.bucket, "policy")
    body = json.dumps(doc, separators=(",", ":")).encode()
    return Response(200, {"Content-Type": "application/json"}, body)


def delete_policy(call: Call) -> Response:
    call.store.delete_config(call.bucket, "policy")
    return Response(204)


def stored_policy(store: Any, bucket: str | None) -> dict[str, Any] | None:
    """The bucket's policy document (None without one, or when the bucket does not exist)."""
    if bucket is None:
        return None
    try:
        doc = store.get_config(bucket, "policy")
    except OSSError:
        return None
    return doc if isinstance(doc, dict) else None


def allows(call: Call, check: Check, doc: dict[str, Any] | None) -> bool:
    """RAM and the bucket policy together (explicit deny in either wins) allow `check`."""
    decision = bucket_policy.combine(call.principal, doc, check.action, check.resource, check.context,
                                     call.region, call.account_id, ignore_public=call.public_blocked)
    return decision == "Allow"
