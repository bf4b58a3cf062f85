"""OSS signature version 2 (`Authorization: OSS2 AccessKeyId:..,[AdditionalHeaders:..,]Signature:..`
and presigned `?x-oss-signature-version=OSS2&x-oss-expires=&x-oss-access-key-id=&x-oss-signature=`).

As oss2's `ProviderAuthV2` builds it: HMAC-SHA256 (base64) over verb, Content-MD5, Content-Type,
date (the expiry time for URLs), the `x-oss-*` and additional headers (`name:value\\n`, sorted),
the additional-header names, and the resource: `/bucket/key` percent-encoded as a whole (`/`
too) followed by EVERY query parameter, encoded and sorted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from localcloud.oss.errors import OSSError

if TYPE_CHECKING:
    from localcloud.common.clock import Clock
    from localcloud.oss.protocol.authn import Resolver
    from localcloud.oss.protocol.request import Request
    from localcloud.ram.principal import Principal

SCHEME = "OSS2"
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-~.")


@dataclass(frozen=True)
class Signed:
    access_key_id: str
    additional_headers: tuple[str, ...]
    signature: str


def _invalid(message: str = "Authorization header is invalid.") -> OSSError:
    return OSSError("InvalidArgument", message, 400)


def uri_encode(text: str) -> str:
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8", "surrogateescape"))


def parse_authorization(value: str) -> Signed:
    if not value.startswith(SCHEME + " "):
        raise _invalid()
    fields: dict[str, str] = {}
    for item in value[len(SCHEME) + 1:].split(","):
        name, sep, val = item.strip().partition(":")
        if not sep:
            raise _invalid()
        fields[name] = val
    if not fields.get("AccessKeyId") or not fields.get("Signature"):
        raise _invalid()
    extra = tuple(h for h in fields.get("AdditionalHeaders", "").lower().split(";") if h)
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


def authenticate_header(req: Request, authorization: str, ram: Resolver, clock: Clock) -> Principal:
    from localcloud.oss.protocol import authn  # the shared checks live there
    from localcloud.oss.protocol.responses import parse_http_date

    signed = parse_authorization(authorization)
    principal = authn._resolve(ram, signed.access_key_id, req.header("x-oss-security-token") or None)
    date = req.header("x-oss-date") or req.header("date")
    route = req.route
    to_sign = string_to_sign(req.method, req.headers, route.bucket, route.key, route.params, date,
                             signed.additional_headers)
    authn._check(sign(principal.secret, to_sign), signed.signature, signed.access_key_id, to_sign)
    authn._check_skew(parse_http_date(date) if date else None, clock)
    return principal


def authenticate_presigned(req: Request, ram: Resolver, clock: Clock) -> Principal:
    from localcloud.oss.protocol import authn, presign

    params = req.route.params
    access_key_id = params.get("x-oss-access-key-id", "")
    raw_expires = params.get("x-oss-expires", "")
    signature = params.get("x-oss-signature", "")
    if not access_key_id or not signature or not raw_expires.isdigit():
        raise _invalid("A V2 presigned URL needs x-oss-access-key-id, x-oss-expires and x-oss-signature.")
    principal = authn._resolve(ram, access_key_id, params.get("security-token") or None)
    if int(raw_expires) < clock.now():
        raise presign.expired()
    additional = tuple(h for h in params.get("x-oss-additional-headers", "").lower().split(";") if h)
    unsigned = {k: v for k, v in params.items() if k != "x-oss-signature"}
    route = req.route
    to_sign = string_to_sign(req.method, req.headers, route.bucket, route.key, unsigned, raw_expires, additional)
    authn._check(sign(principal.secret, to_sign), signature, access_key_id, to_sign)
    return principal
