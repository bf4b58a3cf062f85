"""Routes with path parameters, typed bodies and queries, an auth level, and their OpenAPI metadata.

Each route declares what it needs (`auth`: public / user / admin; `body` and `query` pydantic
models; the response model); the dispatcher validates at the edge before the handler runs, so
handlers only see valid input. Validation errors become 400 `invalid_request` naming the field,
never echoing the value (a password must not come back in an error).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from ..core.http import ApiError, HttpEvent
from .validation import validation_text

if TYPE_CHECKING:   # annotations only: the router stays importable without the services' clients
    from .services import Services
    from .sessions import SessionToken
    from .users import User

Auth = Literal["public", "link", "user", "admin"]
"""`link`: no session, but the instance's services (a share link's visitor: the link is the credential)."""
_PARAM_RE = re.compile(r"\{([a-z_]+)\}")
_SEGMENT = "[^/]+"


M = TypeVar("M", bound=BaseModel)


@dataclass
class Call:
    """What a handler gets: the event, path parameters, the validated body and query, the caller.

    Handlers read through typed accessors: `body_as(Model)` / `query_as(Model)` (the route's own
    model, validated at the edge), `user` / `session` (set by authentication; login sets them too)
    and `svc`. Asking for what the route did not declare is a bug in the route, not bad input: it
    raises `TypeError` / `LookupError` (a 500 whose traceback names it)."""

    event: HttpEvent
    params: dict[str, str]
    body: BaseModel | None = None
    query: BaseModel | None = None
    authenticated: User | None = None         # the caller, once authenticated
    session_token: SessionToken | None = None
    services: Services | None = None           # this instance's, for every non-public route and login
    response_headers: dict[str, str] = field(default_factory=dict)
    ahead: Any = None                          # what the route's `read_ahead` started (its own type)

    def body_as(self, model: type[M]) -> M:
        """The validated body, as the route's `body` model."""
        return _as(self.body, model, "body")

    def query_as(self, model: type[M]) -> M:
        """The validated query, as the route's `query` model."""
        return _as(self.query, model, "query")

    @property
    def user(self) -> User:
        if self.authenticated is None:
            raise LookupError("this route reads the caller but is public")
        return self.authenticated

    @property
    def session(self) -> SessionToken:
        if self.session_token is None:
            raise LookupError("this route reads the session but is public")
        return self.session_token

    @property
    def svc(self) -> Services:
        if self.services is None:
            raise LookupError("this route reads the services but is public")
        return self.services


def _as(value: BaseModel | None, model: type[M], where: str) -> M:
    if not isinstance(value, model):
        raise TypeError(f"the handler reads its {where} as {model.__name__}, the route gives {type(value).__name__}")
    return value


Handler = Callable[[Call], Any]
ReadAhead = Callable[[Call, "SessionToken"], Any]
"""Starts a route's storage reads while the caller's user record is read (see `Route.read_ahead`)."""


@dataclass(frozen=True)
class Trusted:
    """A response document built by our own code in the route's response shape, sent without
    re-validating it (a day's timeline is 8,640 items: validation would double its server time).
    Tests check such routes against their response model."""

    doc: dict[str, Any]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    auth: Auth
    summary: str
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    response: type[BaseModel] | None = None
    status: int = 200
    media_type: str = "application/json"
    tag: str = "api"
    errors: tuple[int, ...] = ()
    read_ahead: ReadAhead | None = None
    """Called once the session cookie's signature and expiry are checked, before the user record is
    read (one storage round trip that every authenticated request waits for): it may start the
    route's own reads on a pool and return a handle the handler finds in `call.ahead`. It must only
    read (what it reads is used only after authentication and the role and camera checks pass), must
    not raise (bad input is the handler's to refuse: return None), and its reads must be bounded by
    what the handler itself would read."""

    @property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + _PARAM_RE.sub(lambda m: f"(?P<{m[1]}>{_SEGMENT})", re.escape(self.path)
                                              .replace(r"\{", "{").replace(r"\}", "}")) + "$")

    @property
    def path_params(self) -> list[str]:
        return _PARAM_RE.findall(self.path)


class RouteTable:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self._compiled: list[tuple[re.Pattern[str], Route]] = []

    def add(self, route: Route) -> None:
        self.routes.append(route)
        self._compiled.append((route.pattern, route))

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        allowed: set[str] = set()
        for pattern, route in self._compiled:
            m = pattern.match(path)
            if m is None:
                continue
            if route.method == method or (method == "HEAD" and route.method == "GET"):
                return route, m.groupdict()
            allowed.add(route.method)
        if allowed:
            allow = ", ".join(sorted(allowed))
            raise ApiError(405, "method_not_allowed", "{method} is not allowed here; use {allow}",
                           method=method[:16], allow=allow, headers={"Allow": allow})
        raise ApiError(404, "not_found", "no such resource: {path}", path=path[:200])


def validation_message(exc: ValidationError, where: str) -> str:
    """`body.password: String should have at least 12 characters` — locations and rules, no values (English;
    a response renders `validation_text` in the reader's language)."""
    return str(validation_text(exc, where))


def parse_model(model: type[BaseModel], data: Any, where: str) -> BaseModel:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ApiError(400, "invalid_request", "{details}", details=validation_text(exc, where)) from None


def parse_body(route: Route, event: HttpEvent, max_bytes: int) -> BaseModel | None:
    """The validated body; a route without a body model takes none at all.

    Its limit is 0 bytes, so any body there is a 413 like an oversized one (docs/api.md): before,
    `POST .../live` accepted 2 MiB and nobody looked at it (security round three, item 7)."""
    if route.body is None:
        if event.body:
            raise ApiError(413, "payload_too_large", "this route takes no body; send none")
        return None
    ctype = (event.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if event.body.strip() and ctype != "application/json":
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    doc = event.json(max_bytes=max_bytes)
    if doc is None:
        raise ApiError(400, "invalid_request", "a JSON body is required")
    return parse_model(route.body, doc, "body")
