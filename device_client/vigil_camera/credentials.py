"""Device credentials: a signed request to the token service, cached, refreshed before expiry.

`TokenProvider` is the one place that talks to the token function. It

* signs each request (`vigil_camera.protocol.signed_headers`) with a timestamp corrected by the
  clock skew it learns from `server_time` in every response and error (a `stale_timestamp` is
  retried once at once with the corrected time);
* caches the token and refreshes it at ~80 % of its life (jittered so a fleet spreads out), and at
  once when OSS says the token is expired or unknown (`invalidate`);
* never asks twice concurrently (single-flight lock) and, while the service is down, backs off with
  jitter and honours Retry-After; an old token that is still valid keeps being used meanwhile.

The lifetime is measured on the server's clock (`expiration - server_time`) and scheduled on the
local monotonic clock, so a device with a wrong wall clock still refreshes on time.
"""

from __future__ import annotations

import calendar
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests

from . import logs
from .backoff import Backoff
from .protocol import TOKEN_PATH, signed_headers, token_base_url, validate_device_id

RETRYABLE_CODES = {"rate_limited", "sts_busy", "sts_unavailable", "internal_error", "service_unavailable"}
USABLE_MARGIN = 5.0  # seconds: a token this close to expiry is no longer handed out
REFRESH_FRACTION = 0.8   # refresh at 80 % of a token's life ...
REFRESH_JITTER = 0.05    # ... ± 5 % (uniform), so a fleet spreads out
log = logs.get("vigil_camera.credentials")


