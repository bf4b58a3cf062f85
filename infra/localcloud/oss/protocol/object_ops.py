"""Object operations: Put, Get, Head, GetObjectMeta, Append, Copy, Delete, DeleteMultiple."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

from localcloud.oss.errors import (
    AccessDenied,
    EntityTooLarge,
    InvalidArgument,
    InvalidDigest,
    MissingContentLength,
    PreconditionFailed,
)
from localcloud.oss.model import events
from localcloud.oss.model.names import validate_key
from localcloud.oss.model.types import MAX_OBJECT_SIZE
from localcloud.oss.protocol import actions, attr_ops, callback, compression, objectio, policy_ops, xml
from localcloud.oss.protocol.context import Call
from localcloud.oss.protocol.request import BodyReader
from localcloud.oss.protocol.responses import Response, http_date, iso_date, xml_response
from localcloud.oss.protocol.zerocopy import FileBody

MAX_DELETE_BODY = 2 * 1024 * 1024
MAX_DELETE_KEYS = 1000


def body_and_length(call: Call) -> tuple[BodyReader, int | None]:
    """The upload body and its length (None when chunked), refusing oversize before reading."""
    req = call.req
    if req.chunked:
        return objectio.CappedReader(req.body), None
    if req.content_length is None:
        raise MissingContentLength()
    if req.content_length > MAX_OBJECT_SIZE:
        raise EntityTooLarge()
    return req.body, req.content_length


def forbid_overwrite(call: Call) -> bool:
    return call.req.header("x-oss-forbid-overwrite").lower() == "true"


def put_object(call: Call) -> Response:
    hook = callback.parse(call.req)  # a bad callback header is refused before anything is written
    body, length = body_and_length(call)
    info = call.store.put_object(
        call.bucket, call.key, body=body, length=length, headers=objectio.object_headers(call.req.headers),
        forbid_overwrite=forbid_overwrite(call), content_md5=objectio.content_md5(call.req.headers),
        caller=call.caller, attrs=attr_ops.write_attrs(call),
    )
    if hook is not None:
        return callback.run(hook, call.bucket, info, call.req.request_id)
    return Response(200, objectio.write_headers(info))


def _read(call: Call, head: bool) -> Response:
    link = call.store.head_object(call.bucket, call.key)
    target = attr_ops.resolve(call, link)
    now = call.clock.now()
    if not head:
        attr_ops.check_readable(target, now)
    info, reader = call.store.open_object(call.bucket, target.key)
    try:
        if not objectio.check_conditions(info, call.req.headers):
            reader.close()
            return Response(304, {"ETag": f'"{info.etag}"', "Last-Modified": http_date(info.last_modified)})
        headers = objectio.read_headers(info, call.req.params)
        headers.update(attr_ops.read_attr_headers(info, now))
        if link.object_type == "Symlink":  # the link's own user metadata, not the target's
            headers = {k: v for k, v in headers.items() if not k.lower().startswith(objectio.META_PREFIX)}
            headers.update({objectio.META_PREFIX + k: v for k, v in link.headers.meta.items()})
            headers["x-oss-object-type"] = "Symlink"
        span = objectio.parse_range(call.req.header("range"), info.size)
        # the whole object's CRC-64, on a ranged answer too: OSS sends the object's value whatever the
        # range (aliyun-oss-java-sdk#256: the same server CRC for every range; SDKs skip the check there)
        headers["x-oss-hash-crc64ecma"] = str(info.crc64)
        if not head and compression.wanted(call.req.header("accept-encoding"), info.headers.content_type or "",
                                           info.size, span is not None):
            return Response(200, compression.headers(headers), stream=compression.gzip_stream(reader, info.size),
                            on_close=reader.close)
        if span is None:
            start, length, status = 0, info.size, 200
        else:
            start, length, status = span[0], span[1] - span[0] + 1, 206
            headers["Content-Range"] = f"bytes {span[0]}-{span[1]}/{info.size}"
        if head:
            reader.close()
            return Response(status, headers, length=length, stream=iter(()))
    except BaseException:
        reader.close()
        raise
    return Response(status, headers, stream=FileBody(reader, start, length), length=length)  # type: ignore[arg-type]


def get_object(call: Call) -> Response:
    return _read(call, head=False)


def head_object(call: Call) -> Response:
    return _read(call, head=True)


def get_object_meta(call: Call) -> Response:
    info = call.store.head_object(call.bucket, call.key)
    headers = {
        "ETag": f'"{info.etag}"',
        "Last-Modified": http_date(info.last_modified),
        "x-oss-hash-crc64ecma": str(info.crc64),
    }
    return Response(200, headers, length=info.size, stream=iter(()))


def append_object(call: Call) -> Response:
    raw = call.req.params.get("position", "")
    if not raw.isdigit():
        raise InvalidArgument("position must be a non-negative integer.", "position", raw)
    body, length = body_and_length(call)
    info = call.store.append_object(
        call.bucket, call.key, position=int(raw), body=body, length=length,
        headers=objectio.object_headers(call.req.headers), content_md5=objectio.content_md5(call.req.headers),
        caller=call.caller, attrs=attr_ops.write_attrs(call),
    )
    headers = objectio.write_headers(info)
    headers["x-oss-next-append-position"] = str(info.next_append_position if info.next_append_position
                                                is not None else info.size)
    return Response(200, headers)




def copy_object(call: Call) -> Response:
    src_bucket, src_key = actions.parse_copy_source(call.req.header("x-oss-copy-source"))
    directive = call.req.header("x-oss-metadata-directive", "COPY").upper()
    if directive not in ("COPY", "REPLACE"):
        raise InvalidArgument("x-oss-metadata-directive must be COPY or REPLACE.", "x-oss-metadata-directive",
                               directive)
    source = attr_ops.resolve(call, call.store.head_object(src_bucket, src_key))  # a symlink copies its target
    src_key = source.key
    _copy_conditions(call, src_bucket, src_key)
    headers = objectio.object_headers(call.req.headers) if directive == "REPLACE" else None
    attr_ops.check_readable(source, call.clock.now())
    info = call.store.copy_object(
        call.bucket, call.key, src_bucket=src_bucket, src_key=src_key, headers=headers,
        forbid_overwrite=forbid_overwrite(call), caller=call.caller, attrs=attr_ops.copy_attrs(call),
    )
    root = xml.element("CopyObjectResult")
    xml.sub(root, "ETag", f'"{info.etag}"')
    xml.sub(root, "LastModified", iso_date(info.last_modified))
    return xml_response(root, headers=objectio.write_headers(info))


def _copy_conditions(call: Call, bucket: str, key: str) -> None:
    names = ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since")
    wanted = {n: call.req.header("x-oss-copy-source-" + n) for n in names}
    wanted = {n: v for n, v in wanted.items() if v}
    if not wanted:
        return
    info = call.store.head_object(bucket, key)
    if not objectio.check_conditions(info, wanted):
        raise PreconditionFailed()


def delete_object(call: Call) -> Response:
    call.store.delete_object(call.bucket, call.key, caller=call.caller)
    return Response(204)


def delete_multiple(call: Call) -> Response:
    md5 = objectio.content_md5(call.req.headers)
    if md5 is None:
        raise InvalidDigest("DeleteMultipleObjects needs a Content-MD5 header.")
    body = call.req.read_small(MAX_DELETE_BODY)
    if base64.b64encode(hashlib.md5(body).digest()).decode() != md5:  # noqa: S324 - protocol checksum
        raise InvalidDigest()
    root = xml.parse_lenient(body, "Delete")
    quiet = (xml.text(root, "Quiet", "false") or "false").strip().lower() == "true"
    keys = [xml.restore(k) for k in xml.texts(root, "Object/Key")]
    if not keys or len(keys) > MAX_DELETE_KEYS:
        raise xml.malformed("Delete holds 1 to 1000 Object elements.")
    doc = policy_ops.stored_policy(call.store, call.bucket)
    for key in keys:
        validate_key(key)
        check = actions.object_check("oss:DeleteObject", call.bucket, key, call.context)
        if not policy_ops.allows(call, check, doc):
            raise AccessDenied()
    for key in dict.fromkeys(keys):
        call.store.delete_object(call.bucket, key, event_name=events.DELETE_MULTIPLE, caller=call.caller)
    encode = call.req.params.get("encoding-type") == "url"
    out = xml.element("DeleteResult")
    if encode:
        xml.sub(out, "EncodingType", "url")
    if not quiet:
        for key in keys:
            xml.sub(xml.sub(out, "Deleted"), "Key", quote(key, safe="/") if encode else key)
    return xml_response(out)
