"""OSS signature version 4 (`OSS4-HMAC-SHA256`), header and presigned forms.

Canonical request and string to sign exactly as oss2's `ProviderAuthV4` builds them: every
query parameter is signed (RFC 3986 encoded, sorted), the `x-oss-*`, `content-type`,
`content-md5` and additional headers are signed, and the key is an HMAC-SHA256 chain from
`"aliyun_v4" + secret` over date, region, product and `aliyun_v4_request`.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from localcloud.oss.errors import InvalidArgument, OSSError

ALGORITHM = "OSS4-HMAC-SHA256"
TERMINATOR = "aliyun_v4_request"
_DEFAULT_SIGNED = ("content-type", "content-md5")
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-~.")


@dataclass(frozen=True)
class Credential:
    """The parsed `Credential=AK/<date>/<region>/<product>/aliyun_v4_request` scope."""

    access_key_id: str
    date: str
    region: str
    product: str

    @property
    def scope(self) -> str:
        return f"{self.date}/{self.region}/{self.product}/{TERMINATOR}"


@dataclass(frozen=True)
class Authorization:
    credential: Credential
    additional_headers: tuple[str, ...]
    signature: str


def _invalid(message: str) -> OSSError:
    return InvalidArgument(message, "Authorization")


def uri_encode(text: str, keep_slash: bool) -> str:
    """RFC 3986 encoding as oss2's `__v4_uri_encode` does it (upper-case hex)."""
    out = []
    for byte in text.encode("utf-8", "surrogateescape"):
        if byte in _UNRESERVED or (keep_slash and byte == 0x2F):
            out.append(chr(byte))
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def parse_credential(value: str) -> Credential:
    parts = value.split("/")
    if len(parts) == 5 and parts[4] == TERMINATOR and all(parts[:2]) and parts[3] and not parts[2]:
        raise _invalid("Invalid signing region in Authorization header.")  # OSS's words (EC 0002-00000226)
    if len(parts) != 5 or parts[4] != TERMINATOR or not all(parts[:4]):
        raise _invalid("Invalid credential in Authorization header.")
    return Credential(parts[0], parts[1], parts[2], parts[3])


def parse_authorization(value: str) -> Authorization:
    """`OSS4-HMAC-SHA256 Credential=..., [AdditionalHeaders=a;b,] Signature=hex`."""
    if not value.startswith(ALGORITHM + " "):
        raise _invalid("Authorization header is invalid.")
    fields: dict[str, str] = {}
    for item in value[len(ALGORITHM) + 1 :].split(","):
        name, sep, val = item.strip().partition("=")
        if not sep:
            raise _invalid("Authorization header is invalid.")
        fields[name] = val
    if "Credential" not in fields or "Signature" not in fields:
        raise _invalid("Authorization header is invalid.")
    additional = tuple(h for h in fields.get("AdditionalHeaders", "").lower().split(";") if h)
    return Authorization(parse_credential(fields["Credential"]), additional, fields["Signature"])


def canonical_query(params: Iterable[tuple[str, str]]) -> str:
    encoded = sorted((uri_encode(k, False), uri_encode(v, False)) for k, v in params)
    return "&".join(f"{k}={v}" if v else k for k, v in encoded)


def canonical_request(
    method: str,
    bucket: str | None,
    key: str | None,
    params: Iterable[tuple[str, str]],
    headers: Mapping[str, str],
    additional_headers: Iterable[str],
) -> bytes:
    """The canonical request bytes; `headers` has lower-case names."""
    additional = sorted({h.lower() for h in additional_headers})
    uri = uri_encode(f"/{bucket}/{key or ''}" if bucket else "/", True)
    signed = sorted(
        (k, v)
        for k, v in headers.items()
        if k.startswith("x-oss-") or k in _DEFAULT_SIGNED or k in additional
    )
    canon_headers = b"".join(
        k.encode() + b":" + v.encode("utf-8", "surrogateescape") + b"\n" for k, v in signed
    )
    payload = headers.get("x-oss-content-sha256", "UNSIGNED-PAYLOAD")
    return (
        method.encode()
        + b"\n"
        + uri.encode()
        + b"\n"
        + canonical_query(params).encode()
        + b"\n"
        + canon_headers
        + b"\n"
        + ";".join(additional).encode()
        + b"\n"
        + payload.encode("utf-8", "surrogateescape")
    )


def string_to_sign(date_time: str, credential: Credential, canonical: bytes) -> bytes:
    return f"{ALGORITHM}\n{date_time}\n{credential.scope}\n{hashlib.sha256(canonical).hexdigest()}".encode()


def signing_key(secret: str, credential: Credential) -> bytes:
    key = hmac.new(("aliyun_v4" + secret).encode(), credential.date.encode(), hashlib.sha256).digest()
    for part in (credential.region, credential.product, TERMINATOR):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def sign(secret: str, credential: Credential, to_sign: bytes) -> str:
    return hmac.new(signing_key(secret, credential), to_sign, hashlib.sha256).hexdigest()
