"""Starting an export: an asynchronous invocation of `vigil-export` through the FC API (`fc2`).

Async because an export takes longer than an HTTP request should: FC queues the event, runs it
once (retrying on failure per `asyncInvokeConfig`), and the page follows the job's JSON.
"""

from __future__ import annotations

import json

import fc2

from ..core.clients import FunctionCredentials
from ..core.config import ExportSettings


def start_export(settings: ExportSettings, creds: FunctionCredentials, user: str, job_id: str) -> None:
    if not settings.fc_endpoint:
        raise RuntimeError("no FC endpoint configured (VIGIL_FC_ENDPOINT)")
    client = fc2.Client(endpoint=settings.fc_endpoint, accessKeyID=creds.access_key_id,
                        accessKeySecret=creds.access_key_secret, securityToken=creds.security_token or "",
                        Timeout=10)
    payload = json.dumps({"user": user, "id": job_id}).encode()
    client.invoke_function(settings.service, settings.function, payload=payload,
                           headers={"x-fc-invocation-type": "Async"})
