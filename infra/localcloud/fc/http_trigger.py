"""HTTP triggers: one listener per function (its function URL), FC 3.0 event in, response out.

A request to BASE + `/x?a=1` becomes the FC 3.0 HTTP event (JSON bytes); the handler's
`{"statusCode","headers","isBase64Encoded","body"}` becomes the HTTP response (any other return
value is a 200 body). `methods` → 405, `authType: function` → FC signature or 403.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from localcloud.common import logs
from localcloud.common.clock import Clock
from localcloud.common.httpserver import Handler, Server, new_request_id
from localcloud.fc import fc_auth
from localcloud.fc.httpio import BodyError, fc_error, jsonable, read_body, reply
from localcloud.fc.instances import Outcome
from localcloud.fc.spec import FunctionSpec, HttpTrigger
from localcloud.ram.model import RamModel

_TEXT_TYPES = ("text/", "application/json", "application/xml", "application/javascript",
               "application/x-www-form-urlencoded", "+json", "+xml")
_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"}

log = logs.get("localcloud.fc.http")
Invoke = Callable[[str, bytes, str, str], Outcome]


def _is_text(content_type: str, body: bytes) -> bool:
    ct = content_type.lower()
    if not any(t in ct for t in _TEXT_TYPES):
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        out[k] = f"{out[k]},{v}" if k in out else v
    return out


def build_event(method: str, target: str, headers: list[tuple[str, str]], body: bytes, *, source_ip: str,
                account_id: str, request_id: str, now: float, protocol: str = "HTTP/1.1") -> dict[str, Any]:
    """The FC 3.0 HTTP event for one request (`rawPath` stays encoded, `http.path` is decoded)."""
    parts = urlsplit(target)
    raw_path = parts.path or "/"
    header_map = _joined(headers)
    lower = {k.lower(): v for k, v in header_map.items()}
    text = _is_text(lower.get("content-type", ""), body)
    host = lower.get("host", "")
    return {
        "version": "v1",
        "rawPath": raw_path,
        "headers": header_map,
        "queryParameters": _joined(parse_qsl(parts.query, keep_blank_values=True)),
        "body": body.decode("utf-8") if text else base64.b64encode(body).decode(),
        "isBase64Encoded": not text,
        "requestContext": {
            "accountId": account_id,
            "domainName": host,
            "domainPrefix": host.split(".")[0].split(":")[0],
            "http": {"method": method, "path": unquote(raw_path), "protocol": protocol,
                     "sourceIp": source_ip, "userAgent": lower.get("user-agent", "")},
            "requestId": request_id,
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "timeEpoch": str(int(now * 1000)),
        },
    }


def map_response(value: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    """A handler's return value → (status, headers, body), as FC 3.0 built-in runtimes do."""
    if isinstance(value, dict) and "statusCode" in value:
        status = int(value["statusCode"])
        headers: list[tuple[str, str]] = []
        for k, v in (value.get("headers") or {}).items():
            for item in v if isinstance(v, list) else [v]:
                if str(k).lower() not in _HOP:
                    headers.append((str(k), str(item)))
        raw = value.get("body")
        if value.get("isBase64Encoded") and isinstance(raw, str):
            body = base64.b64decode(raw)
        else:
            body = jsonable(raw)
        return status, headers, body
    return 200, [], jsonable(value)


class HttpTriggerApp:
    def __init__(self, fn: FunctionSpec, trigger: HttpTrigger, invoke: Invoke, ram: RamModel, clock: Clock,
                 account_id: str) -> None:
        self.fn = fn
        self.trigger = trigger
        self.invoke = invoke
        self.ram = ram
        self.clock = clock
        self.account_id = account_id


class HttpTriggerHandler(Handler):
    server: Server

    def _handle(self) -> None:
        start = time.monotonic()
        request_id = new_request_id()
        status = self._serve(request_id)
        app: HttpTriggerApp = self.server.app
        log.info("http trigger", extra={"request_id": request_id, "function": app.fn.name,
                                        "method": self.command, "status": status,
                                        "duration_ms": round((time.monotonic() - start) * 1000, 2)})

    def _serve(self, request_id: str) -> int:
        """Answer one request; returns the HTTP status sent."""
        app: HttpTriggerApp = self.server.app
        try:
            body = read_body(self)
        except BodyError as exc:
            self.close_connection = True
            fc_error(self, 400, "InvalidArgument", str(exc), request_id)
            return 400
        if self.command not in app.trigger.methods:
            allowed = ", ".join(app.trigger.methods)
            message = f"method {self.command} is not allowed ({allowed})"
            fc_error(self, 405, "MethodNotAllowed", message, request_id)
            return 405
        if app.trigger.auth_type == "function":
            parts = urlsplit(self.path)
            try:
                principal = fc_auth.authenticate(app.ram, self.command, dict(self.headers.items()),
                                                 unquote(parts.path or "/"),
                                                 parse_qsl(parts.query, keep_blank_values=True), app.clock.now())
                # as on FC: a signed trigger call also needs fc:InvokeFunction on the function
                fc_auth.authorize(principal, "fc:InvokeFunction",
                                  f"acs:fc:{app.fn.region}:{app.account_id}:functions/{app.fn.name}",
                                  self.client_address[0])
            except fc_auth.FcAuthError as exc:
                fc_error(self, exc.status, exc.code, exc.message, request_id)
                return exc.status
        event = build_event(self.command, self.path, list(self.headers.items()), body,
                            source_ip=self.client_address[0], account_id=app.account_id,
                            request_id=request_id, now=app.clock.now(), protocol=self.request_version)
        outcome = app.invoke(app.fn.name, json.dumps(event).encode(), request_id, f"http:{app.trigger.name}")
        if not outcome.ok:
            timed_out = outcome.kind == "TimedOut"
            error_type = (outcome.error or {}).get("errorType", "Error")
            message = (f"function timed out after {app.fn.timeout_s} seconds" if timed_out
                       else f"the function failed ({error_type}); see the log of request {request_id}")
            status = 504 if timed_out else 502
            code = "FunctionTimeout" if timed_out else "FunctionUnhandledError"
            fc_error(self, status, code, message, request_id)
            return status
        try:
            status, headers, payload = map_response(outcome.value)
        except (TypeError, ValueError):
            fc_error(self, 502, "InvalidFunctionResponse", "the function returned a response FC cannot map",
                     request_id)
            return 502
        reply(self, status, payload, headers + [("x-fc-request-id", request_id)], content_type=None)
        return status

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = _handle
