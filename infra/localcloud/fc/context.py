"""The `context` object a handler receives, shaped like FC's python3.10 runtime.

FC's runtime passes `context.request_id`, `context.credentials` (access_key_id,
access_key_secret, security_token), `context.function` (name, handler, memory, timeout),
`context.service` (name, ...), `context.region`, `context.account_id` and `context.logger`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str
    security_token: str

    # FC's python runtime also exposes the camelCase names.
    @property
    def accessKeyId(self) -> str:  # noqa: N802 - FC's spelling
        return self.access_key_id

    @property
    def accessKeySecret(self) -> str:  # noqa: N802
        return self.access_key_secret

    @property
    def securityToken(self) -> str:  # noqa: N802
        return self.security_token


@dataclass(frozen=True)
class FunctionMeta:
    name: str
    handler: str
    memory: int
    timeout: int
    initializer: str | None = None
    initialization_timeout: float | None = None


@dataclass(frozen=True)
class ServiceMeta:
    name: str
    log_project: str = ""
    log_store: str = ""
    qualifier: str = "LATEST"
    version_id: str = ""


class _RequestIdFilter(logging.Filter):
    def __init__(self, ctx: FCContext) -> None:
        super().__init__()
        self.ctx = ctx

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = self.ctx.request_id
        return True


class FCContext:
    """One per invocation; `logger` tags lines with the request id like FC's runtime does."""

    def __init__(self, request_id: str, credentials: Credentials, function: FunctionMeta,
                 service: ServiceMeta, region: str, account_id: str, logger: logging.Logger) -> None:
        self.request_id = request_id
        self.credentials = credentials
        self.function = function
        self.service = service
        self.region = region
        self.account_id = account_id
        self.logger = logger
        self.retry_count = 0
        self.tracing: Any = None

    def __repr__(self) -> str:  # never print the secret
        return f"FCContext(request_id={self.request_id!r}, function={self.function.name!r})"
