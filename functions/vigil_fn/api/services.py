"""Per-instance wiring of the api function: clients built from the function's credentials, once."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import oss2

from ..core.audit import AuditLog
from ..core.clients import FunctionCredentials, oss_bucket
from ..core.config import ApiSettings, Settings
from ..core.devices import Registry
from ..core.http import ApiError
from ..core.ratelimit import RateLimiter
from ..core.sts import IssuedCredentials, cached_client
from .presign import UrlSigner
from .sessions import SessionSigner
from .users import UserStore


@dataclass
class Services:
    settings: Settings
    api: ApiSettings
    bucket: oss2.Bucket
    users: UserStore
    registry: Registry
    audit: AuditLog
    urls: UrlSigner
    sessions: SessionSigner
    user_limiter: RateLimiter
    client_limiter: RateLimiter
    clock: Callable[[], float] = time.time
    action_limiters: dict[str, RateLimiter] = field(default_factory=dict)

    def now_ms(self) -> int:
        return int(self.clock() * 1000)

    def check_login_rate(self, user: str, client: str) -> None:
        """Every login attempt takes a slot per user and per client address (shared by instances)."""
        now = self.clock()
        for limiter, subject in ((self.user_limiter, "lu-" + _digest(user)), (self.client_limiter,
                                                                              "lc-" + _digest(client))):
            decision = limiter.acquire(subject, now)
            if not decision.allowed:
                raise ApiError(429, "rate_limited", "too many login attempts; wait and try again",
                               headers={"Retry-After": str(decision.retry_after)},
                               extra={"retry_after": decision.retry_after})


    def check_user_rate(self, action: str, user: str, per_minute: int) -> None:
        """One slot per `action` (a short lower-case tag: `lv` live starts, `lx` export creates and
        retries) per user per minute, shared by every instance like the login limit; 429 when spent.

        Why: each live start writes to OSS and each export job costs a function run; without a
        limit one viewer could fill the bucket with signals or jobs (security round three, 3 and 6)."""
        limiter = self.action_limiters.get(action)
        if limiter is None or limiter.limit != per_minute:
            limiter = self.action_limiters[action] = RateLimiter(self.bucket, per_minute)
        decision = limiter.acquire(f"{action}-{_digest(user)}", self.clock())
        if not decision.allowed:
            raise ApiError(429, "rate_limited", "too many requests of this kind; wait and try again",
                           headers={"Retry-After": str(decision.retry_after)},
                           extra={"retry_after": decision.retry_after})


def _digest(text: str) -> str:
    """Limiter keys must be device-id shaped; a digest also keeps names and addresses out of keys."""
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def build(settings: Settings, api: ApiSettings, creds: FunctionCredentials) -> Services:
    if len(api.session_key) < 16:
        raise RuntimeError("VIGIL_SESSION_KEY is not configured (at least 16 characters)")
    bucket = oss_bucket(settings, creds)
    assume: Callable[[int], IssuedCredentials] | None = None
    if api.viewer_role_arn:
        sts = cached_client(creds.access_key_id, creds.access_key_secret, creds.security_token,
                            settings.region, settings.sts_endpoint)

        def assume(duration: int) -> IssuedCredentials:
            return sts.assume_role(api.viewer_role_arn, "vigil-api-viewer", None, duration)

    signer = UrlSigner(settings.public_oss_endpoint, settings.bucket, api.url_ttl_seconds, assume,
                       fallback=(creds.access_key_id, creds.access_key_secret, creds.security_token))
    return Services(settings=settings, api=api, bucket=bucket, users=UserStore(bucket), registry=Registry(bucket),
                    audit=AuditLog(bucket), urls=signer, sessions=SessionSigner(api.session_key),
                    user_limiter=RateLimiter(bucket, api.login_rate_per_user),
                    client_limiter=RateLimiter(bucket, api.login_rate_per_client))


class ServiceCache:
    """One `Services` per set of function credentials (FC refreshes them; clients follow)."""

    def __init__(self, settings: Settings, api: ApiSettings) -> None:
        self.settings = settings
        self.api = api
        self._lock = threading.Lock()
        self._current: tuple[FunctionCredentials, Services] | None = None

    def get(self, context: Any) -> Services:
        creds = FunctionCredentials.from_context(context)
        with self._lock:
            if self._current is None or self._current[0] != creds:
                self._current = (creds, build(self.settings, self.api, creds))
            return self._current[1]
