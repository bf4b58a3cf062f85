"""The token function: verify a device's signed request, then hand out an upload-only STS token.

Order of checks (each refusal is `{"error": {"code", "message"}}`):
 1. `X-Vigil-Device` is a valid id — before anything else touches it      400 bad_request
 2. body ≤ 4 KiB, headers well-formed, Content-Type application/json     413 / 400 / 415 unsupported_media_type
    and this instance's STS budget has a slot soon (a look, no I/O)          429 sts_busy + Retry-After
 3. the device is registered                                                  401 unknown_device
    and enabled                                                               403 device_disabled
 4. the HMAC signature (constant time) with the record's key version          401 bad_signature
 5. the timestamp within ±clock_skew_seconds (error carries server_time)      401 stale_timestamp
 6. the JSON body and its `ttl` (900..token_ttl_max)                          400 bad_request
    a gateway's `cameras` (some of its own; absent = all)                   400 bad_request / 403 not_its_camera
    and their prefixes fit one STS policy (error.fits: how many do)         400 policy_too_long
 7. the nonce was never used (OSS forbid-overwrite)                           409 replayed_nonce
 8. the per-device rate limit (shared across instances)                       429 rate_limited + Retry-After
    then a slot of the STS budget (waits ≤ 2 s for it, else sheds)           429 sts_busy + Retry-After
 9. STS AssumeRole(upload role, device session policy, ttl)                   503 sts_unavailable
Before step 1 the HTTP edge refuses a header sent twice under different spellings (400) and
other methods on /v1/token (405 method_not_allowed, `Allow: POST`). Registry / nonce / limiter
storage failures answer 503 service_unavailable. Every error of /v1/token carries `server_time`
inside `error`, so a device can correct its clock from any answer.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oss2
from vigil_camera import protocol
from vigil_camera.crc import without_crc
from vigil_camera.keys import live_prefix, videos_prefix

from ..core.clients import FunctionCredentials, oss_bucket
from ..core.config import Settings
from ..core.devices import DeviceRecord, Registry, RegistryError
from ..core.http import ApiError, HttpEvent, Response, Router, bad_request, json_response
from ..core.logging import get_logger, setup
from ..core.nonces import NonceStore
from ..core.ratelimit import Admission, RateLimiter, StsBudget
from ..core.sts import IssuedCredentials, StsUnavailable, cached_client
from .policy import PolicyTooLong, device_upload_policy

log = get_logger("vigil.token")

TOKEN_PATH = "/v1/token"  # noqa: S105 - a URL path, not a password
MAX_BODY_BYTES = 4096
MIN_TTL = 900
OPENAPI_FILE = Path(__file__).resolve().parent / "openapi.json"
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_UNAUTHORIZED = {"WWW-Authenticate": protocol.AUTH_SCHEME}
STS_RETRY_AFTER = 5  # seconds a device is told to wait when STS itself refused

Issuer = Callable[[str, dict[str, Any], int], IssuedCredentials]
"""(RoleSessionName — the device's `record.session_name`, which revocation denies —, policy, ttl)."""


@dataclass(frozen=True)
class SignedRequest:
    """The authentication parts of a token request, syntactically valid."""

    device_id: str
    timestamp: int
    timestamp_text: str
    nonce: str
    signature: str


def read_device_id(event: HttpEvent) -> str:
    """Step 1: the device id, validated strictly before it reaches a key, a log line or a policy."""
    raw = event.headers.get(protocol.HEADER_DEVICE)
    if raw is None:
        raise bad_request("missing header {header}", header=protocol.HEADER_DEVICE)
    try:
        return protocol.validate_device_id(raw)
    except ValueError as exc:
        raise bad_request("{header}: {reason}", header=protocol.HEADER_DEVICE, reason=exc) from None


def check_content_type(event: HttpEvent) -> None:
    """The body is JSON and must say so (`application/json`, parameters such as charset allowed)."""
    media = (event.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as Content-Type: application/json",
                       headers={"Accept": "application/json"})


def read_signed_request(event: HttpEvent, device_id: str) -> SignedRequest:
    """Step 2: size, content type and header syntax (no I/O yet)."""
    if len(event.body) > MAX_BODY_BYTES:
        raise ApiError(413, "payload_too_large", "the body is larger than {limit} bytes", limit=MAX_BODY_BYTES)
    ts_text = (event.headers.get(protocol.HEADER_TIMESTAMP) or "").strip()
    if not _TIMESTAMP_RE.fullmatch(ts_text):
        raise bad_request("{header} must be unix seconds", header=protocol.HEADER_TIMESTAMP)
    nonce = event.headers.get(protocol.HEADER_NONCE) or ""
    if not protocol.NONCE_RE.fullmatch(nonce):
        raise bad_request("{header} must be 16-64 lower-case hex characters", header=protocol.HEADER_NONCE)
    auth = event.headers.get(protocol.HEADER_AUTHORIZATION)
    if auth is None:
        raise bad_request("missing header {header}", header=protocol.HEADER_AUTHORIZATION)
    signature = protocol.parse_authorization(auth)
    if signature is None:
        raise bad_request("{header} must be '{scheme} Signature=<64 hex>'",
                          header=protocol.HEADER_AUTHORIZATION, scheme=protocol.AUTH_SCHEME)
    check_content_type(event)
    return SignedRequest(device_id, int(ts_text), ts_text, nonce, signature)


def check_timestamp(timestamp: int, now: float, skew: int) -> None:
    """Step 5: refuse a timestamp outside ±skew; tell the device our time so it can correct."""
    if abs(now - timestamp) > skew:
        raise ApiError(401, "stale_timestamp",
                       "{header} is more than {skew} s away from the server time",
                       header=protocol.HEADER_TIMESTAMP, skew=skew, headers=_UNAUTHORIZED,
                       extra={"server_time": int(now)})


def parse_ttl(body: Any, settings: Settings) -> int:
    """Step 6: `{"ttl": seconds}` (optional) within 900..token_ttl_max."""
    if body is None:
        return settings.token_ttl_default
    if not isinstance(body, dict):
        raise bad_request("the body must be a JSON object")
    ttl = body.get("ttl")
    if ttl is None:
        return settings.token_ttl_default
    if isinstance(ttl, bool) or not isinstance(ttl, int):
        raise bad_request("ttl must be an integer number of seconds")
    if not MIN_TTL <= ttl <= settings.token_ttl_max:
        raise bad_request("ttl must be between {low} and {high} seconds", low=MIN_TTL, high=settings.token_ttl_max)
    return ttl


def parse_body(event: HttpEvent) -> Any:
    return event.json()


def token_cameras(record: DeviceRecord, body: Any) -> tuple[str, ...]:
    """Step 6b: the gateway cameras this token covers. A gateway whose cameras do not fit one STS
    policy asks for one token per group of them (`{"cameras": [...]}`, each one of its own); absent,
    the token covers all of them. An id not in the record is refused without being echoed."""
    if isinstance(body, dict) and "cameras" in body:
        named = body["cameras"]
        if not isinstance(named, list) or not all(isinstance(c, str) for c in named) \
                or len(set(named)) != len(named):
            raise bad_request("cameras must be a list of distinct camera ids")
        if any(c not in record.cameras for c in named):
            raise ApiError(403, "not_its_camera", "a camera in the request is not one of this gateway's cameras")
        return tuple(named)
    return record.cameras


def token_policy(settings: Settings, record: DeviceRecord, cameras: tuple[str, ...]) -> dict[str, Any]:
    """Step 6c: the session policy over the device's own prefixes and `cameras`'."""
    try:
        return device_upload_policy(settings.bucket, record.device_id, cameras)
    except PolicyTooLong as exc:
        raise ApiError(400, "policy_too_long", "these cameras do not fit one token's policy; ask for the "
                       "first `fits` of them, then the rest", extra={"fits": exc.fits}) from None


def sts_busy(admission: Admission) -> ApiError:
    """The shedding answer: this instance's STS budget is taken; come back at the booked time."""
    return ApiError(429, "sts_busy", "too many cameras are asking for tokens right now; retry later",
                    headers={"Retry-After": str(admission.retry_after)},
                    extra={"retry_after": admission.retry_after})


def sts_unavailable() -> ApiError:
    """STS refused (Throttling, or down): a short, fixed Retry-After."""
    return ApiError(503, "sts_unavailable", "the token service could not get credentials from STS; "
                    "retry later", headers={"Retry-After": str(STS_RETRY_AFTER)})


def shed_early(budget: StsBudget | None, now: float) -> None:
    """Step 2b: raise `sts_busy` when this instance has no STS slot soon — a look, before any I/O."""
    if budget is not None and budget.would_shed(now):
        raise sts_busy(budget.shed(now))


def take_sts_slot(budget: StsBudget | None, now: float) -> float:
    """Step 8b: take an STS slot; the seconds to wait for it, or raise `sts_busy`."""
    if budget is None:
        return 0.0
    admission = budget.acquire(now)
    if not admission.allowed:
        raise sts_busy(admission)
    return admission.wait


def token_response(settings: Settings, device_id: str, creds: IssuedCredentials,
                   now: float, activity: dict[str, Any] | None = None,
                   camera_activity: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The answer; `activity` (the record's settings) rides along so the camera needs no other request,
    and for a gateway `camera_activity`: the settings of each camera this token covers that has some
    (bounded by the registry: `MAX_CAMERA_ACTIVITY_BYTES` for all of a gateway's cameras)."""
    doc: dict[str, Any] = {
        "credentials": creds.public_dict(),
        "bucket": settings.bucket,
        "endpoint": settings.public_oss_endpoint,
        "region": settings.region,
        "prefixes": {"videos": videos_prefix(device_id), "live": live_prefix(device_id)},
        "server_time": int(now),
    }
    if activity is not None:
        doc["activity"] = activity
    if camera_activity:
        doc["camera_activity"] = camera_activity
    return doc


class TokenService:
    """The token endpoint over its collaborators (registry, nonces, limiter, STS issuer)."""

    def __init__(self, settings: Settings, registry: Registry, nonces: NonceStore, limiter: RateLimiter,
                 issuer: Issuer, clock: Callable[[], float] = time.time,
                 sts_budget: StsBudget | None = None, sleep: Callable[[float], None] = time.sleep,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings
        self.registry = registry
        self.nonces = nonces
        self.limiter = limiter
        self.issuer = issuer
        self.clock = clock
        self.sts_budget = sts_budget     # scheduled on `monotonic`: a wall-clock step must not stall it
        self.sleep = sleep
        self.monotonic = monotonic

    def issue(self, event: HttpEvent) -> Response:
        device_id = read_device_id(event)
        try:
            return self._issue(event, device_id)
        except ApiError as err:
            err.extra.setdefault("server_time", int(self.clock()))
            log.warning("token refused", extra={"device_id": device_id, "code": err.code,
                                                "status": err.status, "request_id": event.request_id})
            raise

    def _issue(self, event: HttpEvent, device_id: str) -> Response:
        req = read_signed_request(event, device_id)
        shed_early(self.sts_budget, self.monotonic())   # before any OSS call: shedding stays cheap
        record = self._storage(lambda: self.registry.get(device_id))
        if record is None:
            raise ApiError(401, "unknown_device", "this device is not registered", headers=_UNAUTHORIZED)
        if not record.enabled:
            raise ApiError(403, "device_disabled", "this device is disabled")
        secret = protocol.device_secret(self.settings.master_key, device_id, record.key_version)
        if not protocol.verify(secret, req.signature, event.method, event.path, req.timestamp_text,
                               req.nonce, event.body):
            raise ApiError(401, "bad_signature", "the request signature does not match",
                           headers=_UNAUTHORIZED)
        now = self.clock()
        check_timestamp(req.timestamp, now, self.settings.clock_skew_seconds)
        body = parse_body(event)
        ttl = parse_ttl(body, self.settings)
        cameras = token_cameras(record, body)
        policy = token_policy(self.settings, record, cameras)   # before the nonce and the rate limit: no STS call
        if not self._storage(lambda: self.nonces.claim(device_id, req.nonce, req.timestamp)):
            raise ApiError(409, "replayed_nonce", "this nonce was used already; send a fresh one")
        decision = self._storage(lambda: self.limiter.acquire(device_id, now))
        if not decision.allowed:
            raise ApiError(429, "rate_limited",
                           "at most {limit} tokens per {window} s per device",
                           limit=self.limiter.limit, window=self.limiter.window_seconds,
                           headers={"Retry-After": str(decision.retry_after)},
                           extra={"retry_after": decision.retry_after})
        wait = take_sts_slot(self.sts_budget, self.monotonic())
        if wait > 0:
            self.sleep(wait)
        started = time.perf_counter()
        try:
            creds = self.issuer(record.session_name, policy, ttl)
        except StsUnavailable as exc:
            log.error("sts refused", extra={"device_id": device_id, "sts_code": exc.code,
                                            "request_id": event.request_id})
            raise sts_unavailable() from None
        sts_ms = round((time.perf_counter() - started) * 1000, 2)
        log.info("token issued", extra={"device_id": device_id, "ttl": ttl, "request_id": event.request_id,
                                        "expiration": creds.expiration, "key_version": record.key_version,
                                        "session": record.session_name,
                                        "sts_ms": sts_ms})
        per_camera = {c: record.camera_activity[c] for c in cameras if c in record.camera_activity}
        return json_response(200, token_response(self.settings, device_id, creds, now, record.activity, per_camera))

    @staticmethod
    def _storage(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except (oss2.exceptions.OssError, RegistryError) as exc:
            log.error("storage error", extra={"error": type(exc).__name__,
                                              "code": getattr(exc, "code", None)})
            raise ApiError(503, "service_unavailable", "the device registry is unavailable; retry later",
                           headers={"Retry-After": "5"}) from None


def build_service(settings: Settings, creds: FunctionCredentials,
                  sts_budget: StsBudget | None = None, *, clock: Callable[[], float] = time.time) -> TokenService:
    """Wire the service from settings and the function's own credentials (clients cached per instance)."""
    if not settings.master_key:
        raise RuntimeError("VIGIL_MASTER_KEY is not configured")
    # oss2's CRC-less twin, as the indexer's: with `enable_crc` oss2 builds a pure-Python CRC-64
    # table on every request (14 % of a token's CPU, profiled) to check bodies of a few bytes — a
    # registry record (JSON, parsed and validated) and empty create-once markers; bodies that small
    # are read whole over keep-alive connections (`small_bodies`)
    bucket = without_crc(oss_bucket(settings, creds, small_bodies=True))
    sts = cached_client(creds.access_key_id, creds.access_key_secret, creds.security_token,
                        settings.region, settings.sts_endpoint)

    def issuer(session: str, policy: dict[str, Any], ttl: int) -> IssuedCredentials:
        return sts.assume_role(settings.upload_role_arn, session, policy, ttl)

    return TokenService(settings, Registry(bucket), NonceStore(bucket),
                        RateLimiter(bucket, settings.token_rate_per_minute), issuer, clock=clock, sts_budget=sts_budget)


class TokenFunction:
    """Per-instance state of the token function: settings, the router, the service per credentials."""

    def __init__(self, settings: Settings | None = None, *, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings or Settings.from_env()
        self.clock = clock   # the one clock: token times, `server_time` on every error
        setup(self.settings.log_level)
        self._lock = threading.Lock()
        self._service: tuple[FunctionCredentials, TokenService] | None = None
        # per instance, and kept across credential rotations (a new service must not reset it)
        self.sts_budget = StsBudget(self.settings.sts_rate_per_instance)
        self.router = Router(error_extra=lambda: {"server_time": int(self.clock())}, max_body=MAX_BODY_BYTES)
        self.router.add("POST", TOKEN_PATH, self._token)
        for method in OTHER_METHODS:
            self.router.add(method, TOKEN_PATH, self._method_not_allowed)
        self.router.add("GET", "/v1/health", health)
        self.router.add("GET", "/v1/openapi.json", openapi)

    def handle(self, event: Any, context: Any) -> Response:
        return self.router.dispatch(event, context)

    def service(self, context: Any) -> TokenService:
        creds = FunctionCredentials.from_context(context)
        with self._lock:
            if self._service is None or self._service[0] != creds:
                self._service = (creds, build_service(self.settings, creds, self.sts_budget, clock=self.clock))
            return self._service[1]

    def _token(self, event: HttpEvent) -> Response:
        try:
            read_device_id(event)  # strictly first, even before the instance is wired
            try:
                service = self.service(event.context)
            except (RuntimeError, ValueError):
                log.exception("token function misconfigured", extra={"request_id": event.request_id})
                raise ApiError(500, "misconfigured",
                               "the token function is not configured; see its log") from None
            return service.issue(event)
        except ApiError as err:
            err.extra.setdefault("server_time", int(self.clock()))
            raise

    def _method_not_allowed(self, event: HttpEvent) -> Response:
        """Any method but POST on /v1/token: the documented error shape, with `server_time` as on every
        /v1/token error (HEAD is routed here too, as GET, and answers without a body)."""
        raise ApiError(405, "method_not_allowed", "{method} is not allowed here; use POST", method=event.method[:16],
                       headers={"Allow": "POST"}, extra={"server_time": int(self.clock())})


OTHER_METHODS = ("GET", "PUT", "DELETE", "PATCH", "OPTIONS")
"""Methods the trigger lets through (s.yaml) only so that they get Vigil's error shape, not FC's."""


def health(event: HttpEvent) -> Response:
    return json_response(200, {"status": "ok"})


_openapi_cache: list[Any] = []


def openapi(event: HttpEvent) -> Response:
    if not _openapi_cache:
        _openapi_cache.append(json.loads(OPENAPI_FILE.read_text()))
    return json_response(200, _openapi_cache[0])
