"""The Alibaba Cloud RPC protocol as aliyunsdkcore speaks it: parameters and the HMAC-SHA1 signature.

Parameters arrive in the query string (`POST /?Action=...`) and/or a form body; both are signed.
String to sign = `METHOD&%2F&` + percent-encode(sorted `k=v` pairs joined by `&`), each key and
value percent-encoded RFC 3986 style (`~` kept, space `%20`, `*` `%2A`); the signature is the
base64 HMAC-SHA1 with key `secret + "&"`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from urllib.parse import parse_qsl, quote

FORM_TYPE = "application/x-www-form-urlencoded"


class RpcFormatError(ValueError):
    """The request could not be read as RPC parameters."""


def percent_encode(value: str) -> str:
    """RFC 3986 encoding, exactly what aliyunsdkcore produces (UTF-8, only unreserved chars kept)."""
    return quote(value, safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """Sorted `k=v` pairs joined by `&`, every key and value percent-encoded (Signature excluded)."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}"
                    for k, v in sorted(params.items()) if k != "Signature")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    return f"{method.upper()}&%2F&{percent_encode(canonical_query(params))}"


def sign(text: str, secret: str) -> str:
    """base64 HMAC-SHA1 with key `secret&`."""
    digest = hmac.new((secret + "&").encode("utf-8"), text.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_matches(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def parse_params(query: str, body: bytes, content_type: str | None) -> dict[str, str]:
    """Query parameters merged with a form body (body wins on a clash, as it is signed the same way)."""
    try:
        params = dict(parse_qsl(query, keep_blank_values=True, strict_parsing=False, errors="strict"))
        if body and (content_type or "").split(";")[0].strip().lower() == FORM_TYPE:
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise RpcFormatError(f"parameters are not valid UTF-8 form encoding: {exc}") from exc
    return params
