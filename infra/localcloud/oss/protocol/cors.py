"""Bucket CORS: the `<CORSConfiguration>` document and the rule matching for browsers.

A browser that plays HLS from presigned URLs sends an OPTIONS preflight (anonymous, always
allowed through to this matcher) and then the GET; both get `Access-Control-*` headers when a
rule matches the Origin, method and requested headers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.protocol import xml

METHODS = frozenset({"GET", "PUT", "POST", "DELETE", "HEAD"})
MAX_RULES = 10


def parse(body: bytes) -> dict[str, Any]:
    """`<CORSConfiguration>` → `{"rules": [...], "response_vary": bool}` (validated)."""
    root = xml.parse(body, "CORSConfiguration")
    rules = []
    for node in root.findall("CORSRule"):
        origins = xml.texts(node, "AllowedOrigin")
        methods = xml.texts(node, "AllowedMethod")
        if not origins or not methods:
            raise xml.malformed("Each CORSRule needs AllowedOrigin and AllowedMethod.")
        if any(m not in METHODS for m in methods):
            raise InvalidArgument("AllowedMethod must be one of GET PUT POST DELETE HEAD.", "AllowedMethod")
        if any(o.count("*") > 1 for o in origins):
            raise InvalidArgument("An AllowedOrigin may contain one '*' at most.", "AllowedOrigin")
        max_age = xml.text(node, "MaxAgeSeconds")
        rule: dict[str, Any] = {
            "allowed_origins": origins,
            "allowed_methods": methods,
            "allowed_headers": xml.texts(node, "AllowedHeader"),
            "expose_headers": xml.texts(node, "ExposeHeader"),
            "max_age_seconds": None,
        }
        if max_age is not None:
            if not max_age.strip().isdigit():
                raise InvalidArgument("MaxAgeSeconds must be a non-negative integer.", "MaxAgeSeconds")
            rule["max_age_seconds"] = int(max_age)
        rules.append(rule)
    if not rules or len(rules) > MAX_RULES:
        raise InvalidArgument("A CORS configuration holds 1 to 10 CORSRule elements.", "CORSRule")
    vary = xml.text(root, "ResponseVary")
    return {"rules": rules, "response_vary": vary == "true"}


def render(doc: Mapping[str, Any]) -> xml.Element:
    root = xml.element("CORSConfiguration")
    for rule in doc.get("rules", []):
        node = xml.sub(root, "CORSRule")
        for origin in rule.get("allowed_origins", []):
            xml.sub(node, "AllowedOrigin", origin)
        for method in rule.get("allowed_methods", []):
            xml.sub(node, "AllowedMethod", method)
        for header in rule.get("allowed_headers", []):
            xml.sub(node, "AllowedHeader", header)
        for header in rule.get("expose_headers", []):
            xml.sub(node, "ExposeHeader", header)
        if rule.get("max_age_seconds") is not None:
            xml.sub(node, "MaxAgeSeconds", rule["max_age_seconds"])
    xml.sub(root, "ResponseVary", "true" if doc.get("response_vary") else "false")
    return root


def _wild(pattern: str, value: str) -> bool:
    regex = "^" + ".*".join(re.escape(p) for p in pattern.split("*")) + "$"
    return re.match(regex, value, re.IGNORECASE) is not None


def match(
    doc: Mapping[str, Any] | None, origin: str, method: str, request_headers: list[str]
) -> dict[str, Any] | None:
    """The first rule allowing `origin` + `method` + every requested header, or None."""
    if not doc:
        return None
    for rule in doc.get("rules", []):
        if method not in rule.get("allowed_methods", []):
            continue
        if not any(_wild(o, origin) for o in rule.get("allowed_origins", [])):
            continue
        allowed = rule.get("allowed_headers", [])
        if all(any(_wild(a, h) for a in allowed) for h in request_headers):
            return dict(rule)
    return None


def headers_for(rule: Mapping[str, Any], origin: str, preflight: bool, request_headers: list[str],
                vary: bool) -> dict[str, str]:
    """The `Access-Control-*` response headers for a matched rule."""
    out = {
        "Access-Control-Allow-Origin": "*" if "*" in rule["allowed_origins"] else origin,
        "Access-Control-Allow-Methods": ", ".join(rule["allowed_methods"]),
    }
    if rule.get("expose_headers"):
        out["Access-Control-Expose-Headers"] = ", ".join(rule["expose_headers"])
    if preflight:
        if request_headers:
            out["Access-Control-Allow-Headers"] = ", ".join(request_headers)
        if rule.get("max_age_seconds") is not None:
            out["Access-Control-Max-Age"] = str(rule["max_age_seconds"])
    if vary or out["Access-Control-Allow-Origin"] != "*":
        out["Vary"] = "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    return out


def requested_headers(value: str) -> list[str]:
    return [h.strip().lower() for h in value.split(",") if h.strip()]


def not_enabled() -> OSSError:
    return OSSError("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", 403)


def not_allowed() -> OSSError:
    return OSSError(
        "AccessForbidden",
        "CORSResponse: This CORS request is not allowed. This is usually because the evalution of "
        "Origin, request method / Access-Control-Request-Method or Access-Control-Requet-Headers "
        "are not whitelisted by the resource's CORS spec.",
        403,
    )
