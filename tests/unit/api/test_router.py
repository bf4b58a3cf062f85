"""The api's router on its own: which route a method and path reach (404 when no path matches, 405
with `Allow` when the path matches under other methods), path parameters, and the typed accessors a
handler reads its input through."""

from __future__ import annotations

from typing import Any

import pytest
from vigil_fn.api.queries import KeyQuery, TimeRange
from vigil_fn.api.router import Call, Route, RouteTable, parse_model
from vigil_fn.core.http import ApiError, Headers, HttpEvent

pytestmark = pytest.mark.unit


def _handler(call: Call) -> Any:
    return None


def _table() -> RouteTable:
    table = RouteTable()
    table.add(Route("GET", "/api/v1/cameras", _handler, "user", "list"))
    table.add(Route("GET", "/api/v1/cameras/{id}", _handler, "user", "one"))
    table.add(Route("DELETE", "/api/v1/cameras/{id}", _handler, "admin", "delete"))
    table.add(Route("GET", "/api/v1/cameras/{id}/timeline", _handler, "user", "timeline", query=TimeRange))
    table.add(Route("POST", "/api/v1/login", _handler, "public", "login"))
    return table


def _status(table: RouteTable, method: str, path: str) -> tuple[int, str, dict[str, str]]:
    with pytest.raises(ApiError) as caught:
        table.match(method, path)
    return caught.value.status, caught.value.code, dict(caught.value.headers)


def test_a_full_match_gives_the_route_and_its_parameters() -> None:
    table = _table()
    route, params = table.match("GET", "/api/v1/cameras/cam-1/timeline")
    assert (route.summary, params) == ("timeline", {"id": "cam-1"})
    route, params = table.match("DELETE", "/api/v1/cameras/cam-2")
    assert (route.summary, params) == ("delete", {"id": "cam-2"})
    assert table.match("GET", "/api/v1/cameras") == (table.routes[0], {})


def test_head_reaches_the_get_route() -> None:
    route, params = _table().match("HEAD", "/api/v1/cameras/cam-1")
    assert (route.method, route.summary, params) == ("GET", "one", {"id": "cam-1"})


def test_no_path_match_is_404() -> None:
    table = _table()
    for path in ("/api/v1/nothing", "/api/v1/cameras/cam-1/timeline/extra", "/api/v1/cameras/", "/api/v1/camerasX",
                 "/api/v1/cameras/a/b"):
        status, code, _ = _status(table, "GET", path)
        assert (status, code) == (404, "not_found"), path


def test_a_path_matched_under_other_methods_is_405_naming_them() -> None:
    status, code, headers = _status(_table(), "PUT", "/api/v1/cameras/cam-1")
    assert (status, code, headers["Allow"]) == (405, "method_not_allowed", "DELETE, GET")
    status, _, headers = _status(_table(), "GET", "/api/v1/login")
    assert (status, headers["Allow"]) == (405, "POST")


def test_a_parameter_is_one_segment_and_the_path_is_literal() -> None:
    table = RouteTable()
    table.add(Route("GET", "/api/v1/a.b/{id}", _handler, "user", "dotted"))
    assert table.match("GET", "/api/v1/a.b/x-1")[1] == {"id": "x-1"}
    assert _status(table, "GET", "/api/v1/aXb/x-1")[0] == 404      # the dot is not a wildcard
    assert _status(table, "GET", "/api/v1/a.b/x/y")[0] == 404      # a parameter never spans a slash


def _call(**kwargs: Any) -> Call:
    event = HttpEvent("GET", "/api/v1/x", Headers({}), {}, b"", "req-1")
    return Call(event, {}, **kwargs)


def test_typed_accessors_give_the_routes_model() -> None:
    q = parse_model(TimeRange, {"start": "1796119200000", "end": "1796119260000"}, "query")
    call = _call(query=q)
    got = call.query_as(TimeRange)
    assert got is q and (got.start, got.end) == (1796119200000, 1796119260000)


def test_asking_for_another_model_or_an_undeclared_input_is_a_route_bug() -> None:
    call = _call(query=parse_model(TimeRange, {"start": "1796119200000", "end": "1796119260000"}, "query"))
    with pytest.raises(TypeError, match="KeyQuery"):
        call.query_as(KeyQuery)
    with pytest.raises(TypeError, match="body"):
        call.body_as(KeyQuery)     # the route declared no body
    for read in (lambda: call.user, lambda: call.session, lambda: call.svc):
        with pytest.raises(LookupError):
            read()


def test_validation_errors_name_the_field_never_the_value() -> None:
    with pytest.raises(ApiError) as caught:
        parse_model(KeyQuery, {"key": ""}, "query")
    assert caught.value.status == 400 and "query.key" in caught.value.message
