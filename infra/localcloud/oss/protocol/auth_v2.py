"""OSS signature version 2 (`Authorization: OSS2 AccessKeyId:..,[AdditionalHeaders:..,]Signature:..`
and presigned `?x-oss-signature-version=OSS2&x-oss-expires=&x-oss-access-key-id=&x-oss-signature=`).

As oss2's `ProviderAuthV2` builds it: HMAC-SHA256 (base64) over verb, Content-MD5, Content-Type,
date (the expiry time for URLs), the `x-oss-*` and additional headers (`name:value\\n`, sorted),
the additional-header names, and the resource: `/bucket/key` percent-encoded as a whole (`/`
too) followed by EVERY query parameter, encoded and sorted.

Pure functions of the request's parts; `authn` runs the checks (resolve the key, compare, skew).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from localcloud.oss.errors import InvalidArgument, OSSError

SCHEME = "OSS2"
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-~.")


@dataclass(frozen=True)
class Signed:
    access_key_id: str
    additional_headers: tuple[str, ...]
    signature: str


def invalid(message: str = "Authorization header is invalid.") -> OSSError:
    return InvalidArgument(message, "Authorization")


def uri_encode(text: str) -> str:
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8", "surrogateescape"))


def parse_authorization(value: str) -> Signed:
    if not value.startswith(SCHEME + " "):
        raise invalid()
    fields: dict[str, str] = {}
    for item in value[len(SCHEME) + 1:].split(","):
        name, sep, val = item.strip().partition(":")
        if not sep:
            raise invalid()
        fields[name] = val
    if not fields.get("AccessKeyId") or not fields.get("Signature"):
        raise invalid()
    extra = additional_headers(fields.get("AdditionalHeaders", ""))
    return Signed(fields["AccessKeyId"], extra, fields["Signature"])


def string_to_sign(method: str, headers: Mapping[str, str], bucket: str | None, key: str | None,
                   params: Mapping[str, str], date: str, additional: tuple[str, ...]) -> bytes:
    """`headers` has lower-case names; `params` the decoded query (without the signature)."""
    extra = set(additional)
    canon = sorted((k, v) for k, v in headers.items() if k.startswith("x-oss-") or k in extra)
    canon_headers = "".join(f"{k}:{v}\n" for k, v in canon)
    resource = uri_encode(f"/{bucket}/{key or ''}" if bucket else "/")
    query = sorted((uri_encode(k), uri_encode(v)) for k, v in params.items())
    if query:
        resource += "?" + "&".join(f"{k}={v}" if v else k for k, v in query)
    return "\n".join([method, headers.get("content-md5", ""), headers.get("content-type", ""), date,
                      canon_headers + ";".join(sorted(extra)), resource]).encode("utf-8")


def sign(secret: str, to_sign: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()).decode()


def is_presigned(params: Mapping[str, str]) -> bool:
    return params.get("x-oss-signature-version") == SCHEME


def additional_headers(raw: str) -> tuple[str, ...]:
    """`x-oss-additional-headers` / `AdditionalHeaders`: `;`-separated, lower-cased names."""
    return tuple(h for h in raw.lower().split(";") if h)
