"""Multipart upload: Initiate, UploadPart, Complete (XML list or `x-oss-complete-all: yes`),
Abort, ListParts."""

from __future__ import annotations

from urllib.parse import quote

from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.protocol import attr_ops, callback, listing, objectio, xml
from localcloud.oss.protocol.context import Call
from localcloud.oss.protocol.object_ops import body_and_length, forbid_overwrite
from localcloud.oss.protocol.responses import Response, iso_date, xml_response

MAX_PARTS = 10000
MAX_COMPLETE_BODY = 2 * 1024 * 1024


def _bad(message: str, name: str = "", value: object = "") -> OSSError:
    return InvalidArgument(message, name, value)


def _upload_id(call: Call) -> str:
    upload_id = call.req.params.get("uploadId", "")
    if not upload_id:
        raise _bad("uploadId must not be empty.", "uploadId", upload_id)
    return upload_id


def initiate(call: Call) -> Response:
    upload = call.store.initiate_multipart(
        call.bucket, call.key, headers=objectio.object_headers(call.req.headers),
        forbid_overwrite=forbid_overwrite(call), caller=call.caller, attrs=attr_ops.write_attrs(call),
    )
    encode = call.req.params.get("encoding-type") == "url"
    root = xml.element("InitiateMultipartUploadResult")
    xml.sub(root, "Bucket", call.bucket)
    xml.sub(root, "Key", quote(call.key, safe="/") if encode else call.key)
    xml.sub(root, "UploadId", upload.upload_id)
    if encode:
        xml.sub(root, "EncodingType", "url")
    return xml_response(root)


def upload_part(call: Call) -> Response:
    raw = call.req.params.get("partNumber", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PARTS:
        raise _bad("partNumber must be an integer between 1 and 10000.", "partNumber", raw)
    body, length = body_and_length(call)
    part = call.store.upload_part(
        call.bucket, call.key, upload_id=_upload_id(call), part_number=int(raw), body=body, length=length,
        content_md5=objectio.content_md5(call.req.headers),
    )
    return Response(200, {"ETag": f'"{part.etag}"', "x-oss-hash-crc64ecma": str(part.crc64)})


def _parts(body: bytes) -> list[tuple[int, str]]:
    root = xml.parse(body, "CompleteMultipartUpload")
    parts = []
    for node in root.findall("Part"):
        number, etag = xml.text(node, "PartNumber"), xml.text(node, "ETag")
        if number is None or etag is None or not number.strip().isdigit():
            raise xml.malformed()
        parts.append((int(number), etag.strip().strip('"').upper()))
    if not parts:
        raise xml.malformed()
    return parts


def complete(call: Call) -> Response:
    body = call.req.read_small(MAX_COMPLETE_BODY)
    complete_all = call.req.header("x-oss-complete-all").lower() == "yes"
    if complete_all:
        if body.strip():
            raise _bad("x-oss-complete-all: yes takes no body.")
        parts = None
    else:
        parts = _parts(body)
    hook = callback.parse(call.req)
    info = call.store.complete_multipart(
        call.bucket, call.key, upload_id=_upload_id(call), parts=parts, complete_all=complete_all,
        forbid_overwrite=forbid_overwrite(call), caller=call.caller,
    )
    encode = call.req.params.get("encoding-type") == "url"
    root = xml.element("CompleteMultipartUploadResult")
    if encode:
        xml.sub(root, "EncodingType", "url")
    xml.sub(root, "Location", f"/{call.bucket}/{quote(call.key, safe='/')}")
    xml.sub(root, "Bucket", call.bucket)
    xml.sub(root, "Key", quote(call.key, safe="/") if encode else call.key)
    xml.sub(root, "ETag", f'"{info.etag}"')
    if hook is not None:
        return callback.run(hook, call.bucket, info, call.req.request_id)
    return xml_response(root, headers=objectio.write_headers(info))


def abort(call: Call) -> Response:
    call.store.abort_multipart(call.bucket, call.key, upload_id=_upload_id(call))
    return Response(204)


def list_parts(call: Call) -> Response:
    params = call.req.params
    marker_raw = params.get("part-number-marker", "") or "0"
    if not marker_raw.isdigit():
        raise _bad("part-number-marker must be an integer.")
    max_parts = listing.max_keys(params, "max-parts", 1000)
    result = call.store.list_parts(call.bucket, call.key, upload_id=_upload_id(call),
                                  part_number_marker=int(marker_raw), max_parts=max_parts)
    encode = listing.encoding(params)
    root = xml.element("ListPartsResult")
    xml.sub(root, "Bucket", call.bucket)
    xml.sub(root, "Key", quote(call.key, safe="/") if encode else call.key)
    xml.sub(root, "UploadId", result.upload.upload_id)
    xml.sub(root, "PartNumberMarker", result.part_number_marker)
    xml.sub(root, "NextPartNumberMarker", result.next_part_number_marker)
    xml.sub(root, "MaxParts", result.max_parts)
    xml.sub(root, "IsTruncated", "true" if result.is_truncated else "false")
    if encode:
        xml.sub(root, "EncodingType", "url")
    for part in result.parts:
        node = xml.sub(root, "Part")
        xml.sub(node, "PartNumber", part.part_number)
        xml.sub(node, "LastModified", iso_date(part.last_modified))
        xml.sub(node, "ETag", f'"{part.etag}"')
        xml.sub(node, "HashCrc64ecma", part.crc64)
        xml.sub(node, "Size", part.size)
    return xml_response(root)
