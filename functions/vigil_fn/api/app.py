"""The api function's request pipeline: parse → route → authenticate → CSRF → validate → handle.

Every outcome is an FC HTTP response: handler results are serialised from their response model,
`ApiError` becomes `{"error": {"code", "message"}}`, storage trouble a 503, anything else a 500
whose traceback stays in the log. One JSON log line per request (request id, user, status, time).
"""

from __future__ import annotations

import base64
import time
import zlib
from collections.abc import Mapping
from typing import Any

import orjson
import oss2
import pydantic_core
from pydantic import BaseModel

from ..core.config import ApiSettings, Settings
from ..core.errors import Refused
from ..core.http import ApiError, HttpEvent, Response, json_response, request_language
from ..core.logging import get_logger, setup
from ..core.sts import StsUnavailable
from . import web
from .app_support import secure_cookie
from .models import Health
from .openapi import API_VERSION, build_openapi
from .router import Call, Route, RouteTable, Trusted, parse_body, parse_model
from .routes import MODULES as ROUTE_MODULES
from .services import ServiceCache, Services
from .sessions import COOKIE_NAME, SessionError, clear_cookie, read_cookie, set_cookie

log = get_logger("vigil.api")
API_PREFIX = "/api/"
MAX_BODY_BYTES = 64 * 1024
CSRF_HEADER = "X-Vigil-CSRF"
GZIP_MIN_BYTES = 8192
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
HSTS = "max-age=31536000"
"""Sent only on requests that came over https (X-Forwarded-Proto from FC's gateway, as for the
Secure cookie): a year, without includeSubDomains — other hosts under the custom domain's parent
are not ours to pin (security round three, item 9)."""


def build_routes() -> RouteTable:
    table = RouteTable()
    for module in ROUTE_MODULES:
        module.register(table)
    return table


