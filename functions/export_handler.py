"""FC entry point of the export function (async invocations `{"user", "id"}` from the api)."""

from __future__ import annotations

import json
from typing import Any

from vigil_fn.core import logging as vlog
from vigil_fn.core.clients import FunctionCredentials, oss_bucket
from vigil_fn.core.config import EvidenceSettings, ExportSettings, Settings
from vigil_fn.core.evidence import EvidenceError, private_key_from_hex
from vigil_fn.export.jobs import JobError
from vigil_fn.export.service import refuse, run_job

SETTINGS = Settings.from_env()
EXPORT = ExportSettings.from_env()
vlog.setup(SETTINGS.log_level)
log = vlog.get_logger("vigil.export")
EVIDENCE = EvidenceSettings.from_env()


def handler(event: bytes, context: Any) -> dict[str, Any]:
    try:
        req = json.loads(event)
        user, job_id = str(req["user"]), str(req["id"])
    except (ValueError, KeyError, TypeError) as exc:  # retrying cannot fix a malformed payload
        log.warning("rejected event", extra={"request_id": getattr(context, "request_id", ""), "reason": str(exc)})
        return {"rejected": "expected {\"user\", \"id\"}"}
    bucket = oss_bucket(SETTINGS, FunctionCredentials.from_context(context))
    try:  # every export is signed: a deployment without its key refuses to make unverifiable evidence
        key = private_key_from_hex(EVIDENCE.signing_key_hex)
    except EvidenceError as exc:
        log.error("export refused: no signing key", extra={"export_id": job_id, "reason": exc.message})
        message = "the export function has no evidence signing key (VIGIL_EVIDENCE_KEY); see docs/evidence.md"
        refuse(bucket, EXPORT, user, job_id, message)
        return {"id": job_id, "state": "failed", "error": message}
    try:
        job = run_job(bucket, EXPORT, user, job_id, signing_key=key)
    except JobError as exc:
        log.warning("export refused", extra={"export_id": job_id, "reason": exc.message})
        return {"id": job_id, "state": "failed", "error": exc.message}
    return {"id": job.id, "state": job.state, "error": job.error}
