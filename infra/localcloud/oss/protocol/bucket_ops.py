"""Service and bucket operations: ListBuckets, Put/DeleteBucket, bucket info and location,
lifecycle / CORS / overwrite configurations, ListObjects v1/v2, ListMultipartUploads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.model.types import BucketInfo
from localcloud.oss.protocol import attr_ops, configs, cors, listing, public_access, xml
from localcloud.oss.protocol.context import Call
from localcloud.oss.protocol.responses import Response, iso_date, xml_response
from localcloud.oss.protocol.routing import BUCKET_RE

MAX_CONFIG_BYTES = 256 * 1024
RESOURCE_GROUP = "rg-default-id"
"""What OSS reports for a bucket in the account's default resource group."""


def _endpoints(call: Call, info: BucketInfo) -> tuple[str, str]:
    host = call.req.header("host") or "127.0.0.1"
    return host, host


def _tagged(call: Call, bucket: str) -> bool:
    """ListBuckets' `tag-key` / `tag-value` filter: the bucket carries that tag (and value, if given)."""
    key = call.req.params.get("tag-key")
    if not key:
        return True
    have = attr_ops.bucket_tags(call.store, bucket)
    value = call.req.params.get("tag-value")
    return key in have and (value is None or have[key] == value)


def list_buckets(call: Call) -> Response:
    params = call.req.params
    prefix = params.get("prefix", "")
    marker = params.get("marker", "")
    limit = listing.max_keys(params, default=1000)
    buckets = sorted(call.store.list_buckets(), key=lambda b: b.name)
    chosen = [b for b in buckets if b.name.startswith(prefix) and b.name > marker and _tagged(call, b.name)]
    truncated = len(chosen) > limit
    chosen = chosen[:limit]
    root = xml.element("ListAllMyBucketsResult")
    if prefix or marker or "max-keys" in params:
        xml.sub(root, "Prefix", prefix)
        xml.sub(root, "Marker", marker)
        xml.sub(root, "MaxKeys", limit)
        xml.sub(root, "IsTruncated", "true" if truncated else "false")
        if truncated and chosen:
            xml.sub(root, "NextMarker", chosen[-1].name)
    owner = xml.sub(root, "Owner")
    xml.sub(owner, "ID", call.account_id)
    xml.sub(owner, "DisplayName", call.account_id)
    node = xml.sub(root, "Buckets")
    for info in chosen:
        extranet, intranet = _endpoints(call, info)
        b = xml.sub(node, "Bucket")
        xml.sub(b, "CreationDate", iso_date(info.created))
        xml.sub(b, "ExtranetEndpoint", extranet)
        xml.sub(b, "IntranetEndpoint", intranet)
        xml.sub(b, "Location", info.location)
        xml.sub(b, "Name", info.name)
        xml.sub(b, "Region", info.region)
        xml.sub(b, "StorageClass", info.storage_class)
        xml.sub(b, "ResourceGroupId", RESOURCE_GROUP)
    return xml_response(root)


def _owned(call: Call) -> bool:
    """Does the bucket exist already? localcloud has one account, so an existing bucket is always
    the caller's own (OSS answers its owner 200, anyone else 409 BucketAlreadyExists)."""
    try:
        call.store.bucket_info(call.bucket)
    except OSSError:
        return False
    return True


def _sse_headers(call: Call) -> dict[str, Any] | None:
    algorithm = call.req.header("x-oss-server-side-encryption")
    if not algorithm:
        return None
    return {"algorithm": algorithm,
            "data_encryption": call.req.header("x-oss-server-side-data-encryption") or None,
            "key_id": call.req.header("x-oss-server-side-encryption-key-id") or None}


def put_bucket(call: Call) -> Response:
    if not BUCKET_RE.match(call.bucket):
        raise OSSError("InvalidBucketName", "The specified bucket is not valid.", 400,
                       extra={"BucketName": call.bucket})
    body = call.req.read_small(MAX_CONFIG_BYTES)
    storage_class, redundancy = "Standard", "LRS"
    if body.strip():
        doc = xml.parse(body, "CreateBucketConfiguration")
        storage_class = attr_ops.storage_class(xml.text(doc, "StorageClass") or "Standard", "StorageClass")
        redundancy = xml.text(doc, "DataRedundancyType") or "LRS"
        if redundancy not in ("LRS", "ZRS"):
            raise InvalidArgument("DataRedundancyType must be LRS or ZRS.", "DataRedundancyType", redundancy)
    acl = call.req.header("x-oss-acl") or None
    if _owned(call):
        return Response(200, {"Location": f"/{call.bucket}"})  # OSS: the owner re-creating its bucket
    public_access.refuse_public_acl(call.store, None, acl)  # only the account's setting exists yet
    call.store.create_bucket(call.bucket, storage_class=storage_class, redundancy=redundancy, acl=acl,
                             sse=_sse_headers(call))
    return Response(200, {"Location": f"/{call.bucket}"})


