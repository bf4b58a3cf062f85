"""Object and bucket attributes: tagging, ACLs, storage classes and restore, symlinks, bucket stat,
UploadPartCopy — the handlers `subresources.py` routes to, and the attribute headers of writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, unquote

from localcloud.oss.errors import InvalidArgument, NoSuchKey, OSSError, PreconditionFailed
from localcloud.oss.model import configs, tags
from localcloud.oss.model.types import ObjectInfo
from localcloud.oss.protocol import actions, objectio, public_access, xml
from localcloud.oss.protocol.context import Call
from localcloud.oss.protocol.responses import Response, http_date, iso_date, xml_response

STORAGE_CLASSES = ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")
ARCHIVED = objectio.ARCHIVED
OBJECT_ACLS = ("default", *configs.ACLS)
MAX_BODY = 64 * 1024
MAX_RESTORE_DAYS = 365


# -- attributes a write carries ---------------------------------------------------------------------

def storage_class(value: str, header: str = "x-oss-storage-class") -> str:
    for known in STORAGE_CLASSES:
        if value.lower() == known.lower():
            return known
    raise InvalidArgument("Invalid storage class.", header, value)


def object_acl(value: str, header: str = "x-oss-object-acl") -> str:
    if value not in OBJECT_ACLS:
        raise InvalidArgument("no such object access control exists", header, value)
    return value


def write_attrs(call: Call, headers: Mapping[str, str] | None = None) -> dict[str, Any]:
    """storage_class / tags / acl of a new object from its request headers (class defaults to the
    bucket's, as OSS does)."""
    h = headers if headers is not None else call.req.headers
    out: dict[str, Any] = {}
    raw_class = h.get("x-oss-storage-class")
    out["storage_class"] = storage_class(raw_class) if raw_class else \
        call.store.bucket_info(call.bucket).storage_class
    if "x-oss-tagging" in h:
        out["tags"] = tags.parse_header(h["x-oss-tagging"])
    if h.get("x-oss-object-acl"):
        out["acl"] = object_acl(h["x-oss-object-acl"])
        public_access.refuse_public_acl(call.store, call.bucket, out["acl"])
    return out


def copy_attrs(call: Call) -> dict[str, Any]:
    """CopyObject: tags copied unless `x-oss-tagging-directive: Replace`; class and ACL from headers."""
    out = write_attrs(call)
    directive = call.req.header("x-oss-tagging-directive", "Copy").lower()
    if directive not in ("copy", "replace"):
        raise InvalidArgument("x-oss-tagging-directive must be Copy or Replace.", "x-oss-tagging-directive",
                               directive)
    if directive == "copy":
        out.pop("tags", None)
    else:
        out.setdefault("tags", ())
    return out


def read_attr_headers(info: ObjectInfo, now: float) -> dict[str, str]:
    """Attribute headers of GET/HEAD: tag count, restore state."""
    out: dict[str, str] = {}
    if info.tags:
        out["x-oss-tagging-count"] = str(len(info.tags))
    restore = objectio.restore_state(info, now)
    if restore is not None:
        out["x-oss-restore"] = restore
    return out


def check_readable(info: ObjectInfo, now: float) -> None:
    """Archive objects are read only after RestoreObject (403 InvalidObjectState)."""
    if info.storage_class in ARCHIVED and info.restored_until <= now:
        raise OSSError("InvalidObjectState", "The operation is not valid for the object's state", 403)


# -- tagging ------------------------------------------------------------------------------------

def _parse_tagging(body: bytes) -> tags.Tags:
    root = xml.parse(body, "Tagging")
    tagset = root.find("TagSet")
    if tagset is None:
        raise xml.malformed()
    out = []
    for node in tagset.findall("Tag"):
        key, value = xml.text(node, "Key"), xml.text(node, "Value", "")
        if key is None:
            raise xml.malformed()
        out.append((key, value or ""))
    return tuple(out)


def _render_tagging(pairs: tags.Tags) -> xml.Element:
    root = xml.element("Tagging")
    tagset = xml.sub(root, "TagSet")
    for key, value in pairs:
        node = xml.sub(tagset, "Tag")
        xml.sub(node, "Key", key)
        xml.sub(node, "Value", value)
    return root


def put_object_tagging(call: Call) -> Response:
    pairs = tags.validate_object_tags(_parse_tagging(call.req.read_small(MAX_BODY)))
    call.store.update_object(call.bucket, call.key, tags=pairs)
    return Response(200)


def get_object_tagging(call: Call) -> Response:
    return xml_response(_render_tagging(call.store.head_object(call.bucket, call.key).tags))


def delete_object_tagging(call: Call) -> Response:
    call.store.update_object(call.bucket, call.key, tags=())
    return Response(204)


def put_bucket_tags(call: Call) -> Response:
    pairs = _parse_tagging(call.req.read_small(MAX_BODY))
    call.store.put_config(call.bucket, "tagging", {"tags": [list(p) for p in pairs]})
    return Response(200)


def get_bucket_tags(call: Call) -> Response:
    try:
        doc = call.store.get_config(call.bucket, "tagging")
    except OSSError as err:
        if err.code != "NoSuchTagSet":
            raise
        doc = {"tags": []}
    return xml_response(_render_tagging(tuple((k, v) for k, v in doc["tags"])))


def delete_bucket_tags(call: Call) -> Response:
    """`?tagging` drops every tag; `?tagging=k1,k2` only those keys (as OSS)."""
    wanted = {k for k in call.req.params.get("tagging", "").split(",") if k}
    if not wanted:
        call.store.delete_config(call.bucket, "tagging")
        return Response(204)
    try:
        doc = call.store.get_config(call.bucket, "tagging")
    except OSSError as err:
        if err.code != "NoSuchTagSet":
            raise
        return Response(204)
    kept = [pair for pair in doc["tags"] if pair[0] not in wanted]
    if kept:
        call.store.put_config(call.bucket, "tagging", {"tags": kept})
    else:
        call.store.delete_config(call.bucket, "tagging")
    return Response(204)


def bucket_tags(store: Any, bucket: str) -> dict[str, str]:
    """A bucket's tags as a dict (empty without any)."""
    try:
        return {k: v for k, v in store.get_config(bucket, "tagging")["tags"]}
    except OSSError as err:
        if err.code != "NoSuchTagSet":
            raise
        return {}


# -- ACLs ---------------------------------------------------------------------------------------

def bucket_acl(store: Any, bucket: str) -> str:
    try:
        return str(store.get_config(bucket, "acl")["acl"])
    except OSSError as err:
        if err.code != "NoSuchBucketAcl":
            raise
        return "private"


def _acl_document(call: Call, grant: str) -> Response:
    root = xml.element("AccessControlPolicy")
    owner = xml.sub(root, "Owner")
    xml.sub(owner, "ID", call.account_id)
    xml.sub(owner, "DisplayName", call.account_id)
    xml.sub(xml.sub(root, "AccessControlList"), "Grant", grant)
    return xml_response(root)


def put_bucket_acl(call: Call) -> Response:
    call.store.bucket_info(call.bucket)
    public_access.refuse_public_acl(call.store, call.bucket, call.req.header("x-oss-acl"))
    call.store.put_config(call.bucket, "acl", {"acl": call.req.header("x-oss-acl")})
    return Response(200)


def get_bucket_acl(call: Call) -> Response:
    return _acl_document(call, bucket_acl(call.store, call.bucket))


def put_object_acl(call: Call) -> Response:
    acl = object_acl(call.req.header("x-oss-object-acl"))
    call.store.head_object(call.bucket, call.key)  # 404 NoSuchKey before a policy refusal
    public_access.refuse_public_acl(call.store, call.bucket, acl)
    call.store.update_object(call.bucket, call.key, acl=acl)
    return Response(200)


def get_object_acl(call: Call) -> Response:
    return _acl_document(call, call.store.head_object(call.bucket, call.key).acl)


# -- storage classes: restore ---------------------------------------------------------------------

RESTORE_TIERS = {"Archive": ("Expedited", "Standard", "Bulk"), "ColdArchive": ("Expedited", "Standard", "Bulk"),
                 "DeepColdArchive": ("Expedited", "Standard")}
MAX_DAYS = {"Archive": 7, "ColdArchive": MAX_RESTORE_DAYS, "DeepColdArchive": MAX_RESTORE_DAYS}


def restore_object(call: Call) -> Response:
    """`<RestoreRequest><Days>n</Days><JobParameters><Tier>..</Tier></JobParameters></RestoreRequest>`,
    checked as OSS documents it: Days 1-7 for Archive, 1-365 for the colder classes; Tier Expedited,
    Standard or Bulk (DeepColdArchive: Expedited or Standard). localcloud restores at once whatever
    the tier (202 the first time, 200 while a restored copy exists)."""
    info = call.store.head_object(call.bucket, call.key)
    if info.storage_class not in ARCHIVED:
        raise OSSError("OperationNotSupported", "The operation is not supported for this resource", 400)
    days = 1
    body = call.req.read_small(MAX_BODY)
    if body.strip():
        doc = xml.parse(body, "RestoreRequest")
        raw = xml.text(doc, "Days", "1") or "1"
        limit = MAX_DAYS[info.storage_class]
        if not raw.isdigit() or not 1 <= int(raw) <= limit:
            raise InvalidArgument(f"Days must be an integer between 1 and {limit}.", "Days", raw)
        days = int(raw)
        tier = xml.text(doc, "JobParameters/Tier")
        if tier is not None and tier not in RESTORE_TIERS[info.storage_class]:
            raise InvalidArgument(f"Tier must be one of {', '.join(RESTORE_TIERS[info.storage_class])}.",
                                  "Tier", tier)
    now = call.clock.now()
    already = info.restored_until > now
    call.store.update_object(call.bucket, call.key, restored_until=now + days * 86400)
    return Response(200 if already else 202)


# -- symlinks -----------------------------------------------------------------------------------

def put_symlink(call: Call) -> Response:
    raw = call.req.header("x-oss-symlink-target")
    if not raw:
        raise InvalidArgument("x-oss-symlink-target is required.", "x-oss-symlink-target", raw)
    target = unquote(raw)
    attrs = write_attrs(call)
    info = call.store.put_symlink(call.bucket, call.key, target=target,
                                  headers=objectio.object_headers(call.req.headers),
                                  forbid_overwrite=call.req.header("x-oss-forbid-overwrite").lower() == "true",
                                  attrs=attrs, caller=call.caller)
    return Response(200, {"ETag": f'"{info.etag}"'})


def get_symlink(call: Call) -> Response:
    info = call.store.head_object(call.bucket, call.key)
    if info.object_type != "Symlink":
        raise OSSError("NotSymlink", "The specified object is not a symlink.", 400)
    headers = {"x-oss-symlink-target": quote(info.symlink_target, safe="/"), "ETag": f'"{info.etag}"',
               "Last-Modified": http_date(info.last_modified)}
    for key, value in info.headers.meta.items():
        headers[objectio.META_PREFIX + key] = value
    return Response(200, headers)


def resolve(call: Call, info: ObjectInfo) -> ObjectInfo:
    """The object a Symlink points at (404 SymlinkTargetNotExist when it is gone)."""
    if info.object_type != "Symlink":
        return info
    try:
        return call.store.head_object(info.bucket, info.symlink_target)  # type: ignore[no-any-return]
    except OSSError as err:
        if err.code == "NoSuchKey":
            raise OSSError("SymlinkTargetNotExist", "The symlink target object does not exist", 404,
                           extra={"Key": info.symlink_target}) from err
        raise


# -- bucket stat --------------------------------------------------------------------------------

def bucket_stat(call: Call) -> Response:
    objects, _, uploads = call.store.bucket_stats(call.bucket)
    infos = call.store.bucket_objects(call.bucket)
    by_class = {c: [0, 0] for c in STORAGE_CLASSES}
    for info in infos:
        by_class.setdefault(info.storage_class, [0, 0])
        by_class[info.storage_class][0] += info.size
        by_class[info.storage_class][1] += 1
    root = xml.element("BucketStat")
    xml.sub(root, "Storage", sum(i.size for i in infos))
    xml.sub(root, "ObjectCount", objects)
    xml.sub(root, "MultipartUploadCount", uploads)
    xml.sub(root, "LiveChannelCount", 0)
    xml.sub(root, "LastModifiedTime", int(max((i.last_modified for i in infos), default=0)))
    names = {"Standard": "Standard", "IA": "InfrequentAccess", "Archive": "Archive",
             "ColdArchive": "ColdArchive", "DeepColdArchive": "DeepColdArchive"}
    for cls, prefix in names.items():
        size, count = by_class[cls]
        xml.sub(root, f"{prefix}Storage", size)
        if cls != "Standard":
            xml.sub(root, f"{prefix}RealStorage", size)
        xml.sub(root, f"{prefix}ObjectCount", count)
    return xml_response(root)


# -- UploadPartCopy -----------------------------------------------------------------------------

def upload_part_copy(call: Call) -> Response:
    src_bucket, src_key = actions.parse_copy_source(call.req.header("x-oss-copy-source"))
    raw = call.req.params.get("partNumber", "")
    if not raw.isdigit() or not 1 <= int(raw) <= 10000:
        raise InvalidArgument("partNumber must be an integer between 1 and 10000.", "partNumber", raw)
    upload_id = call.req.params.get("uploadId", "")
    src = resolve(call, call.store.head_object(src_bucket, src_key))
    src_key = src.key
    check_readable(src, call.clock.now())
    conditions = {n: call.req.header("x-oss-copy-source-" + n)
                  for n in ("if-match", "if-none-match", "if-modified-since", "if-unmodified-since")}
    if not objectio.check_conditions(src, {n: v for n, v in conditions.items() if v}):
        raise PreconditionFailed()  # a copy has nothing to answer 304 with
    wanted = call.req.header("x-oss-copy-source-range")
    span = objectio.parse_range(wanted, src.size) if wanted else None
    if wanted and span is None and src.size:
        raise InvalidArgument("x-oss-copy-source-range is not valid.", "x-oss-copy-source-range", wanted)
    start, end = span if span is not None else (0, src.size - 1)
    info, reader = call.store.open_object(src_bucket, src_key)
    with reader:
        if info.etag != src.etag:
            raise NoSuchKey(src_key)
        reader.seek(start)
        part = call.store.upload_part(call.bucket, call.key, upload_id=upload_id, part_number=int(raw),
                                      body=_Limited(reader, end - start + 1), length=end - start + 1)
    root = xml.element("CopyPartResult")
    xml.sub(root, "LastModified", iso_date(part.last_modified))
    xml.sub(root, "ETag", f'"{part.etag}"')
    return xml_response(root, headers={"ETag": f'"{part.etag}"', "x-oss-hash-crc64ecma": str(part.crc64)})


class _Limited:
    """`length` bytes of a reader from its current position."""

    def __init__(self, reader: Any, length: int) -> None:
        self._reader = reader
        self._left = length

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left)
        data: bytes = self._reader.read(n)
        self._left -= len(data)
        return data


HANDLERS: dict[str, Any] = {
    "PutObjectTagging": put_object_tagging, "GetObjectTagging": get_object_tagging,
    "DeleteObjectTagging": delete_object_tagging, "PutObjectAcl": put_object_acl,
    "GetObjectAcl": get_object_acl, "PutSymlink": put_symlink, "GetSymlink": get_symlink,
    "RestoreObject": restore_object, "UploadPartCopy": upload_part_copy,
    "PutBucketTags": put_bucket_tags, "GetBucketTags": get_bucket_tags, "DeleteBucketTags": delete_bucket_tags,
    "PutBucketAcl": put_bucket_acl, "GetBucketAcl": get_bucket_acl, "GetBucketStat": bucket_stat,
}
"""operation (see subresources.py) → handler."""
