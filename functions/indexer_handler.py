"""FC entry point of the indexer (OSS trigger): parse at the edge, index each record, log the outcome."""

from __future__ import annotations

from typing import Any

from vigil_fn.core import logging as vlog
from vigil_fn.core.clients import FunctionCredentials, oss_bucket
from vigil_fn.core.config import Settings
from vigil_fn.core.events import EventError, parse_oss_event
from vigil_fn.indexer.service import Options, index_records

SETTINGS = Settings.from_env()
vlog.setup(SETTINGS.log_level)
log = vlog.get_logger("vigil.indexer")
OPTIONS = Options(segment_bytes=SETTINGS.index_segment_bytes, merge_seconds=SETTINGS.health_merge_seconds)


def handler(event: bytes, context: Any) -> dict[str, Any]:
    try:
        records = parse_oss_event(event)
    except EventError as exc:  # retrying cannot fix a malformed payload: record it once, do not raise
        log.warning("rejected event", extra={"request_id": getattr(context, "request_id", ""), "reason": str(exc)})
        return {"indexed": [], "rejected": str(exc)}
    bucket = oss_bucket(SETTINGS, FunctionCredentials.from_context(context))
    outcomes = index_records(bucket, records, OPTIONS)   # a batch: one append per day log
    for o in outcomes:
        log.info("index", extra={"request_id": getattr(context, "request_id", ""), **o.__dict__})
    return {"indexed": [o.__dict__ for o in outcomes]}
