"""Presigned URLs: which query parameters make a request presigned, and their V1/V4 fields.

V1: `OSSAccessKeyId`, `Expires` (unix time, signed in place of Date), `Signature`, and
`security-token` (a signed sub-resource). V4: `x-oss-signature-version=OSS4-HMAC-SHA256`,
`x-oss-credential`, `x-oss-date`, `x-oss-expires` (seconds after x-oss-date), `x-oss-signature`,
optional `x-oss-additional-headers` and `x-oss-security-token`; every parameter but the
signature is part of the canonical query.
"""

from __future__ import annotations

import calendar
import time
from collections.abc import Mapping
from dataclasses import dataclass

from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.protocol import auth_v4

V4_DATE_FORMAT = "%Y%m%dT%H%M%SZ"


def expired() -> OSSError:
    return OSSError("AccessDenied", "Request has expired.", 403)


def is_v1(params: Mapping[str, str]) -> bool:
    return "OSSAccessKeyId" in params or "Signature" in params


def is_v4(params: Mapping[str, str]) -> bool:
    return "x-oss-signature" in params or "x-oss-signature-version" in params or "x-oss-credential" in params


@dataclass(frozen=True)
class PresignedV1:
    access_key_id: str
    expires: int
    signature: str
    security_token: str | None


@dataclass(frozen=True)
class PresignedV4:
    credential: auth_v4.Credential
    date_time: str
    signed_at: float
    expires_in: int
    additional_headers: tuple[str, ...]
    signature: str
    security_token: str | None

    @property
    def expires_at(self) -> float:
        return self.signed_at + self.expires_in


def _need(params: Mapping[str, str], name: str) -> str:
    value = params.get(name)
    if not value:
        raise InvalidArgument(f"The presigned URL is missing {name}.", name)
    return value


def parse_v1(params: Mapping[str, str]) -> PresignedV1:
    access_key_id = _need(params, "OSSAccessKeyId")
    signature = _need(params, "Signature")
    try:
        expires = int(_need(params, "Expires"))
    except ValueError as exc:
        raise InvalidArgument("Expires must be a unix time in seconds.", "Expires") from exc
    return PresignedV1(access_key_id, expires, signature, params.get("security-token") or None)


def parse_v4_date(value: str) -> float:
    try:
        return float(calendar.timegm(time.strptime(value, V4_DATE_FORMAT)))
    except ValueError as exc:
        raise InvalidArgument("x-oss-date must look like 20260101T000000Z.", "x-oss-date") from exc


def parse_v4(params: Mapping[str, str]) -> PresignedV4:
    if params.get("x-oss-signature-version") != auth_v4.ALGORITHM:
        raise InvalidArgument("x-oss-signature-version must be OSS4-HMAC-SHA256.", "x-oss-signature-version")
    credential = auth_v4.parse_credential(_need(params, "x-oss-credential"))
    date_time = _need(params, "x-oss-date")
    try:
        expires_in = int(_need(params, "x-oss-expires"))
    except ValueError as exc:
        raise InvalidArgument("x-oss-expires must be a number of seconds.", "x-oss-expires") from exc
    if expires_in <= 0 or expires_in > 7 * 24 * 3600:
        raise InvalidArgument("x-oss-expires must be between 1 and 604800 seconds.", "x-oss-expires")
    additional = tuple(h for h in params.get("x-oss-additional-headers", "").lower().split(";") if h)
    return PresignedV4(
        credential,
        date_time,
        parse_v4_date(date_time),
        expires_in,
        additional,
        _need(params, "x-oss-signature"),
        params.get("x-oss-security-token") or None,
    )
