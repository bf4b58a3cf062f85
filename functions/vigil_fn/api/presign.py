"""Presigned GET URLs whose expiry is known and bounded: ≤ the URL TTL (15 min at most) and never
beyond the credentials that signed them.

FC does not tell a function when its own credentials expire, so URLs are not signed with them.
The api function assumes the read-only role `vigil-viewer-read` (GetObject on recordings, nothing
else) and signs with that session, whose expiration STS states. A session is reused while it has
more than the URL TTL left, so every URL it signs dies before it does; then a new one is assumed.
Without a viewer role configured (`VIGIL_VIEWER_ROLE_ARN=""`), the signer uses the function's
credentials and the caller-supplied `credentials_expire_at`, if any.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import oss2

from ..core.sts import IssuedCredentials

MAX_URL_TTL = 900
MIN_URL_TTL = 60
SESSION_SECONDS = 3600
SESSION_MARGIN = 30          # seconds a session must outlive the longest URL it signs

Assume = Callable[[int], IssuedCredentials]


@dataclass(frozen=True)
class SignedUrl:
    url: str
    expires: int  # epoch seconds


def parse_expiration(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


class UrlSigner:
    """Signs GETs against the public OSS endpoint with a known-expiry identity."""

    def __init__(self, endpoint: str, bucket: str, url_ttl: int, assume: Assume | None,
                 fallback: tuple[str, str, str | None] | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.endpoint = endpoint
        self.bucket_name = bucket
        self.url_ttl = max(MIN_URL_TTL, min(MAX_URL_TTL, int(url_ttl)))
        self.assume = assume
        self.fallback = fallback
        self.clock = clock
        self._lock = threading.Lock()
        self._session: tuple[oss2.Bucket, float] | None = None

    def _bucket(self, now: float) -> tuple[oss2.Bucket, float]:
        with self._lock:
            if self._session is not None and self._session[1] - now > self.url_ttl + SESSION_MARGIN:
                return self._session
            if self.assume is None:
                if self.fallback is None:
                    raise RuntimeError("no credentials to sign URLs with")
                ak, secret, token = self.fallback
                auth: Any = oss2.StsAuth(ak, secret, token) if token else oss2.Auth(ak, secret)
                bucket = oss2.Bucket(auth, self.endpoint, self.bucket_name)
                return bucket, math.inf
            creds = self.assume(SESSION_SECONDS)
            bucket = oss2.Bucket(oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token),
                                 self.endpoint, self.bucket_name)
            self._session = (bucket, parse_expiration(creds.expiration))
            return self._session

    def sign(self, key: str, *, content_type: str | None = None, disposition: str | None = None,
             ttl: int | None = None, now: float | None = None, process: str | None = None) -> SignedUrl:
        """`process` is an `x-oss-process` value (OSS's video snapshot, docs/pictures.md): signed
        with the URL, so the holder cannot turn it into a plain GET of the clip."""
        now = self.clock() if now is None else now
        bucket, session_expires = self._bucket(now)
        lifetime = min(self.url_ttl, ttl or self.url_ttl, int(session_expires - now - 1)
                       if session_expires != math.inf else self.url_ttl)
        if lifetime < 1:
            raise RuntimeError("the signing credentials are about to expire")
        params: dict[str, str] = {}
        if content_type:
            params["response-content-type"] = content_type
        if disposition:
            params["response-content-disposition"] = disposition
        if process:
            params["x-oss-process"] = process
        # oss2 computes Expires as int(time.time()) + lifetime, so the URL dies by now + lifetime
        url = bucket.sign_url("GET", key, lifetime, params=params or None, slash_safe=True)
        return SignedUrl(url, int(now) + lifetime)

    def sign_many(self, keys: list[str], content_type: str | None = None) -> tuple[list[str], int]:
        """Sign a batch with one identity and one expiry (a playlist's segments)."""
        now = self.clock()
        bucket, session_expires = self._bucket(now)
        lifetime = self.url_ttl if session_expires == math.inf else min(self.url_ttl, int(session_expires - now - 1))
        params = {"response-content-type": content_type} if content_type else None
        return [bucket.sign_url("GET", k, lifetime, params=params, slash_safe=True) for k in keys], int(now) + lifetime
