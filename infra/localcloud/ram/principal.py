"""Who signed a request: the identity `RamModel.resolve` returns and `policy.evaluate` judges.

Its own module so the arrows go one way: model -> loader -> policy -> principal (policy needs the
type, the model builds it; neither imports the other back).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Principal:
    access_key_id: str
    secret: str
    arn: str
    principal_id: str
    kind: Literal["user", "assumed-role"]
    policies: tuple[dict[str, Any], ...]
    session_policy: dict[str, Any] | None
    expiration: float | None
    role_arn: str | None = None  # the role of an assumed-role session
    security_token: str | None = None
