"""FC entry point of the alerts function: timer ticks (health rules, outbox, digests) and activity events."""

from __future__ import annotations

import json
import time
from typing import Any

from vigil_fn.alerts.activity import parse_batch
from vigil_fn.alerts.service import on_activity, run_tick, timer_now_ms
from vigil_fn.core import logging as vlog
from vigil_fn.core.clients import FunctionCredentials, oss_bucket
from vigil_fn.core.config import AlertSettings, Settings

SETTINGS = Settings.from_env()
ALERTS = AlertSettings.from_env()
vlog.setup(SETTINGS.log_level)
log = vlog.get_logger("vigil.alerts")


def handler(event: bytes, context: Any) -> dict[str, Any]:
    request_id = getattr(context, "request_id", "")
    try:
        doc = json.loads(event)
        if not isinstance(doc, dict):
            raise ValueError("not an object")
    except ValueError as exc:   # retrying cannot fix a malformed payload
        log.warning("rejected event", extra={"request_id": request_id, "reason": str(exc)})
        return {"rejected": "expected a timer event or {\"activity\": [...]}"}
    bucket = oss_bucket(SETTINGS, FunctionCredentials.from_context(context))
    if "activity" in doc:
        events, refused = parse_batch(doc["activity"])
        if refused:
            log.warning("activity events refused", extra={"request_id": request_id, "reasons": refused[:10]})
        result = on_activity(bucket, events, int(time.time() * 1000), ALERTS)
        return {"notices": len(result.notices), "sent": result.outcome.sent, "refused": len(refused)}
    result = run_tick(bucket, timer_now_ms(doc, time.time), ALERTS)
    return {"notices": len(result.notices), "queued": result.queued, "sent": result.outcome.sent,
            "retrying": result.outcome.retrying, "dead": result.outcome.dead, "stale": result.stale}
