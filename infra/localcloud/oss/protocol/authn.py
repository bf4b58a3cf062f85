"""Who sent a request: V1/V2/V4 header signatures and presigned URLs, STS security tokens.

Order of checks: parse the credential → resolve the key (and token) through RAM
(InvalidAccessKeyId / InvalidSecurityToken / SecurityTokenExpired) → presigned expiry →
signature (SignatureDoesNotMatch) → request time skew (RequestTimeTooSkewed). A request with no
credentials is anonymous (`None`); the service refuses those.

Skew is measured against the shared `Clock`. A request dated within the window of the real wall
clock is accepted as well: tests move the Clock forward to expire tokens and URLs, and the
unmodified SDKs keep signing with wall time, so they must keep working after such a move.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Mapping
from typing import Protocol

from localcloud.common.clock import Clock
from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.protocol import auth_v1, auth_v2, auth_v4, presign
from localcloud.oss.protocol.request import Request
from localcloud.oss.protocol.responses import parse_http_date
from localcloud.ram.model import AuthError, Principal

MAX_SKEW_SECONDS = 15 * 60
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)


class Resolver(Protocol):
    def resolve(self, access_key_id: str, security_token: str | None) -> Principal: ...


def _resolve(ram: Resolver, access_key_id: str, token: str | None) -> Principal:
    try:
        return ram.resolve(access_key_id, token)
    except AuthError as exc:
        raise OSSError(exc.code, exc.message, exc.status, extra={"OSSAccessKeyId": access_key_id}) from exc


def _mismatch(access_key_id: str, to_sign: bytes) -> OSSError:
    return OSSError(
        "SignatureDoesNotMatch",
        SIGNATURE_MISMATCH,
        403,
        extra={
            "OSSAccessKeyId": access_key_id,
            "StringToSign": to_sign.decode("utf-8", "replace"),
            "StringToSignBytes": " ".join(f"{b:02x}" for b in to_sign[:4096]),
        },
    )


def _check(expected: str, given: str, access_key_id: str, to_sign: bytes) -> None:
    if not hmac.compare_digest(expected.encode(), given.encode()):
        raise _mismatch(access_key_id, to_sign)


def _check_skew(request_time: float | None, clock: Clock) -> None:
    if request_time is None:
        raise OSSError("AccessDenied", "The request must carry a valid Date or x-oss-date header.", 403)
    near_clock = abs(request_time - clock.now()) <= MAX_SKEW_SECONDS
    near_wall = abs(request_time - time.time()) <= MAX_SKEW_SECONDS
    if not (near_clock or near_wall):
        raise OSSError(
            "RequestTimeTooSkewed",
            "The difference between the request time and the current time is too large.",
            403,
            extra={"MaxAllowedSkewMilliseconds": str(MAX_SKEW_SECONDS * 1000)},
        )


def _v1_date(headers: Mapping[str, str]) -> str:
    return headers.get("x-oss-date") or headers.get("date", "")


def _check_region(cred: auth_v4.Credential, region: str | None) -> None:
    """A V4 signature is scoped to one region; OSS refuses one made for another."""
    if region is not None and cred.region != region:
        raise InvalidArgument(f"Invalid signing region in Authorization header: {cred.region[:64]} "
                              f"(this endpoint is {region}).", "Authorization", cred.region[:64])


def authenticate(req: Request, ram: Resolver, clock: Clock, region: str | None = None) -> Principal | None:
    """The principal that signed `req`, or None for an anonymous request (V4 scopes must name
    `region` when it is given)."""
    authorization = req.header("authorization")
    route = req.route
    if authorization:
        if authorization.startswith(auth_v4.ALGORITHM + " "):
            _check_region(auth_v4.parse_authorization(authorization).credential, region)
            return _header_v4(req, authorization, ram, clock)
        if authorization.startswith("OSS "):
            return _header_v1(req, authorization, ram, clock)
        if authorization.startswith(auth_v2.SCHEME + " "):
            return _header_v2(req, authorization, ram, clock)
        raise InvalidArgument("Authorization header is invalid.", "Authorization")
    if auth_v2.is_presigned(route.params):
        return _presigned_v2(req, ram, clock)
    if presign.is_v4(route.params):
        _check_region(presign.parse_v4(req.params).credential, region)
        return _presigned_v4(req, ram, clock)
    if presign.is_v1(route.params):
        return _presigned_v1(req, ram, clock)
    return None


def _header_v1(req: Request, authorization: str, ram: Resolver, clock: Clock) -> Principal:
    access_key_id, signature = auth_v1.parse_authorization(authorization)
    principal = _resolve(ram, access_key_id, req.header("x-oss-security-token") or None)
    date = _v1_date(req.headers)
    route = req.route
    to_sign = auth_v1.string_to_sign(req.method, req.headers, route.bucket, route.key, route.params, date)
    _check(auth_v1.sign(principal.secret, to_sign), signature, access_key_id, to_sign)
    _check_skew(parse_http_date(date) if date else None, clock)
    return principal


def _header_v2(req: Request, authorization: str, ram: Resolver, clock: Clock) -> Principal:
    """oss2's V2 signer puts the `Date` header on the date line (x-oss-date is only one of the
    canonical x-oss-* headers); the request time is x-oss-date when given, as for V1."""
    signed = auth_v2.parse_authorization(authorization)
    principal = _resolve(ram, signed.access_key_id, req.header("x-oss-security-token") or None)
    route = req.route
    to_sign = auth_v2.string_to_sign(req.method, req.headers, route.bucket, route.key, route.params,
                                     req.header("date"), signed.additional_headers)
    _check(auth_v2.sign(principal.secret, to_sign), signed.signature, signed.access_key_id, to_sign)
    when = _v1_date(req.headers)
    _check_skew(parse_http_date(when) if when else None, clock)
    return principal


def _header_v4(req: Request, authorization: str, ram: Resolver, clock: Clock) -> Principal:
    auth = auth_v4.parse_authorization(authorization)
    cred = auth.credential
    principal = _resolve(ram, cred.access_key_id, req.header("x-oss-security-token") or None)
    date_time = req.header("x-oss-date")
    if not date_time:
        raise OSSError("AccessDenied", "V4 requests must carry an x-oss-date header.", 403)
    route = req.route
    canonical = auth_v4.canonical_request(
        req.method, route.bucket, route.key, route.params.items(), req.headers, auth.additional_headers
    )
    to_sign = auth_v4.string_to_sign(date_time, cred, canonical)
    _check(auth_v4.sign(principal.secret, cred, to_sign), auth.signature, cred.access_key_id, to_sign)
    signed_at = presign.parse_v4_date(date_time)
    if time.strftime("%Y%m%d", time.gmtime(signed_at)) != cred.date:
        raise InvalidArgument("The credential date does not match x-oss-date.", "x-oss-date")
    _check_skew(signed_at, clock)
    return principal


def _presigned_v1(req: Request, ram: Resolver, clock: Clock) -> Principal:
    signed = presign.parse_v1(req.params)
    principal = _resolve(ram, signed.access_key_id, signed.security_token)
    if signed.expires < clock.now():
        raise presign.expired()
    route = req.route
    to_sign = auth_v1.string_to_sign(
        req.method, req.headers, route.bucket, route.key, route.params, str(signed.expires)
    )
    _check(auth_v1.sign(principal.secret, to_sign), signed.signature, signed.access_key_id, to_sign)
    return principal


def _presigned_v2(req: Request, ram: Resolver, clock: Clock) -> Principal:
    params = req.route.params
    access_key_id = params.get("x-oss-access-key-id", "")
    raw_expires = params.get("x-oss-expires", "")
    signature = params.get("x-oss-signature", "")
    if not access_key_id or not signature or not raw_expires.isdigit():
        raise auth_v2.invalid("A V2 presigned URL needs x-oss-access-key-id, x-oss-expires and x-oss-signature.")
    principal = _resolve(ram, access_key_id, params.get("security-token") or None)
    if int(raw_expires) < clock.now():
        raise presign.expired()
    additional = auth_v2.additional_headers(params.get("x-oss-additional-headers", ""))
    unsigned = {k: v for k, v in params.items() if k != "x-oss-signature"}
    route = req.route
    to_sign = auth_v2.string_to_sign(req.method, req.headers, route.bucket, route.key, unsigned, raw_expires,
                                     additional)
    _check(auth_v2.sign(principal.secret, to_sign), signature, access_key_id, to_sign)
    return principal


def _presigned_v4(req: Request, ram: Resolver, clock: Clock) -> Principal:
    signed = presign.parse_v4(req.params)
    cred = signed.credential
    principal = _resolve(ram, cred.access_key_id, signed.security_token)
    if signed.expires_at < clock.now():
        raise presign.expired()
    route = req.route
    params = [(k, v) for k, v in route.params.items() if k != "x-oss-signature"]
    canonical = auth_v4.canonical_request(
        req.method, route.bucket, route.key, params, req.headers, signed.additional_headers
    )
    to_sign = auth_v4.string_to_sign(signed.date_time, cred, canonical)
    _check(auth_v4.sign(principal.secret, cred, to_sign), signed.signature, cred.access_key_id, to_sign)
    return principal
