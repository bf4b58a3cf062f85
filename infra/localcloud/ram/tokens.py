"""Self-contained STS security tokens, verifiable with one key and no database.

A token is `LC1.<base64url(zlib(json payload))>.<base64url(HMAC-SHA256(key, "LC1." + body))>`.
The payload names the session (access key id, role, session name, session policy, expiry, issue
time, a random id). The session's AccessKeySecret is never stored anywhere: it is
HMAC-SHA256(key, "secret:" + access key id), so OSS recomputes it to check request signatures.
The key lives in `<state_dir>/sts.key` (created once, 0600): a token from another localcloud, an
altered token or a forged one fails verification.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PREFIX = "LC1."
KEY_BYTES = 32
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class TokenError(ValueError):
    """The token is malformed, altered or signed by another key."""


@dataclass(frozen=True)
class TokenPayload:
    access_key_id: str
    role_arn: str
    role_id: str
    session_name: str
    session_policy: str | None  # compact JSON, or None
    expiration: float
    issued_at: float
    token_id: str
    version: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"v": self.version, "k": self.access_key_id, "r": self.role_arn, "ri": self.role_id,
                "s": self.session_name, "p": self.session_policy, "e": self.expiration,
                "i": self.issued_at, "n": self.token_id}

    @classmethod
    def from_json(cls, doc: Any) -> TokenPayload:
        try:
            payload = cls(access_key_id=str(doc["k"]), role_arn=str(doc["r"]), role_id=str(doc["ri"]),
                          session_name=str(doc["s"]),
                          session_policy=None if doc["p"] is None else str(doc["p"]),
                          expiration=float(doc["e"]), issued_at=float(doc["i"]), token_id=str(doc["n"]),
                          version=int(doc["v"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise TokenError(f"token payload incomplete: {exc}") from exc
        if payload.version != 1:
            raise TokenError(f"unsupported token version {payload.version}")
        return payload


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_sts_access_key_id() -> str:
    """`STS.` + 28 random alphanumerics, the shape of real STS key ids."""
    return "STS." + "".join(secrets.choice(_ALNUM) for _ in range(28))


def load_or_create_key(path: Path) -> bytes:
    """The instance's token key: read it, or create it once with mode 0600."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(KEY_BYTES)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, binascii.hexlify(key))
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)
        return key
    try:
        key = binascii.unhexlify(raw.strip())
    except binascii.Error as exc:
        raise ValueError(f"{path} is not a hex key") from exc
    if len(key) != KEY_BYTES:
        raise ValueError(f"{path} must hold {KEY_BYTES} bytes")
    return key


class TokenCodec:
    """Encodes / verifies tokens and derives session secrets with one instance key."""

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("token key too short")
        self._key = key

    def _mac(self, body: str) -> bytes:
        return hmac.new(self._key, (PREFIX + body).encode("ascii"), hashlib.sha256).digest()

    def derive_secret(self, access_key_id: str) -> str:
        """The AccessKeySecret of an STS key id (43 url-safe characters)."""
        return _b64e(hmac.new(self._key, b"secret:" + access_key_id.encode("utf-8"), hashlib.sha256).digest())

    def encode(self, payload: TokenPayload) -> str:
        raw = json.dumps(payload.to_json(), separators=(",", ":"), sort_keys=True).encode("utf-8")
        body = _b64e(zlib.compress(raw, 9))
        return PREFIX + body + "." + _b64e(self._mac(body))

    def decode(self, token: str) -> TokenPayload:
        """Verify and parse; raises TokenError for anything not signed by this key."""
        if not token.startswith(PREFIX):
            raise TokenError("not a localcloud security token")
        body, sep, sig = token[len(PREFIX):].partition(".")
        if not sep or not body or not sig:
            raise TokenError("token is not body.signature")
        try:
            given = _b64d(sig)
        except (binascii.Error, ValueError) as exc:
            raise TokenError("token signature is not base64url") from exc
        if not hmac.compare_digest(given, self._mac(body)):
            raise TokenError("token signature does not verify")
        try:
            doc = json.loads(zlib.decompress(_b64d(body)))
        except (binascii.Error, ValueError, zlib.error) as exc:
            raise TokenError("token body is not readable") from exc
        return TokenPayload.from_json(doc)
