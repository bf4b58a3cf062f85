"""The OpenAPI 3.1 document is served, valid, and lists every route the function answers."""

from __future__ import annotations

from typing import Any

import requests
from openapi_spec_validator import validate
from vigil_fn.api.app import build_routes

from .conftest import api_url


def test_openapi_document_is_valid_and_complete(cloud: Any) -> None:
    resp = requests.get(f"{api_url(cloud)}/api/v1/openapi.json", timeout=30)
    assert resp.status_code == 200
    doc = resp.json()
    validate(doc)  # raises on any schema error
    assert doc["openapi"].startswith("3.1")
    served = {(r.method.lower(), r.path) for r in build_routes().routes}
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert served <= documented
    assert {"/api/v1/openapi.json", "/api/v1/health"} <= set(doc["paths"])
    health = requests.get(f"{api_url(cloud)}/api/v1/health", timeout=30)
    assert health.status_code == 200 and health.json() == {"status": "ok", "version": doc["info"]["version"]}
    login = doc["paths"]["/api/v1/login"]["post"]
    assert login["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/LoginRequest")
    assert {"200", "401", "429"} <= set(login["responses"])
    timeline = doc["paths"]["/api/v1/cameras/{id}/timeline"]["get"]
    assert {p["name"] for p in timeline["parameters"]} == {"id", "start", "end", "detail"}
    assert "application/vnd.apple.mpegurl" in \
        doc["paths"]["/api/v1/cameras/{id}/playlist.m3u8"]["get"]["responses"]["200"]["content"]
