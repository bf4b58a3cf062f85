"""The FC request signature (`Authorization: FC <ak>:<sig>`), as `fc2.auth.Auth` computes it.

String to sign: METHOD, Content-MD5, Content-Type, Date, then the sorted `x-fc-*` headers
(`name:value` lines) and the canonical resource (the unescaped path, plus `\\n` and the sorted
`k=v` query lines when the client signed queries). HMAC-SHA256 with the caller's secret, base64.
"""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac
import time
from collections.abc import Mapping

from localcloud.ram import policy
from localcloud.ram.model import AuthError, Principal, RamModel

MAX_SKEW_S = 900.0


class FcAuthError(Exception):
    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def string_to_sign(method: str, headers: Mapping[str, str], resource: str) -> str:
    lower = {k.lower(): v for k, v in headers.items()}
    fc_headers = sorted((k, v) for k, v in lower.items() if k.startswith("x-fc-"))
    canonical = "".join(f"{k}:{v}\n" for k, v in fc_headers)
    return "\n".join([method.upper(), lower.get("content-md5", ""), lower.get("content-type", ""),
                      lower.get("date", ""), canonical + resource])


def sign(secret: str, method: str, headers: Mapping[str, str], resource: str) -> str:
    text = string_to_sign(method, headers, resource).encode()
    digest = hmac.new(secret.encode(), text, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def resources(path: str, query: list[tuple[str, str]]) -> list[str]:
    """Canonical resources a client may have signed: with and without the query block."""
    lines = sorted(f"{k}={v}" for k, v in query)
    out = [path + "\n" + "\n".join(lines)]
    if not query:
        out.append(path)
    return out


def verify(ram: RamModel, method: str, headers: Mapping[str, str], path: str,
           query: list[tuple[str, str]], now: float) -> str:
    """Check the signature; returns the caller's principal ARN or raises FcAuthError."""
    return authenticate(ram, method, headers, path, query, now).arn


def authorize(principal: Principal, action: str, resource: str, source_ip: str = "") -> None:
    """RAM decides, as FC does for every API call: `fc:InvokeFunction` on the function's ARN
    (`acs:fc:<region>:<account>:functions/<name>`); refused → 403 AccessDenied."""
    context = {"acs:SourceIp": source_ip} if source_ip else {}
    if policy.evaluate(principal, action, resource, context) != policy.ALLOW:
        raise FcAuthError("AccessDenied", f"the caller is not authorized to perform {action} on {resource}")


def authenticate(ram: RamModel, method: str, headers: Mapping[str, str], path: str,
                 query: list[tuple[str, str]], now: float) -> Principal:
    """Check the signature; returns the caller's principal or raises FcAuthError."""
    lower = {k.lower(): v for k, v in headers.items()}
    auth = lower.get("authorization", "")
    if not auth.startswith("FC ") or ":" not in auth:
        raise FcAuthError("AccessDenied", "required HTTP header Authorization was not specified")
    ak, _, signature = auth[3:].strip().rpartition(":")
    date = lower.get("date", "")
    try:
        parsed = email.utils.parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        parsed = None
    # As OSS and STS do: within the window of the shared Clock or of the wall clock. Tests move the Clock forward
    # to expire tokens, and the unmodified fc2 SDK inside a function keeps signing with wall time.
    if parsed is None or (abs(parsed.timestamp() - now) > MAX_SKEW_S
                          and abs(parsed.timestamp() - time.time()) > MAX_SKEW_S):
        raise FcAuthError("InvalidArgument" if parsed is None else "RequestTimeTooSkewed",
                          "the Date header is missing or too far from the server time")
    try:
        principal = ram.resolve(ak, lower.get("x-fc-security-token") or None)
    except AuthError as exc:
        raise FcAuthError("InvalidAccessKeyId" if exc.code == "InvalidAccessKeyId" else exc.code,
                          exc.message) from exc
    for resource in resources(path, query):
        if hmac.compare_digest(sign(principal.secret, method, headers, resource), signature):
            return principal
    raise FcAuthError("SignatureNotMatch", "the request signature we calculated does not match the "
                                           "signature you provided")
