"""The bar every api route meets, checked over the api's own RouteTable so that routes added later
(events, stills, alerts, evidence/share links, ...) are covered the day they land:

- an unauthenticated request to a non-public route → 401 `unauthenticated`;
- an unsafe method (POST/PUT/PATCH/DELETE) without the CSRF header → 403 `csrf_required`;
- a viewer limited to one camera, asking about another camera (path `{id}`/`{camera}` under
  `/cameras/`, a `camera` body field, a `key` query of a clip) → 403 or 404, never an answer;
- a body over 64 KiB → 413 `payload_too_large` (whatever the route, with or without a body model);
- and every route is in the OpenAPI document.

Real api function behind localcloud's HTTP trigger, plain HTTP, real users in the bucket."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from vigil_fn.api.app import MAX_BODY_BYTES, build_routes
from vigil_fn.api.router import Route
from vigil_fn.api.users import UserStore
from vigil_fn.core.devices import DeviceRecord, Registry

pytestmark = pytest.mark.integration

ROUTES = build_routes().routes
# "link" routes take no session by design: the share link is the credential (tests/integration/api/test_shares.py
# tries them: a link reaches one export and nothing else, expired/revoked links are 410, guesses rate-limited)
PROTECTED = [r for r in ROUTES if r.auth in ("user", "admin")]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
SAMPLE = {"name": "someone-else", "id": "20260101T000000Z-00000000"}   # non-camera path parameters


@dataclass
class Bar:
    base: str
    mine: str           # the camera the viewer may see
    other: str          # a registered camera the viewer may not see
    viewer: requests.Session
    viewer_csrf: str
    admin: requests.Session
    admin_csrf: str


def _login(base: str, name: str, password: str) -> tuple[requests.Session, str]:
    http = requests.Session()
    resp = http.post(f"{base}/api/v1/login", json={"username": name, "password": password}, timeout=30)
    assert resp.status_code == 200, resp.text
    return http, str(resp.json()["csrf_token"])


@pytest.fixture(scope="module")
def bar(cloud: Any) -> Iterator[Bar]:
    base = str(cloud.functions["vigil-api"]).rstrip("/")
    registry, users = Registry(cloud.bucket()), UserStore(cloud.bucket())
    mine, other = f"bar-{secrets.token_hex(3)}", f"bar-{secrets.token_hex(3)}"
    for camera in (mine, other):
        registry.create(DeviceRecord(camera))
    tag = uuid.uuid4().hex[:8]
    accounts = {"viewer": (f"bar-v-{tag}", secrets.token_urlsafe(12)),
                "admin": (f"bar-a-{tag}", secrets.token_urlsafe(12))}
    users.create(*accounts["viewer"], "viewer", [mine])
    users.create(*accounts["admin"], "admin", None)
    viewer, viewer_csrf = _login(base, *accounts["viewer"])
    admin, admin_csrf = _login(base, *accounts["admin"])
    yield Bar(base, mine, other, viewer, viewer_csrf, admin, admin_csrf)


def _path(route: Route, camera: str) -> str:
    path = route.path
    for param in route.path_params:
        on_camera = param in ("camera", "camera_id") or (param == "id" and path.startswith("/api/v1/cameras/"))
        path = path.replace("{" + param + "}", camera if on_camera else SAMPLE.get(param, "x-sample"))
    return path


def _camera_scoped(route: Route) -> bool:
    in_path = any(p in ("camera", "camera_id") or (p == "id" and route.path.startswith("/api/v1/cameras/"))
                  for p in route.path_params)
    in_body = route.body is not None and "camera" in route.body.model_fields
    in_query = route.query is not None and "key" in route.query.model_fields
    return in_path or in_body or in_query


def _name(route: Route) -> str:
    return f"{route.method} {route.path}"


def test_the_table_is_not_empty_and_every_route_is_documented(bar: Bar) -> None:
    assert len(PROTECTED) >= 30
    doc = requests.get(f"{bar.base}/api/v1/openapi.json", timeout=30).json()
    for route in ROUTES:
        assert route.method.lower() in doc["paths"].get(route.path, {}), f"{_name(route)} is not in OpenAPI"


@pytest.mark.parametrize("route", PROTECTED, ids=_name)
def test_unauthenticated_is_401(bar: Bar, route: Route) -> None:
    resp = requests.request(route.method, bar.base + _path(route, bar.mine), timeout=30)
    assert resp.status_code == 401, resp.text[:300]
    assert resp.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("route", [r for r in PROTECTED if r.method in UNSAFE], ids=_name)
def test_unsafe_without_csrf_is_403(bar: Bar, route: Route) -> None:
    resp = bar.admin.request(route.method, bar.base + _path(route, bar.mine), timeout=30)
    assert resp.status_code == 403, resp.text[:300]
    assert resp.json()["error"]["code"] == "csrf_required"


def _body_for(route: Route, camera: str) -> bytes | None:
    """A body naming `camera` for routes whose body has a `camera` field (other fields: plausible values)."""
    if route.body is None:
        return None
    doc: dict[str, Any] = {}
    for name, field in route.body.model_fields.items():
        if name == "camera":
            doc[name] = camera
        elif name in ("start", "end"):
            doc[name] = 1_764_496_800_000 + (60_000 if name == "end" else 0)
        elif field.is_required():
            doc[name] = "x"
    return json.dumps(doc).encode()


@pytest.mark.parametrize("route", [r for r in PROTECTED if _camera_scoped(r)], ids=_name)
def test_a_camera_limited_viewer_gets_nothing_of_another_camera(bar: Bar, route: Route) -> None:
    headers = {"X-Vigil-CSRF": bar.viewer_csrf, "Content-Type": "application/json"}
    params = {}
    if route.query is not None and "key" in route.query.model_fields:
        params["key"] = f"videos/{bar.other}/2026/11/30/100000000Z-1.ts"
    if route.query is not None:
        for name, field in route.query.model_fields.items():
            if field.is_required() and name not in params:
                params[name] = {"month": "2026-11", "start": "1764496800000", "end": "1764500400000",
                                "at": "1764496800000"}.get(name, "x")
    resp = bar.viewer.request(route.method, bar.base + _path(route, bar.other), params=params,
                              data=_body_for(route, bar.other), headers=headers, timeout=30)
    assert resp.status_code in (403, 404), (resp.status_code, resp.text[:300])
    assert bar.other not in resp.text or resp.json()["error"]["code"] in ("forbidden", "not_found")


@pytest.mark.parametrize("route", ROUTES, ids=_name)
def test_a_body_over_the_limit_is_413(bar: Bar, route: Route) -> None:
    body = b'{"x": "' + b"a" * MAX_BODY_BYTES + b'"}'
    resp = bar.admin.request(route.method, bar.base + _path(route, bar.mine), data=body,
                             headers={"X-Vigil-CSRF": bar.admin_csrf, "Content-Type": "application/json"},
                             timeout=30)
    assert resp.status_code == 413, resp.text[:300]
    assert resp.json()["error"]["code"] == "payload_too_large"
