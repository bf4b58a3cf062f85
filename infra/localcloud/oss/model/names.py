"""The names OSS accepts for buckets and objects: one rule, used by the model and the protocol.

Object names: UTF-8, 1 to 1023 bytes, not starting with `/` or `\\` (OSS's documented rule).
localcloud also refuses NUL and text that cannot be encoded as UTF-8 (lone surrogates): neither
can reach real OSS through a URL, and both would break the on-disk records.
"""

from __future__ import annotations

import re

from ..errors import InvalidBucketName, InvalidObjectName
from .types import MAX_KEY_BYTES

BUCKET_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def validate_bucket_name(name: object) -> str:
    """3 to 63 lower-case letters, digits and hyphens, starting and ending with a letter or digit."""
    if not isinstance(name, str) or not BUCKET_NAME_RE.match(name):
        raise InvalidBucketName(str(name))
    return name


def validate_key(key: str) -> str:
    """Raise 400 InvalidObjectName for a name OSS refuses; return it otherwise."""
    if not key:
        raise InvalidObjectName("The object name must not be empty.")
    if key[0] in "/\\":
        raise InvalidObjectName("The object name must not start with '/' or '\\'.")
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidObjectName("The object name is not valid UTF-8.") from exc
    if len(raw) > MAX_KEY_BYTES:
        raise InvalidObjectName("The object name is longer than 1023 bytes.")
    if "\x00" in key:
        raise InvalidObjectName("The object name must not contain NUL.")
    return key
