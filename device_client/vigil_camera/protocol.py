"""The device ↔ token-service request signature (stdlib only; firmware in any language can match it).

    string_to_sign = METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" hex(sha256(body))
    Authorization: VIGIL-HMAC-SHA256 Signature=<hex HMAC-SHA256(device_secret, string_to_sign)>

The device secret is derived, never stored server-side: HMAC-SHA256(master key, "<id>:<version>").
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

DEVICE_ID_RE = re.compile(r"[a-z0-9][a-z0-9-]{2,62}")
NONCE_RE = re.compile(r"[0-9a-f]{16,64}")
AUTH_SCHEME = "VIGIL-HMAC-SHA256"
HEADER_DEVICE = "X-Vigil-Device"
HEADER_TIMESTAMP = "X-Vigil-Timestamp"
HEADER_NONCE = "X-Vigil-Nonce"
HEADER_AUTHORIZATION = "Authorization"
TOKEN_PATH = "/v1/token"  # noqa: S105 - the token function's route (and the PATH signed), not a secret


def validate_device_id(device_id: object) -> str:
    """Return the id if it may reach a RAM policy or a key, else raise ValueError.

    `fullmatch` on str only: `$` would accept a trailing newline, and anything else (`*`, `?`, `/`,
    `..`, quotes, unicode) could widen or break a policy.
    """
    if not isinstance(device_id, str) or not DEVICE_ID_RE.fullmatch(device_id):
        raise ValueError("device id must match ^[a-z0-9][a-z0-9-]{2,62}$")
    return device_id


def device_secret(master_key: bytes, device_id: str, key_version: int) -> str:
    """The device's secret for one key version, as hex."""
    validate_device_id(device_id)
    message = f"{device_id}:{int(key_version)}".encode()
    return hmac.new(master_key, message, hashlib.sha256).hexdigest()


def new_nonce() -> str:
    return secrets.token_hex(16)


def string_to_sign(method: str, path: str, timestamp: str, nonce: str, body: bytes) -> bytes:
    body_hash = hashlib.sha256(body).hexdigest()
    return "\n".join([method.upper(), path, timestamp, nonce, body_hash]).encode()


def sign(secret: str, method: str, path: str, timestamp: str, nonce: str, body: bytes) -> str:
    message = string_to_sign(method, path, timestamp, nonce, body)
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, signature: str, method: str, path: str, timestamp: str, nonce: str,
           body: bytes) -> bool:
    """Constant-time check of a request signature."""
    expected = sign(secret, method, path, timestamp, nonce, body)
    return hmac.compare_digest(expected.encode(), signature.strip().lower().encode())


def authorization_header(signature: str) -> str:
    return f"{AUTH_SCHEME} Signature={signature}"


def parse_authorization(value: str) -> str | None:
    """The hex signature of an `Authorization` header, or None when it is not ours."""
    scheme, _, rest = value.strip().partition(" ")
    if scheme != AUTH_SCHEME:
        return None
    name, _, signature = rest.strip().partition("=")
    if name != "Signature" or not re.fullmatch(r"[0-9a-fA-F]{64}", signature):
        return None
    return signature


def signed_headers(device_id: str, secret: str, method: str, path: str, body: bytes,
                   timestamp: int, nonce: str | None = None) -> dict[str, str]:
    """Every header a token request needs (used by the device client and the tests)."""
    nonce = nonce or new_nonce()
    ts = str(int(timestamp))
    return {
        HEADER_DEVICE: device_id,
        HEADER_TIMESTAMP: ts,
        HEADER_NONCE: nonce,
        HEADER_AUTHORIZATION: authorization_header(sign(secret, method, path, ts, nonce, body)),
        "Content-Type": "application/json",
    }


def token_base_url(url: str) -> str:
    """The token function's base URL, as device configs hold it: requests go to `base + TOKEN_PATH`.

    The one definition both the operator CLI (which writes configs) and the client (which reads
    them) use. A URL that already ends in `/v1/token` is accepted and trimmed, so a config written
    either way reaches `POST <base>/v1/token` — never `/v1/token/v1/token`.
    """
    base = url.strip().rstrip("/")
    if base.endswith(TOKEN_PATH):
        base = base[: -len(TOKEN_PATH)].rstrip("/")
    return base