class ApiFunction:
    """Per-instance state: settings, the route table, services per credentials, the OpenAPI doc."""

    def __init__(self, settings: Settings | None = None, api: ApiSettings | None = None) -> None:
        self.settings = settings or Settings.from_env()
        self.api = api or ApiSettings.from_env()
        setup(self.settings.log_level)
        self.routes = build_routes()
        self.services = ServiceCache(self.settings, self.api)
        self.routes.add(Route("GET", "/api/v1/openapi.json", self._openapi, "public",
                              "this OpenAPI 3.1 document", tag="meta"))
        self.routes.add(Route("GET", "/api/v1/health", lambda call: Health(status="ok", version=API_VERSION),
                              "public", "liveness (no storage call)", response=Health, tag="meta"))
        self.openapi = build_openapi(self.routes.routes)
        self.csp = web.csp(web.oss_origin(self.settings.public_oss_endpoint, self.settings.bucket))

    def _openapi(self, call: Call) -> Response:
        return json_response(200, self.openapi, {"Cache-Control": "public, max-age=300"})

    def handle(self, event: bytes | str | Mapping[str, Any], context: Any = None) -> Response:
        started = time.perf_counter()
        request_id = getattr(context, "request_id", None) or ""
        call: Call | None = None
        method = path = ""
        gzip_ok = False
        http_event: HttpEvent | None = None
        try:
            http_event = HttpEvent.parse(event, context, max_body=MAX_BODY_BYTES)
            request_id, method, path = http_event.request_id, http_event.method, http_event.path
            gzip_ok = "gzip" in str(http_event.headers.get("accept-encoding") or "").lower()
            call = Call(http_event, {})
            response = self._serve(call)
        except ApiError as err:
            response = err.to_response(request_language(http_event or event))
        except (oss2.exceptions.OssError, oss2.exceptions.RequestError) as exc:
            log.error("storage error", extra={"request_id": request_id, "error": type(exc).__name__,
                                              "code": getattr(exc, "code", None)})
            response = ApiError(503, "unavailable", "storage is unavailable; retry later",
                                headers={"Retry-After": "5"}).to_response(request_language(http_event or event))
        except StsUnavailable as exc:  # the viewer role could not be assumed to sign URLs
            log.error("sts refused", extra={"request_id": request_id, "sts_code": exc.code})
            response = ApiError(503, "unavailable", "cannot sign playback URLs right now; retry later",
                                headers={"Retry-After": "5"}).to_response(request_language(http_event or event))
        except Exception:  # noqa: BLE001 - the client gets a 500, the log gets the traceback
            log.exception("unhandled error", extra={"request_id": request_id})
            response = ApiError(500, "internal_error", "internal error; see the function log").to_response(
                request_language(http_event or event))
        headers = response.setdefault("headers", {})
        if request_id:
            headers["X-Vigil-Request-Id"] = request_id
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")   # for browsers without CSP frame-ancestors
        if http_event is not None and secure_cookie(self.api, http_event):
            headers.setdefault("Strict-Transport-Security", HSTS)
        if method == "HEAD":
            response["body"] = ""
        elif gzip_ok:
            compress(response)
        duration_ms = round((time.perf_counter() - started) * 1000, 2)
        user = call.authenticated.name if call is not None and call.authenticated is not None else None
        headers["Server-Timing"] = f"app;dur={duration_ms}"
        log.info("request", extra={"request_id": request_id, "method": method, "path": path[:200],
                                   "status": response.get("statusCode"), "user": user, "duration_ms": duration_ms})
        return response

    def _serve(self, call: Call) -> Response:
        event = call.event
        if not event.path.startswith(API_PREFIX):
            if event.method not in ("GET", "HEAD"):
                raise ApiError(405, "method_not_allowed", "the web page is read-only; use GET",
                               headers={"Allow": "GET, HEAD"})
            return web.serve(self.api.web_root, event.path, self.csp, query=event.query)
        route, params = self.routes.match(event.method, event.path)
        call.params = params
        if route.auth != "public" or route.path == "/api/v1/login":  # "link" routes need services too
            try:
                call.services = self.services.get(event.context)
            except RuntimeError:
                log.exception("api function misconfigured", extra={"request_id": event.request_id})
                raise ApiError(500, "misconfigured", "the api function is not configured; see its log") from None
        if route.auth in ("user", "admin"):
            self._authenticate(call, route)
        if route.query is not None:
            call.query = parse_model(route.query, dict(event.query), "query")
        elif event.query:  # docs/api.md: unknown query parameters are a 400, also where none are taken
            names = ", ".join(sorted(event.query))[:200]
            raise ApiError(400, "invalid_request", "query: {names}: this endpoint takes no query parameters",
                           names=names)
        call.body = parse_body(route, event, MAX_BODY_BYTES)
        try:
            result = route.handler(call)
        except Refused as exc:   # the registry's and user store's errors name their status and code
            raise ApiError.refused(exc) from None
        response = self._to_response(route, result)
        response.setdefault("headers", {}).update(call.response_headers)
        return response

    def _authenticate(self, call: Call, route: Route) -> None:
        svc: Services = call.svc
        event = call.event
        value = read_cookie(event.headers.get("cookie"), COOKIE_NAME)
        if not value:
            raise ApiError(401, "unauthenticated", "log in first")
        now = svc.clock()
        try:
            token = svc.sessions.verify(value, now)
        except SessionError as exc:
            log.info("session refused", extra={"request_id": event.request_id, "reason": str(exc)})
            raise ApiError(401, "unauthenticated", "the session is invalid or has expired; log in again",
                           headers={"Set-Cookie": clear_cookie(secure_cookie(svc.api, event))}) from None
        if route.read_ahead is not None:     # the route's reads overlap the user record's
            call.ahead = route.read_ahead(call, token)
        user = svc.users.get(token.user)
        if user is None or user.generation != token.generation:
            raise ApiError(401, "unauthenticated", "the session has ended; log in again",
                           headers={"Set-Cookie": clear_cookie(secure_cookie(svc.api, event))})
        call.authenticated, call.session_token = user, token
        if event.method in _UNSAFE and not svc.sessions.csrf_ok(token, event.headers.get(CSRF_HEADER)):
            raise ApiError(403, "csrf_required", "send the csrf_token from /api/v1/me as the {header} header",
                           header=CSRF_HEADER)
        if route.auth == "admin" and not user.is_admin:
            raise ApiError(403, "forbidden", "this needs an admin")
        if svc.sessions.needs_refresh(token, now):  # sliding 12 h while used; same sid keeps the CSRF token
            cookie, _ = svc.sessions.issue(user.name, user.generation, now, sid=token.sid)
            call.response_headers["Set-Cookie"] = set_cookie(cookie, secure_cookie(svc.api, event))

    @staticmethod
    def _to_response(route: Route, result: Any) -> Response:
        if isinstance(result, dict) and "statusCode" in result:
            return result
        if result is None:
            return {"statusCode": 204, "headers": {"Cache-Control": "no-store"}, "isBase64Encoded": False,
                    "body": ""}
        if isinstance(result, Trusted):   # plain JSON types by contract: orjson, ~10x pydantic_core on a day
            return {"statusCode": route.status, "headers": {"Content-Type": "application/json",
                                                            "Cache-Control": "no-store"},
                    "isBase64Encoded": False, "body": orjson.dumps(result.doc).decode()}
        if isinstance(result, BaseModel):
            doc = result.model_dump(mode="json")
        else:
            doc = route.response.model_validate(result).model_dump(mode="json") if route.response else result
        return {"statusCode": route.status, "headers": {"Content-Type": "application/json",
                                                        "Cache-Control": "no-store"},
                "isBase64Encoded": False, "body": pydantic_core.to_json(doc).decode()}  # ~3x json.dumps


def compress(response: Response) -> None:
    """gzip a large text body (a day's timeline is ~2 MB of JSON, ~10x smaller compressed)."""
    body = response.get("body")
    if response.get("isBase64Encoded") or not isinstance(body, str) or len(body) < GZIP_MIN_BYTES:
        return
    packer = zlib.compressobj(1, zlib.DEFLATED, 31)  # wbits 31: the gzip container, ~3x gzip.compress
    response["body"] = base64.b64encode(packer.compress(body.encode()) + packer.flush()).decode()
    response["isBase64Encoded"] = True
    headers = response.setdefault("headers", {})
    headers["Content-Encoding"] = "gzip"
    headers["Vary"] = "Accept-Encoding"