class TokenError(Exception):
    """The token service refused (code from its `{"error": {...}}` body) or could not be reached."""

    def __init__(self, code: str, message: str, status: int = 0, retry_after: float | None = None,
                 server_time: float | None = None, fits: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.retry_after = retry_after
        self.server_time = server_time
        self.fits = fits          # policy_too_long: how many of the named cameras fit one token

    @property
    def retryable(self) -> bool:
        """Worth trying again later: the service is down, busy or overloaded — not a refusal."""
        return self.status == 0 or self.status >= 500 or self.status == 429 or self.code in RETRYABLE_CODES


class TokenUnavailable(TokenError):
    """No valid token and the service did not answer within the wait budget."""


@dataclass(frozen=True)
class Token:
    access_key_id: str
    access_key_secret: str = field(repr=False)
    security_token: str = field(repr=False)
    expiration: float          # unix seconds, server clock
    server_time: float         # unix seconds, server clock, when issued
    bucket: str
    endpoint: str
    region: str
    prefixes: dict[str, str]
    fetched_at: float          # local monotonic clock
    refresh_at: float          # local monotonic clock
    activity: dict[str, Any] | None = None   # the camera's activity settings from its registry record
    # a gateway's: the settings of each camera this token covers that has some (its gateway's record)
    camera_activity: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def lifetime(self) -> float:
        return max(0.0, self.expiration - self.server_time)

    def expires_in(self, monotonic_now: float) -> float:
        return self.lifetime - (monotonic_now - self.fetched_at)

    def describe(self) -> dict[str, Any]:
        """What the `token` command shows: never the secret, the security token only as a prefix."""
        return {
            "access_key_id": self.access_key_id,
            "security_token": logs.redact(self.security_token, 8),
            "expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.expiration)),
            "lifetime_seconds": round(self.lifetime),
            "bucket": self.bucket,
            "endpoint": self.endpoint,
            "region": self.region,
            "prefixes": dict(self.prefixes),
        }


def parse_time(value: Any) -> float:
    """Unix seconds from a number, a numeric string or `YYYY-MM-DDTHH:MM:SS[.fff]Z`."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return float(text)
        except ValueError:
            pass
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            return float(calendar.timegm(moment.timetuple())) + moment.microsecond / 1e6
        return moment.timestamp()
    raise ValueError(f"not a time: {value!r}")


def refresh_time(fetched: float, life: float, fraction: float, jitter: float, rng: random.Random) -> float:
    """When a token fetched at `fetched` (monotonic) and living `life` seconds is refreshed:
    at `fraction` ± `jitter` of its life (uniform, one `rng` draw), kept within 5..95 %.

    The one place the schedule is computed — `TokenProvider` and the fleet simulator
    (`vigil_ops.sim`) both call it, so the simulation refreshes exactly when a camera would."""
    drawn = fraction + rng.uniform(-jitter, jitter)
    return fetched + life * max(0.05, min(drawn, 0.95))


def token_backoff(rng: random.Random) -> Backoff:
    """The provider's backoff towards the token service: full jitter from 0.5 s, capped at 60 s."""
    return Backoff(base=0.5, cap=60.0, rng=rng)


def _retry_after(headers: Any) -> float | None:
    value = headers.get("Retry-After") if headers is not None else None
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


class TokenProvider:
    """Fetches, caches and refreshes the device's STS token (thread-safe, single-flight)."""

    def __init__(
        self,
        token_url: str,
        device_id: str,
        device_secret: str,
        *,
        session: requests.Session | None = None,
        timeout: float = 10.0,
        refresh_fraction: float = REFRESH_FRACTION,
        refresh_jitter: float = REFRESH_JITTER,
        max_wait: float = 30.0,
        backoff: Backoff | None = None,
        wall_clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        ttl: int | None = None,
        cameras: tuple[str, ...] | None = None,
    ) -> None:
        self.token_url = token_base_url(token_url)
        self.device_id = validate_device_id(device_id)
        self._secret = device_secret
        self._session = session or requests.Session()
        self.timeout = timeout
        self.ttl = ttl
        # a gateway's token group (`tokengroups`): the token covers these of its cameras; None = all
        self.cameras = None if cameras is None else tuple(validate_device_id(c) for c in cameras)
        self.refresh_fraction = refresh_fraction
        self.refresh_jitter = refresh_jitter
        self.max_wait = max_wait
        self._rng = rng or random.Random()
        # the backoff draws from the same source, so one seed fixes the whole schedule
        self.backoff = backoff or token_backoff(self._rng)
        self._wall = wall_clock
        self._mono = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._token: Token | None = None
        self._stale: str | None = None        # access key id OSS refused
        self._next_attempt = 0.0              # monotonic: no request before this (backoff)
        self.skew = 0.0                       # server clock - local clock, seconds
        self.fetches = 0                      # token requests that returned a token
        self.requests = 0                     # every HTTP request sent to the token service

    # -- public -----------------------------------------------------------------------------------
    def server_now(self) -> float:
        """The local wall clock corrected by the learned skew."""
        return self._wall() + self.skew

    def current(self) -> Token | None:
        return self._token

    def token(self) -> Token:
        """A valid token: the cached one while fresh, else a refresh (one caller fetches, others wait)."""
        tok = self._token
        if tok is not None and not self._needs_refresh(tok):
            return tok
        with self._lock:
            tok = self._token
            if tok is not None and not self._needs_refresh(tok):
                return tok   # someone else refreshed while we waited for the lock
            return self._refresh_locked()

    def invalidate(self, token: Token | None = None) -> None:
        """OSS refused `token` (expired / unknown key): the next `token()` fetches a new one.

        Only the token that failed is invalidated, so a burst of refusals from parallel part uploads
        signed with the same old token leads to one refresh, not one each.
        """
        with self._lock:
            current = self._token
            if current is not None and (token is None or token.access_key_id == current.access_key_id):
                self._stale = current.access_key_id

    # -- internals --------------------------------------------------------------------------------
    def _needs_refresh(self, tok: Token) -> bool:
        return tok.access_key_id == self._stale or self._mono() >= tok.refresh_at

    def _usable(self, tok: Token | None) -> bool:
        """Still valid on the server's clock (with a small margin), and not refused by OSS."""
        return tok is not None and tok.access_key_id != self._stale and tok.expires_in(self._mono()) > USABLE_MARGIN

    def _refresh_locked(self) -> Token:
        deadline = self._mono() + self.max_wait
        while True:
            now = self._mono()
            if now < self._next_attempt:
                if self._usable(self._token):
                    assert self._token is not None
                    return self._token          # service backing off; the old token still works
                wait = self._next_attempt - now
                if now + wait > deadline:
                    raise TokenUnavailable("token_unavailable", "token service unavailable; backing off")
                self._sleep(wait)
            try:
                tok = self._fetch_with_skew_retry()
            except TokenError as err:
                if not err.retryable:
                    raise
                delay = self.backoff.next_delay(err.retry_after)
                self._next_attempt = self._mono() + delay
                log.warning("token service unavailable", extra={"code": err.code, "status": err.status,
                                                               "retry_in": round(delay, 2)})
                if self._usable(self._token):
                    assert self._token is not None
                    return self._token
                if self._next_attempt > deadline:
                    raise TokenUnavailable(err.code, err.message, err.status, err.retry_after) from err
                continue
            self.backoff.reset()
            self._next_attempt = 0.0
            self._token = tok
            self._stale = None
            log.info("token refreshed", extra={"access_key_id": tok.access_key_id,
                                               "lifetime": round(tok.lifetime),
                                               "refresh_in": round(tok.refresh_at - tok.fetched_at)})
            return tok

    def _fetch_with_skew_retry(self) -> Token:
        try:
            return self.fetch_once()
        except TokenError as err:
            if err.code != "stale_timestamp" or err.server_time is None:
                raise
            log.warning("clock skew corrected", extra={"skew": round(self.skew, 3)})
            return self.fetch_once()   # once, with the skew learned from the error

    def _learn_skew(self, server_time: float, sent: float, received: float) -> None:
        self.skew = server_time - (sent + received) / 2.0

    def fetch_once(self) -> Token:
        """One signed request; raises TokenError (status 0 when the service could not be reached)."""
        request: dict[str, Any] = {"ttl": self.ttl} if self.ttl else {}
        if self.cameras is not None:
            request["cameras"] = list(self.cameras)
        body = json.dumps(request).encode()
        timestamp = int(round(self.server_now()))
        headers = signed_headers(self.device_id, self._secret, "POST", TOKEN_PATH, body, timestamp)
        sent_wall, sent_mono = self._wall(), self._mono()
        self.requests += 1
        try:
            resp = self._session.post(self.token_url + TOKEN_PATH, data=body, headers=headers,
                                      timeout=self.timeout)
        except requests.RequestException as exc:
            raise TokenError("unreachable", type(exc).__name__) from exc
        received_wall, received_mono = self._wall(), self._mono()
        try:
            doc = resp.json()
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise TokenError("bad_response", f"HTTP {resp.status_code} without a JSON body", resp.status_code,
                             _retry_after(resp.headers))
        server_time = doc.get("server_time")
        if server_time is None and isinstance(doc.get("error"), dict):
            server_time = doc["error"].get("server_time")
        parsed_server_time: float | None = None
        if server_time is not None:
            try:
                parsed_server_time = parse_time(server_time)
                self._learn_skew(parsed_server_time, sent_wall, received_wall)
            except ValueError:
                parsed_server_time = None
        if resp.status_code != 200 or "credentials" not in doc:
            err: dict[str, Any] = doc["error"] if isinstance(doc.get("error"), dict) else {}
            fits = err.get("fits")
            raise TokenError(str(err.get("code", "bad_response")), str(err.get("message", "")),
                             resp.status_code, _retry_after(resp.headers), parsed_server_time,
                             fits if isinstance(fits, int) and not isinstance(fits, bool) else None)
        try:
            creds = doc["credentials"]
            expiration = parse_time(creds["expiration"])
            issued = parsed_server_time if parsed_server_time is not None else self.server_now()
            life = max(0.0, expiration - issued)
            fetched = (sent_mono + received_mono) / 2.0
            prefixes = doc.get("prefixes") or {}
            self.fetches += 1
            return Token(
                access_key_id=str(creds["access_key_id"]),
                access_key_secret=str(creds["access_key_secret"]),
                security_token=str(creds["security_token"]),
                expiration=expiration,
                server_time=issued,
                bucket=str(doc["bucket"]),
                endpoint=str(doc["endpoint"]),
                region=str(doc.get("region", "")),
                prefixes={str(k): str(v) for k, v in prefixes.items()},
                fetched_at=fetched,
                refresh_at=refresh_time(fetched, life, self.refresh_fraction, self.refresh_jitter, self._rng),
                activity=doc["activity"] if isinstance(doc.get("activity"), dict) else None,
                camera_activity=_camera_activity(doc.get("camera_activity")),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TokenError("bad_response", f"malformed token response: {type(exc).__name__}",
                             resp.status_code) from exc


def _camera_activity(doc: Any) -> dict[str, dict[str, Any]]:
    """The answer's per-camera settings, keeping only well-formed entries (each camera's analyzer
    validates its own and falls back to defaults)."""
    if not isinstance(doc, dict):
        return {}
    return {str(camera): settings for camera, settings in doc.items() if isinstance(settings, dict)}


class StaticTokens:
    """A fixed key (operator key or a parity token from `vigil token`) shaped like `TokenProvider`,
    for the read/stat/delete side of the file API."""

    def __init__(self, access_key_id: str, access_key_secret: str, *, endpoint: str, bucket: str,
                 security_token: str = "", region: str = "", expiration: float | None = None) -> None:
        now = time.time()
        exp = expiration if expiration is not None else now + 10 * 365 * 86400
        self._token = Token(access_key_id, access_key_secret, security_token, exp, now, bucket, endpoint,
                            region, {}, time.monotonic(), float("inf"))
        self.skew = 0.0

    def token(self) -> Token:
        return self._token

    def server_now(self) -> float:
        return time.time()

    def token_credentials(self) -> Any:
        """The key as an `oss2.credentials.Credentials`."""
        from oss2.credentials import Credentials

        t = self._token
        return Credentials(t.access_key_id, t.access_key_secret, t.security_token)

    def current(self) -> Token | None:
        return self._token

    def invalidate(self, token: Token | None = None) -> None:
        """A static key cannot be refreshed; the next call fails the same way."""
