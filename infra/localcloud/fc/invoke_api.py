"""The FC invoke API (2016-08-15) the `fc2` SDK calls, and the dead-letter admin paths.

`POST /2016-08-15/services/<service>/functions/<function>/invocations`: the signature, then RAM
decides `fc:InvokeFunction` on `acs:fc:<region>:<account>:functions/<function>` (403 AccessDenied,
before the function's existence is revealed). FC 3.0 has no services,
so any service name is accepted (e.g. `vigil`, the s.yaml `name`) and the function is found by
name. Sync answers the payload (a handler exception: 200 + `x-fc-error-type:
UnhandledInvocationError` + `{"errorMessage","errorType","stackTrace"}`, as FC does); Async
answers 202 and goes through the durable queue. Admin: `GET /_localcloud/fc/dead-letters`,
`POST /_localcloud/fc/dead-letters/<id>/replay` (header `X-Localcloud-Admin` when a token is set).
"""

from __future__ import annotations

import base64
import hmac
import json
import re
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

from localcloud.common.httpserver import Handler, Server, new_request_id
from localcloud.fc import fc_auth
from localcloud.fc.httpio import BodyError, fc_error, jsonable, read_body, reply
from localcloud.fc.instances import Outcome

_INVOKE = re.compile(r"^/2016-08-15/services/([^/]+)/functions/([^/]+)/invocations/?$")
_DEAD = re.compile(r"^/_localcloud/fc/dead-letters/?$")
_REPLAY = re.compile(r"^/_localcloud/fc/dead-letters/([A-Za-z0-9-]+)/replay/?$")


class RuntimeApi(Protocol):
    """What the API needs of FCRuntime (kept narrow so the HTTP layer stays thin)."""

    ram: Any
    clock: Any
    admin_token: str | None

    def has_function(self, name: str) -> bool: ...
    def function_arn(self, name: str) -> str: ...
    def invoke(self, function: str, payload: bytes, request_id: str, source: str) -> Outcome: ...
    def invoke_async(self, function: str, payload: bytes, request_id: str) -> str: ...
    def dead_letters(self, function: str | None = None) -> list[dict[str, Any]]: ...
    def replay_dead_letter(self, dead_id: str) -> str: ...


class InvokeApiHandler(Handler):
    server: Server

    def _handle(self) -> None:
        rt: RuntimeApi = self.server.app
        request_id = new_request_id()
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        try:
            body = read_body(self)
        except BodyError as exc:
            self.close_connection = True
            fc_error(self, 400, "InvalidArgument", str(exc), request_id)
            return
        if path.startswith("/_localcloud/"):
            self._admin(rt, path, parts.query, request_id)
            return
        m = _INVOKE.match(path)
        if not m:
            fc_error(self, 404, "PathNotSupported", f"{self.command} {path} is not supported", request_id)
            return
        if self.command != "POST":
            fc_error(self, 405, "MethodNotAllowed", "invocations take POST", request_id)
            return
        function = m.group(2).split(".")[0]
        try:
            principal = fc_auth.authenticate(rt.ram, self.command, dict(self.headers.items()), path,
                                             parse_qsl(parts.query, keep_blank_values=True), rt.clock.now())
            fc_auth.authorize(principal, "fc:InvokeFunction", rt.function_arn(function), self.client_address[0])
        except fc_auth.FcAuthError as exc:
            fc_error(self, exc.status, exc.code, exc.message, request_id)
            return
        if not rt.has_function(function):
            fc_error(self, 404, "FunctionNotFound", f"function '{function}' does not exist", request_id)
            return
        request_id = self.headers.get("x-fc-request-id") or request_id
        kind = (self.headers.get("x-fc-invocation-type") or "Sync").lower()
        if kind == "async":
            rt.invoke_async(function, body, request_id)
            reply(self, 202, b"", [("x-fc-request-id", request_id)], content_type=None)
            return
        if kind != "sync":
            fc_error(self, 400, "InvalidArgument", "x-fc-invocation-type must be Sync or Async", request_id)
            return
        outcome = rt.invoke(function, body, request_id, "invoke")
        headers = [("x-fc-request-id", request_id)]
        if (self.headers.get("x-fc-log-type") or "").lower() == "tail":
            headers.append(("x-fc-log-result", base64.b64encode(outcome.log_tail.encode()).decode()))
        if outcome.ok:
            reply(self, 200, jsonable(outcome.value), headers, content_type="application/octet-stream")
            return
        headers.append(("x-fc-error-type", "UnhandledInvocationError"))
        reply(self, 200, json.dumps(outcome.error).encode(), headers)

    def _admin(self, rt: RuntimeApi, path: str, query: str, request_id: str) -> None:
        token = rt.admin_token
        if token and not hmac.compare_digest(self.headers.get("X-Localcloud-Admin", ""), token):
            fc_error(self, 403, "AccessDenied", "admin token required (X-Localcloud-Admin)", request_id)
            return
        if _DEAD.match(path) and self.command == "GET":
            function = dict(parse_qsl(query)).get("function") or None
            doc = {"deadLetters": rt.dead_letters(function)}
            reply(self, 200, json.dumps(doc).encode(), [("x-fc-request-id", request_id)])
            return
        m = _REPLAY.match(path)
        if m and self.command == "POST":
            try:
                task_id = rt.replay_dead_letter(m.group(1))
            except KeyError:
                fc_error(self, 404, "DeadLetterNotFound", f"no dead letter {m.group(1)}", request_id)
                return
            reply(self, 202, json.dumps({"taskId": task_id}).encode(), [("x-fc-request-id", request_id)])
            return
        fc_error(self, 404, "PathNotSupported", f"{self.command} {path} is not supported", request_id)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle
