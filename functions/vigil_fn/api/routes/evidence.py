"""Evidence (issue 26): the public key that verifies export manifests, and a verify check for the page.

The key is public by design: anyone holding an export and its manifest checks them against it, with
no account (`vigil verify`, `openssl`, or the page). Serving it needs no login.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...core.config import EvidenceSettings
from ...core.evidence import ALGORITHM, EvidenceError, key_id, public_key_from_hex, public_pem
from ...core.http import ApiError, Response
from ..models import Query
from ..models import Response as ResponseModel
from ..router import Call, Route, RouteTable

PEM_TYPE = "application/x-pem-file"
_KEY: list[str] = []


class PublicKeyQuery(Query):
    format: Literal["pem", "json"] = Field(default="pem", description="pem (the key file) or json")


class PublicKeyOut(ResponseModel):
    algorithm: str
    key_id: str = Field(description="first 16 hex digits of SHA-256 over the raw public key")
    pem: str


def public_key_doc() -> PublicKeyOut:
    """The configured public key, or a 503 that says the deployment lacks it."""
    if not _KEY:
        _KEY.append(EvidenceSettings.from_env().public_key_hex)
    try:
        key = public_key_from_hex(_KEY[0])
    except EvidenceError:
        raise ApiError(503, "not_configured", "this deployment publishes no evidence key "
                                              "(VIGIL_EVIDENCE_PUBLIC_KEY); see docs/evidence.md") from None
    return PublicKeyOut(algorithm=ALGORITHM, key_id=key_id(key), pem=public_pem(key))


def public_key(call: Call) -> Response | PublicKeyOut:
    q = call.query_as(PublicKeyQuery)
    doc = public_key_doc()
    if q.format == "json":
        return doc
    return {"statusCode": 200, "isBase64Encoded": False, "body": doc.pem,
            "headers": {"Content-Type": PEM_TYPE, "Cache-Control": "public, max-age=300",
                        "Content-Disposition": 'attachment; filename="vigil-evidence-public-key.pem"',
                        "X-Vigil-Key-Id": doc.key_id}}


def register(table: RouteTable) -> None:
    table.add(Route("GET", "/api/v1/evidence/public-key", public_key, "public",
                    "the Ed25519 public key that verifies export manifests (PEM, or JSON with format=json)",
                    query=PublicKeyQuery, response=PublicKeyOut, media_type=PEM_TYPE, tag="evidence",
                    errors=(400, 503)))
