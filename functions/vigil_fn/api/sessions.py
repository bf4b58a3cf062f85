"""Signed session cookies: stateless, bound to a per-user generation so a password change ends them.

Cookie value: `base64url(json payload) "." base64url(HMAC-SHA256(key, payload))` with payload
`{"u": user, "g": generation, "sid": random, "iat": s, "exp": s}`. The server keeps no session
store: each request verifies the MAC, the expiry, and that the user record still has generation
`g` (a password change or removal bumps or deletes it, so every outstanding cookie dies at once,
on every instance). The CSRF token is derived from the session id with the same key, so it needs
no storage either and changes with each login.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

COOKIE_NAME = "vigil_session"
SESSION_SECONDS = 12 * 3600
REFRESH_AFTER_SECONDS = 15 * 60   # a used cookie older than this is re-issued with a fresh 12 h
MIN_KEY_BYTES = 16
MAX_COOKIE_CHARS = 1024


class SessionError(Exception):
    """A cookie that is missing, malformed, forged or expired (the message says which, for logs)."""


@dataclass(frozen=True)
class SessionToken:
    user: str
    generation: int
    sid: str
    issued_at: int
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionSigner:
    def __init__(self, key: bytes) -> None:
        if len(key) < MIN_KEY_BYTES:
            raise ValueError(f"the session key must be at least {MIN_KEY_BYTES} bytes")
        self._key = hashlib.sha256(b"vigil-session:" + key).digest()
        self._csrf_key = hashlib.sha256(b"vigil-csrf:" + key).digest()

    def issue(self, user: str, generation: int, now: float, sid: str | None = None) -> tuple[str, SessionToken]:
        token = SessionToken(user, generation, sid or secrets.token_urlsafe(16), int(now),
                             int(now) + SESSION_SECONDS)
        payload = json.dumps({"u": token.user, "g": token.generation, "sid": token.sid,
                              "iat": token.issued_at, "exp": token.expires_at},
                             separators=(",", ":"), sort_keys=True).encode()
        mac = hmac.new(self._key, payload, hashlib.sha256).digest()
        return f"{_b64(payload)}.{_b64(mac)}", token

    def verify(self, value: str, now: float) -> SessionToken:
        if not value or len(value) > MAX_COOKIE_CHARS or value.count(".") != 1:
            raise SessionError("malformed session cookie")
        body, mac_text = value.split(".")
        try:
            payload, mac = _unb64(body), _unb64(mac_text)
        except (binascii.Error, ValueError):
            raise SessionError("malformed session cookie") from None
        if not hmac.compare_digest(mac, hmac.new(self._key, payload, hashlib.sha256).digest()):
            raise SessionError("session cookie signature does not match")
        try:
            doc = json.loads(payload)
            token = SessionToken(str(doc["u"]), int(doc["g"]), str(doc["sid"]), int(doc["iat"]), int(doc["exp"]))
        except (ValueError, KeyError, TypeError):
            raise SessionError("malformed session payload") from None
        if now >= token.expires_at:
            raise SessionError("session expired")
        return token

    def needs_refresh(self, token: SessionToken, now: float) -> bool:
        return now - token.issued_at >= REFRESH_AFTER_SECONDS

    def csrf_token(self, token: SessionToken) -> str:
        return _b64(hmac.new(self._csrf_key, token.sid.encode(), hashlib.sha256).digest())

    def csrf_ok(self, token: SessionToken, presented: str | None) -> bool:
        return bool(presented) and hmac.compare_digest(self.csrf_token(token), str(presented))


def read_cookie(header: str | None, name: str = COOKIE_NAME) -> str | None:
    """The value of cookie `name` from a Cookie header (the first one wins)."""
    for part in (header or "").split(";"):
        k, sep, v = part.strip().partition("=")
        if sep and k == name:
            return v.strip().strip('"')
    return None


def set_cookie(value: str, secure: bool, max_age: int = SESSION_SECONDS) -> str:
    attrs = [f"{COOKIE_NAME}={value}", "Path=/", f"Max-Age={max_age}", "HttpOnly", "SameSite=Strict"]
    if secure:
        attrs.append("Secure")
    return "; ".join(attrs)


def clear_cookie(secure: bool) -> str:
    return set_cookie("", secure, max_age=0)
