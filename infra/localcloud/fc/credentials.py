"""Credentials of a function's role, minted like FC does (service fc.aliyuncs.com), refreshed early."""

from __future__ import annotations

import threading

from localcloud.common import logs
from localcloud.common.clock import Clock
from localcloud.ram.model import Credentials, RamModel

log = logs.get("localcloud.fc.credentials")
_REFRESH_BEFORE_S = 300.0
_DURATION_S = 3600


class RoleCredentials:
    """The current STS credentials of one function's role; empty when the function has no role."""

    def __init__(self, ram: RamModel, role_arn: str | None, function: str, clock: Clock) -> None:
        self.ram = ram
        self.role_arn = role_arn
        self.function = function
        self.clock = clock
        self._creds: Credentials | None = None
        self._lock = threading.Lock()

    def get(self) -> tuple[str, str, str]:
        if not self.role_arn:
            return ("", "", "")
        with self._lock:
            creds = self._creds
            if creds is None or creds.expiration - self.clock.now() < _REFRESH_BEFORE_S:
                role = self.ram.role(self.role_arn)
                duration = min(_DURATION_S, role.max_session_duration) if role else _DURATION_S
                creds = self.ram.issue_session(self.role_arn, f"fc-{self.function}"[:64], duration, None,
                                               None, "fc.aliyuncs.com")
                self._creds = creds
                log.info("function credentials issued", extra={"function": self.function,
                                                               "role": self.role_arn,
                                                               "expiration": creds.expiration})
        return (creds.access_key_id, creds.access_key_secret, creds.security_token)
