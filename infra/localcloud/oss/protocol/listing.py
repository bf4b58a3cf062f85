"""ListObjects (v1 and v2) and ListMultipartUploads: argument checks and result documents.

`encoding-type=url` encodes keys, prefixes and markers with `%20` for spaces (oss2 decodes them
with `unquote`). The v2 continuation token is opaque to clients: base64url of the last key.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.model.types import Listing, UploadListing
from localcloud.oss.protocol import objectio, xml
from localcloud.oss.protocol.responses import iso_date

MAX_KEYS = 1000


def _bad(message: str, name: str = "", value: object = "") -> OSSError:
    return InvalidArgument(message, name, value)


@dataclass(frozen=True)
class ListArgs:
    prefix: str
    delimiter: str
    start_after: str
    max_keys: int
    encode: bool
    v2: bool
    marker: str = ""
    token: str | None = None
    start_after_param: str = ""
    fetch_owner: bool = False


def max_keys(params: Mapping[str, str], name: str = "max-keys", default: int = 100) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise _bad(f"{name} must be an integer between 0 and {MAX_KEYS}.", name, raw) from exc
    if value < 0 or value > MAX_KEYS:
        raise _bad(f"{name} must be an integer between 0 and {MAX_KEYS}.", name, raw)
    return value


def encoding(params: Mapping[str, str]) -> bool:
    value = params.get("encoding-type")
    if value is None or value == "":
        return False
    if value != "url":
        raise _bad("encoding-type must be url.", "encoding-type", value)
    return True


def encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode()


def decode_token(token: str) -> str:
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _bad("The continuation token is not valid.", "continuation-token", token) from exc


def list_args(params: Mapping[str, str]) -> ListArgs:
    prefix = params.get("prefix", "")
    delimiter = params.get("delimiter", "")
    if len(delimiter) > 1:
        raise _bad("delimiter must be a single character.", "delimiter", delimiter)
    if len(prefix.encode()) > 1023:
        raise _bad("prefix must be at most 1023 bytes.")
    keys = max_keys(params)
    encode = encoding(params)
    if params.get("list-type") == "2":
        token = params.get("continuation-token") or None
        start_after = params.get("start-after", "")
        start = start_after
        if token is not None:
            start = max(start_after, decode_token(token))
        return ListArgs(prefix, delimiter, start, keys, encode, True, token=token,
                        start_after_param=start_after, fetch_owner=params.get("fetch-owner") == "true")
    marker = params.get("marker", "")
    return ListArgs(prefix, delimiter, marker, keys, encode, False, marker=marker)


def _enc(value: str, encode: bool) -> str:
    return quote(value, safe="/") if encode else value


def render_objects(bucket: str, args: ListArgs, listing: Listing, owner_id: str, *, now: float = 0.0) -> xml.Element:
    root = xml.element("ListBucketResult")
    e = args.encode
    xml.sub(root, "Name", bucket)
    xml.sub(root, "Prefix", _enc(args.prefix, e))
    if args.v2:
        if args.token is not None:
            xml.sub(root, "ContinuationToken", args.token)
        if args.start_after_param:
            xml.sub(root, "StartAfter", _enc(args.start_after_param, e))
    else:
        xml.sub(root, "Marker", _enc(args.marker, e))
    xml.sub(root, "MaxKeys", args.max_keys)
    xml.sub(root, "Delimiter", _enc(args.delimiter, e))
    if e:
        xml.sub(root, "EncodingType", "url")
    xml.sub(root, "IsTruncated", "true" if listing.is_truncated else "false")
    if listing.is_truncated and listing.next_marker is not None:
        if args.v2:
            xml.sub(root, "NextContinuationToken", encode_token(listing.next_marker))
        else:
            xml.sub(root, "NextMarker", _enc(listing.next_marker, e))
    if args.v2:
        xml.sub(root, "KeyCount", len(listing.contents) + len(listing.common_prefixes))
    for info in listing.contents:
        node = xml.sub(root, "Contents")
        xml.sub(node, "Key", _enc(info.key, e))
        xml.sub(node, "LastModified", iso_date(info.last_modified))
        xml.sub(node, "ETag", f'"{info.etag}"')
        xml.sub(node, "Type", info.object_type)
        xml.sub(node, "Size", info.size)
        xml.sub(node, "StorageClass", info.storage_class)
        restore = objectio.restore_state(info, now)
        if restore is not None:
            xml.sub(node, "RestoreInfo", restore)
        if not args.v2 or args.fetch_owner:
            owner = xml.sub(node, "Owner")
            xml.sub(owner, "ID", owner_id)
            xml.sub(owner, "DisplayName", owner_id)
    for prefix in listing.common_prefixes:
        xml.sub(xml.sub(root, "CommonPrefixes"), "Prefix", _enc(prefix, e))
    return root


@dataclass(frozen=True)
class UploadArgs:
    prefix: str
    delimiter: str
    key_marker: str
    upload_id_marker: str
    max_uploads: int
    encode: bool


def upload_args(params: Mapping[str, str]) -> UploadArgs:
    delimiter = params.get("delimiter", "")
    if len(delimiter) > 1:
        raise _bad("delimiter must be a single character.", "delimiter", delimiter)
    return UploadArgs(
        params.get("prefix", ""),
        delimiter,
        params.get("key-marker", ""),
        params.get("upload-id-marker", ""),
        max_keys(params, "max-uploads", 1000),
        encoding(params),
    )


def render_uploads(bucket: str, args: UploadArgs, listing: UploadListing) -> xml.Element:
    root = xml.element("ListMultipartUploadsResult")
    e = args.encode
    xml.sub(root, "Bucket", bucket)
    if e:
        xml.sub(root, "EncodingType", "url")
    xml.sub(root, "KeyMarker", _enc(args.key_marker, e))
    xml.sub(root, "UploadIdMarker", args.upload_id_marker)
    xml.sub(root, "NextKeyMarker", _enc(listing.next_key_marker, e))
    xml.sub(root, "NextUploadIdMarker", listing.next_upload_id_marker)
    xml.sub(root, "Delimiter", _enc(args.delimiter, e))
    xml.sub(root, "Prefix", _enc(args.prefix, e))
    xml.sub(root, "MaxUploads", args.max_uploads)
    xml.sub(root, "IsTruncated", "true" if listing.is_truncated else "false")
    for upload in listing.uploads:
        node = xml.sub(root, "Upload")
        xml.sub(node, "Key", _enc(upload.key, e))
        xml.sub(node, "UploadId", upload.upload_id)
        xml.sub(node, "StorageClass", upload.storage_class)
        xml.sub(node, "Initiated", iso_date(upload.initiated))
    for prefix in listing.common_prefixes:
        xml.sub(xml.sub(root, "CommonPrefixes"), "Prefix", _enc(prefix, e))
    return root
