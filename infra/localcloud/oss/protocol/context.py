"""What every operation handler receives: the request, who sent it, and the stack's parts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from localcloud.common.clock import Clock
from localcloud.oss.model.types import Caller
from localcloud.oss.protocol.request import Request
from localcloud.ram.model import Principal


@dataclass
class Call:
    """One authenticated, authorized call about to run against the store."""

    req: Request
    principal: Principal
    store: Any
    clock: Clock
    region: str
    account_id: str
    context: dict[str, str]
    public_blocked: bool = False  # Block Public Access is on for this bucket or the account

    @property
    def bucket(self) -> str:
        assert self.req.route.bucket is not None
        return self.req.route.bucket

    @property
    def key(self) -> str:
        assert self.req.route.key is not None
        return self.req.route.key

    @property
    def caller(self) -> Caller:
        """The identity the store records with a write (overwrite rules, event userIdentity)."""
        return Caller(principal_arn=self.principal.arn, principal_id=self.principal.principal_id,
                      request_id=self.req.request_id, source_ip=self.req.client_ip)