def delete_bucket(call: Call) -> Response:
    call.store.delete_bucket(call.bucket)
    return Response(204)


def head_bucket(call: Call) -> Response:
    call.store.bucket_info(call.bucket)
    return Response(200)


def bucket_info(call: Call) -> Response:
    info = call.store.bucket_info(call.bucket)
    extranet, intranet = _endpoints(call, info)
    root = xml.element("BucketInfo")
    b = xml.sub(root, "Bucket")
    xml.sub(b, "AccessMonitor", "Disabled")
    xml.sub(b, "CreationDate", iso_date(info.created))
    xml.sub(b, "CrossRegionReplication", "Disabled")
    xml.sub(b, "DataRedundancyType", info.redundancy)
    xml.sub(b, "ExtranetEndpoint", extranet)
    xml.sub(b, "IntranetEndpoint", intranet)
    xml.sub(b, "Location", info.location)
    xml.sub(b, "Name", info.name)
    xml.sub(b, "Region", info.region)
    xml.sub(b, "StorageClass", info.storage_class)
    xml.sub(b, "TransferAcceleration", "Disabled")
    xml.sub(b, "Versioning", "")
    owner = xml.sub(b, "Owner")
    xml.sub(owner, "DisplayName", call.account_id)
    xml.sub(owner, "ID", call.account_id)
    acl = xml.sub(b, "AccessControlList")
    xml.sub(acl, "Grant", attr_ops.bucket_acl(call.store, call.bucket))
    xml.sub(b, "Comment", "")
    xml.sub(b, "ResourceGroupId", RESOURCE_GROUP)
    rule = _stored_sse(call)
    sse = xml.sub(b, "ServerSideEncryptionRule")
    xml.sub(sse, "SSEAlgorithm", rule["algorithm"] if rule else "None")  # what was asked; bytes stay plain
    if rule and rule.get("key_id"):
        xml.sub(sse, "KMSMasterKeyID", rule["key_id"])
    if rule and rule.get("data_encryption"):
        xml.sub(sse, "KMSDataEncryption", rule["data_encryption"])
    return xml_response(root)


def _stored_sse(call: Call) -> dict[str, Any] | None:
    try:
        return call.store.get_config(call.bucket, "sse")  # type: ignore[no-any-return]
    except OSSError as err:
        if err.code == "NoSuchBucket":
            raise
        return None


def bucket_location(call: Call) -> Response:
    info = call.store.bucket_info(call.bucket)
    root = xml.element("LocationConstraint")
    root.text = info.location
    return xml_response(root)


# -- configurations -----------------------------------------------------------------------------

_PARSERS: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "lifecycle": configs.parse_lifecycle,
    "cors": cors.parse,
    "overwrite": configs.parse_overwrite,
}
_RENDERERS: dict[str, Callable[[dict[str, Any]], xml.Element]] = {
    "lifecycle": configs.render_lifecycle,
    "cors": cors.render,
    "overwrite": configs.render_overwrite,
}
_MISSING = {
    "lifecycle": ("NoSuchLifecycle", "No Row found in Lifecycle Table."),
    "cors": ("NoSuchCORSConfiguration", "The CORS configuration does not exist."),
    "overwrite": ("NoSuchOverwriteConfiguration", "The overwrite configuration does not exist."),
}


def put_config(kind: str) -> Callable[[Call], Response]:
    def handler(call: Call) -> Response:
        doc = _PARSERS[kind](call.req.read_small(MAX_CONFIG_BYTES))
        if kind == "lifecycle":  # read by the validation, not stored
            doc["allow_same_action_overlap"] = call.req.header("x-oss-allow-same-action-overlap").lower() == "true"
        call.store.put_config(call.bucket, kind, doc)
        return Response(200)

    return handler


def get_config(kind: str) -> Callable[[Call], Response]:
    def handler(call: Call) -> Response:
        doc = call.store.get_config(call.bucket, kind)
        if doc is None:
            code, message = _MISSING[kind]
            raise OSSError(code, message, 404, extra={"BucketName": call.bucket})
        return xml_response(_RENDERERS[kind](doc))

    return handler


def delete_config(kind: str) -> Callable[[Call], Response]:
    def handler(call: Call) -> Response:
        call.store.delete_config(call.bucket, kind)
        return Response(204)

    return handler


# -- listings -----------------------------------------------------------------------------------

def list_objects(call: Call) -> Response:
    args = listing.list_args(call.req.params)
    result = call.store.list_objects(
        call.bucket, args.prefix, args.delimiter, args.start_after, args.max_keys
    )
    return xml_response(listing.render_objects(call.bucket, args, result, call.account_id, now=call.clock.now()))


def list_uploads(call: Call) -> Response:
    args = listing.upload_args(call.req.params)
    result = call.store.list_uploads(
        call.bucket, args.prefix, args.delimiter, args.key_marker, args.upload_id_marker, args.max_uploads
    )
    return xml_response(listing.render_uploads(call.bucket, args, result))
