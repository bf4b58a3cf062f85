"""Object and bucket tags: the limits OSS enforces, and the `x-oss-tagging` header form.

Object tags: at most 10, unique keys of 1-128 characters and values of 0-256, made of letters and
digits (Unicode ones too), spaces and `+ - = . _ : /`. Bucket tags: at most 20, keys 1-64 bytes not starting with
`http://`, `https://` or `Aliyun`, values 0-128 bytes. Vigil pins clips against retention with
object tags, so a lifecycle rule's tag filter reads these.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from ..errors import InvalidArgument, OSSError

Tags = tuple[tuple[str, str], ...]

MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 20
# letters and digits of any script (OSS accepts e.g. 中文), space and + - = . _ : /
_OBJECT_CHARS = re.compile(r"^[\w +\-=.:/]*$")


def _invalid(message: str, ec: str) -> OSSError:
    return OSSError("InvalidTag", message, 400, headers={"x-oss-ec": ec})


def validate_object_tags(tags: Tags) -> Tags:
    if len(tags) > MAX_OBJECT_TAGS:
        raise _invalid("Object tags cannot be greater than 10.", "0010-00000217")
    return validate_tag_pairs(tags)


def validate_tag_pairs(tags: Tags) -> Tags:
    """Each key and value within the object-tag rules, keys unique (no count limit)."""
    seen: set[str] = set()
    for key, value in tags:
        if not key or len(key) > 128:
            raise _invalid("The TagKey you have provided is invalid: 1 to 128 characters.", "0010-00000209")
        if len(value) > 256:
            raise _invalid("The TagValue you have provided is too long, max 256.", "0010-00000214")
        if not _OBJECT_CHARS.match(key) or not _OBJECT_CHARS.match(value):
            raise _invalid("Tag keys and values may hold letters, digits, spaces and + - = . _ : / only.",
                           "0010-00000217")
        if key in seen:
            raise _invalid("Tag keys must be unique.", "0010-00000217")
        seen.add(key)
    return tags


def validate_bucket_tags(tags: Tags) -> Tags:
    if len(tags) > MAX_BUCKET_TAGS:
        raise _invalid("Bucket tags cannot be greater than 20.", "0010-00000219")
    seen: set[str] = set()
    for key, value in tags:
        if not key or len(key.encode()) > 64 or key.startswith(("http://", "https://", "Aliyun")):
            raise _invalid("The bucket TagKey is invalid: 1 to 64 bytes, not starting with http://, "
                           "https:// or Aliyun.", "0010-00000207")
        if len(value.encode()) > 128:
            raise _invalid("The bucket TagValue is too long, max 128 bytes.", "0010-00000219")
        if key in seen:
            raise _invalid("Tag keys must be unique.", "0010-00000219")
        seen.add(key)
    return tags


def parse_header(value: str) -> Tags:
    """`k1=v1&k2=v2` (each part URL-encoded, `=v` optional) → tags; a bad form is InvalidArgument."""
    out: list[tuple[str, str]] = []
    for item in value.split("&"):
        if item == "":
            continue
        if item.count("=") > 1:
            raise InvalidArgument("x-oss-tagging must be key=value pairs joined by &.", "x-oss-tagging", value,
                                  headers={"x-oss-ec": "0010-00000219"})
        key, _, val = item.partition("=")
        try:
            out.append((unquote(key, errors="strict"), unquote(val, errors="strict")))
        except UnicodeDecodeError as exc:
            raise InvalidArgument("x-oss-tagging is not valid URL-encoded UTF-8.", "x-oss-tagging",
                                  value) from exc
    return validate_object_tags(tuple(out))


def matches(wanted: Tags, have: Tags) -> bool:
    """True when every (key, value) of `wanted` is among `have` (a lifecycle Tag filter)."""
    current = dict(have)
    return all(current.get(k) == v for k, v in wanted)
