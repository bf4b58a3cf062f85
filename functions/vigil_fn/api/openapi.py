"""The OpenAPI 3.1 document, generated from the route table and the pydantic models."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from .models import ErrorBody
from .router import Route

_STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad request", 401: "Not logged in",
                403: "Forbidden (role, camera or CSRF)", 404: "Not found", 409: "Conflict",
                413: "Too large", 415: "Unsupported media type", 429: "Rate limited", 503: "Unavailable"}


API_VERSION = "1.0.0"


def build_openapi(routes: list[Route], version: str = API_VERSION) -> dict[str, Any]:
    models: set[type[BaseModel]] = {ErrorBody}
    for r in routes:
        models.update(m for m in (r.body, r.response) if m is not None)
    keyed = [(m, "validation" if any(r.body is m for r in routes) else "serialization") for m in models]
    refs, defs = models_json_schema(sorted(keyed, key=lambda x: x[0].__name__),  # type: ignore[arg-type]
                                    ref_template="#/components/schemas/{model}")
    paths: dict[str, Any] = {}
    for r in routes:
        paths.setdefault(r.path, {})[r.method.lower()] = _operation(r, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": "Vigil viewer API", "version": version,
                 "description": "Login, cameras, timeline, HLS playback, downloads and management. Errors are "
                                "{\"error\": {\"code\", \"message\"}}. Changes need the X-Vigil-CSRF header."},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs.get("$defs", {}),
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "vigil_session"},
                                "csrf": {"type": "apiKey", "in": "header", "name": "X-Vigil-CSRF"}},
        },
    }


def _ref(refs: dict[Any, Any], model: type[BaseModel], mode: str) -> dict[str, Any]:
    return dict(refs[(model, mode)])


def _operation(r: Route, refs: dict[Any, Any]) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": r.summary, "tags": [r.tag],
                          "operationId": f"{r.method.lower()}_{r.path.strip('/').replace('/', '_')}"
                          .replace("{", "").replace("}", "").replace(".", "_")}
    params: list[dict[str, Any]] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                                    for p in r.path_params]
    if r.query is not None:
        schema = r.query.model_json_schema(ref_template="#/components/schemas/{model}")
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    if params:
        op["parameters"] = params
    if r.body is not None:
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": _ref(refs, r.body, "validation")}}}
    ok: dict[str, Any] = {"description": _STATUS_TEXT.get(r.status, "OK")}
    if r.response is not None:
        ok["content"] = {"application/json": {"schema": _ref(refs, r.response, "serialization")}}
    elif r.media_type != "application/json":
        ok["content"] = {r.media_type: {"schema": {"type": "string"}}}
    responses: dict[str, Any] = {str(r.status): ok}
    error = {"content": {"application/json": {"schema": _ref(refs, ErrorBody, "serialization")}}}
    codes = set(r.errors) | ({401} if r.auth in ("user", "admin") else set()) | ({403} if r.auth == "admin" else set())
    if r.body is not None:
        codes |= {400, 413, 415}
    for code in sorted(codes):
        responses[str(code)] = {"description": _STATUS_TEXT.get(code, "Error"), **error}
    op["responses"] = responses
    if r.auth in ("user", "admin"):
        op["security"] = [{"session": [], "csrf": []}] if r.method in ("POST", "PUT", "PATCH", "DELETE") \
            else [{"session": []}]
    return op
