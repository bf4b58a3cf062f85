"""Bucket configurations the model stores as parsed dicts: which kinds exist and how each is checked.

CORS dict (what the HTTP layer parses `<CORSConfiguration>` into)::

    {"rules": [{"allowed_origins": [str], "allowed_methods": [str], "allowed_headers": [str],
                "expose_headers": [str], "max_age_seconds": int | None}], "response_vary": bool}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import InvalidArgument, OSSError
from . import bucket_policy, lifecycle, overwrite, tags

ACLS = ("private", "public-read", "public-read-write")


def validate_acl(doc: dict[str, Any]) -> dict[str, Any]:
    """{"acl": "private" | "public-read" | "public-read-write"}."""
    acl = doc.get("acl")
    if acl not in ACLS:
        raise InvalidArgument("no such bucket access control exists", "x-oss-acl", acl)
    return {"acl": acl}


def validate_tagging(doc: dict[str, Any]) -> dict[str, Any]:
    """{"tags": [[key, value], ...]} within the bucket-tag limits."""
    raw = doc.get("tags")
    if not isinstance(raw, list):
        raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
    checked = tags.validate_bucket_tags(tuple((str(k), str(v)) for k, v in raw))
    return {"tags": [list(t) for t in checked]}


def validate_public_access_block(doc: dict[str, Any]) -> dict[str, Any]:
    """{"block_public_access": bool} (PutBucketPublicAccessBlock / PutPublicAccessBlock)."""
    value = doc.get("block_public_access")
    if not isinstance(value, bool):
        raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
    return {"block_public_access": value}


SSE_ALGORITHMS = ("AES256", "KMS", "SM4")


def validate_sse(doc: dict[str, Any]) -> dict[str, Any]:
    """The default encryption a bucket was created with (PutBucket's `x-oss-server-side-encryption`,
    `-data-encryption` and `-encryption-key-id` headers): {"algorithm", "data_encryption", "key_id"}.
    Reported by GetBucketInfo; localcloud stores plain bytes whatever it says."""
    algorithm = doc.get("algorithm")
    if algorithm not in SSE_ALGORITHMS:
        raise InvalidArgument("x-oss-server-side-encryption must be AES256, KMS or SM4.",
                              "x-oss-server-side-encryption", algorithm)
    data, key_id = doc.get("data_encryption"), doc.get("key_id")
    if data is not None and (algorithm != "KMS" or data != "SM4"):
        raise InvalidArgument("x-oss-server-side-data-encryption is SM4, and only with KMS.",
                              "x-oss-server-side-data-encryption", data)
    if key_id is not None and algorithm != "KMS":
        raise InvalidArgument("x-oss-server-side-encryption-key-id is only for KMS.",
                              "x-oss-server-side-encryption-key-id", key_id)
    return {"algorithm": algorithm, "data_encryption": data, "key_id": key_id}


def blocks_public_access(doc: dict[str, Any] | None) -> bool:
    return bool(doc and doc.get("block_public_access"))


_METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD"}


def validate_cors(doc: dict[str, Any]) -> dict[str, Any]:
    rules = doc.get("rules")
    if not isinstance(rules, list) or not rules:
        raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
    if len(rules) > 10:
        raise InvalidArgument("A CORS config holds at most 10 rules.", "CORSRule")
    out = []
    for rule in rules:
        if not isinstance(rule, dict):
            raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
        origins = [str(o) for o in rule.get("allowed_origins") or []]
        methods = [str(m).upper() for m in rule.get("allowed_methods") or []]
        if not origins or not methods:
            raise InvalidArgument("A CORS rule needs AllowedOrigin and AllowedMethod.", "CORSRule")
        if not set(methods) <= _METHODS:
            raise InvalidArgument(f"AllowedMethod must be one of {sorted(_METHODS)}.", "AllowedMethod")
        if sum(o.count("*") for o in origins if o != "*") > len(origins):
            raise InvalidArgument("An AllowedOrigin holds at most one '*'.", "AllowedOrigin")
        max_age = rule.get("max_age_seconds")
        out.append({
            "allowed_origins": origins,
            "allowed_methods": methods,
            "allowed_headers": [str(h) for h in rule.get("allowed_headers") or []],
            "expose_headers": [str(h) for h in rule.get("expose_headers") or []],
            "max_age_seconds": int(max_age) if max_age is not None else None,
        })
    return {"rules": out, "response_vary": bool(doc.get("response_vary", False))}


KINDS: dict[str, tuple[Callable[[dict[str, Any]], dict[str, Any]], OSSError]] = {
    "lifecycle": (lifecycle.validate, OSSError(
        "NoSuchLifecycle", "No Row found in Lifecycle Table.", 404)),
    "cors": (validate_cors, OSSError(
        "NoSuchCORSConfiguration", "The CORS configuration does not exist.", 404)),
    "overwrite": (overwrite.validate, OSSError(
        "NoSuchOverwriteConfiguration", "The overwrite configuration does not exist.", 404)),
    "policy": (bucket_policy.validate, bucket_policy.missing()),
    "acl": (validate_acl, OSSError("NoSuchBucketAcl", "The bucket has the default ACL.", 404)),
    "tagging": (validate_tagging, OSSError("NoSuchTagSet", "The TagSet does not exist.", 404)),
    "sse": (validate_sse, OSSError("NoSuchServerSideEncryptionRule", "The bucket has no encryption rule.", 404)),
    # a bucket without one answers the default (false) on GET; this 404 never reaches a client
    "public_access_block": (validate_public_access_block, OSSError(
        "NoSuchPublicAccessBlockConfiguration", "The public access block configuration does not exist.", 404)),
}


def missing(kind: str) -> OSSError:
    """A fresh 404 error for a bucket without that config."""
    template = KINDS[kind][1]
    return OSSError(template.code, template.message, template.status)


def validate(kind: str, doc: dict[str, Any]) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown config kind {kind!r}")
    if not isinstance(doc, dict):
        raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
    return KINDS[kind][0](doc)
