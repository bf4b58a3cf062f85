"""Operator actions into the one audit log (`vigil_fn.core.audit`), with the operator's identity.

Why: `vigil devices add|disable|enable|rotate|remove`, `vigil users …`, `vigil bucket setup` and
`vigil clips delete` changed the system and left no trace; only the api's actions were in the
audit list (security round three, item 11). Each of those commands now appends the same kind of
line as the api: who — the RAM identity of the operator's key as STS's GetCallerIdentity names it
(`acs:ram::<account>:user/<name>`), the access key id when STS cannot be reached —, what, when,
and from where (`cli <os user>@<host>`). A failure to audit never undoes the action: it is
printed as a warning, because the operator should know the trail has a hole.
"""

from __future__ import annotations

import getpass
import socket
import sys
import uuid

from vigil_fn.core.audit import AuditLog
from vigil_fn.core.sts import StsClient, StsUnavailable

from .settings import OpsSettings

_IDENTITY: dict[tuple[str, str], str] = {}


def operator_identity(settings: OpsSettings) -> str:
    """The operator's RAM ARN (asked once per key and process)."""
    cache_key = (settings.access_key_id, settings.sts_endpoint)
    if cache_key not in _IDENTITY:
        try:
            arn = StsClient(settings.access_key_id, settings.access_key_secret, None, settings.region,
                            settings.sts_endpoint).caller_arn()
        except (StsUnavailable, ValueError):
            arn = f"access-key:{settings.access_key_id}"   # an id, not a secret
        _IDENTITY[cache_key] = arn
    return _IDENTITY[cache_key]


def client_name() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"cli {user}@{socket.gethostname()}"[:200]


def record(settings: OpsSettings, action: str, *, target: str | None, detail: str | None = None,
           ok: bool = True) -> None:
    """Append one operator action (the same action names as the api: `camera_add`, `user_role`, ...)."""
    try:
        AuditLog(settings.bucket_client()).record(action, user=operator_identity(settings), target=target,
                                                  client=client_name(), request_id=f"cli-{uuid.uuid4().hex}",
                                                  ok=ok, detail=detail)
    except Exception as exc:  # noqa: BLE001 - the action is done; say the trail missed it
        print(f"warning: the audit log did not record {action} ({type(exc).__name__}: {exc})", file=sys.stderr)
