"""Plain data types the OSS model returns; the HTTP layer renders them to headers and XML.

Nothing here knows about HTTP. Times are unix seconds (float) read from the stack `Clock`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

ObjectType = Literal["Normal", "Appendable", "Multipart", "Symlink"]

MAX_OBJECT_SIZE = 5 * 1024**3
"""OSS refuses single PUTs, parts and appendable objects above 5 GiB (EntityTooLarge)."""
MAX_KEY_BYTES = 1023
MAX_KEYS = 1000


@dataclass(frozen=True)
class ObjectHeaders:
    """The stored HTTP metadata of an object.

    `meta` holds the user metadata: keys are the part after `x-oss-meta-`, lower-cased
    (the HTTP layer strips and adds the prefix).
    """

    content_type: str | None = None
    content_disposition: str | None = None
    content_encoding: str | None = None
    cache_control: str | None = None
    expires: str | None = None
    meta: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dict (for the on-disk header)."""
        doc: dict[str, Any] = {k: v for k, v in vars(self).items() if k != "meta" and v is not None}
        if self.meta:
            doc["meta"] = dict(self.meta)
        return doc

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> ObjectHeaders:
        return cls(
            content_type=doc.get("content_type"),
            content_disposition=doc.get("content_disposition"),
            content_encoding=doc.get("content_encoding"),
            cache_control=doc.get("cache_control"),
            expires=doc.get("expires"),
            meta=dict(doc.get("meta") or {}),
        )


@dataclass(frozen=True)
class ObjectInfo:
    """One committed object version.

    etag: upper-case hex without quotes (multipart: "<HEX>-<N>"); crc64: CRC-64/XZ of the whole
    object as an int; next_append_position: the size for Appendable objects, else None.
    """

    bucket: str
    key: str
    size: int
    etag: str
    crc64: int
    last_modified: float
    object_type: ObjectType
    headers: ObjectHeaders
    next_append_position: int | None = None
    storage_class: str = "Standard"
    extent_dir: str = ""
    """Multipart objects: the folder (under the bucket's `extents/`) holding their parts as the
    object's data, in order (`extents` files named 00000, 00001, ...); "" = data in the object file."""
    extents: int = 0
    tags: tuple[tuple[str, str], ...] = ()
    acl: str = "default"
    """Object ACL: "default" (the bucket's), "private", "public-read" or "public-read-write"."""
    symlink_target: str = ""
    restored_until: float = 0.0
    """Archive / ColdArchive objects: readable until then (0 = not restored)."""


@dataclass(frozen=True)
class Listing:
    """A page of ListObjects: `next_marker` is the last key or common prefix returned, set
    only when `is_truncated` (use it as the v1 marker or as the v2 continuation token)."""

    contents: list[ObjectInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_marker: str | None


@dataclass(frozen=True)
class UploadInfo:
    """An initiated, not yet completed or aborted multipart upload."""

    bucket: str
    key: str
    upload_id: str
    initiated: float
    headers: ObjectHeaders
    storage_class: str = "Standard"
    tags: tuple[tuple[str, str], ...] = ()
    acl: str = "default"


@dataclass(frozen=True)
class PartInfo:
    """One uploaded part: etag is upper hex MD5 without quotes."""

    part_number: int
    etag: str
    size: int
    crc64: int
    last_modified: float


@dataclass(frozen=True)
class PartListing:
    """A page of ListParts; `next_part_number_marker` is the last part number returned."""

    upload: UploadInfo
    parts: list[PartInfo]
    is_truncated: bool
    next_part_number_marker: int
    part_number_marker: int
    max_parts: int


@dataclass(frozen=True)
class UploadListing:
    """A page of ListMultipartUploads, ordered by (key, initiated, upload id)."""

    uploads: list[UploadInfo]
    common_prefixes: list[str]
    is_truncated: bool
    next_key_marker: str
    next_upload_id_marker: str


@dataclass(frozen=True)
class BucketInfo:
    """A bucket: `location` is "oss-<region>" as OSS reports it."""

    name: str
    created: float
    region: str
    location: str
    storage_class: str = "Standard"
    redundancy: str = "LRS"


@dataclass(frozen=True)
class Caller:
    """Who asked: the overwrite rules read `principal_arn`, the event's userIdentity and
    requestParameters the rest. The defaults serve tools and tests (the account itself, locally)."""

    principal_arn: str = ""
    principal_id: str = ""
    request_id: str = ""
    source_ip: str = "127.0.0.1"
