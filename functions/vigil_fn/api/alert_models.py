"""Request and response bodies of the alert routes (issue 25), for validation and the OpenAPI document.

The checks themselves live in `vigil_fn.alerts.rules` (shared with the CLI and the function): each
input model runs them first, so a malformed rule is a 400 whose message names the field in plain
words ("body: minutes: must be a whole number from 1 to 1440 (...)"), never a pydantic type name.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from ..alerts.rules import RuleError, check_rule

Day = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
HHMM = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", examples=["22:00"])]
_ALL_DAYS: tuple[Day, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AlertId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{1,47}$", examples=["offline-lobby"])]


def _plain(check: Any, doc: Any) -> Any:
    try:
        check(doc)
    except RuleError as exc:
        # `text`: the template, so the answer is in the reader's language (api/validation.py)
        raise PydanticCustomError("invalid", "{message}", {"message": exc.message, "text": exc.text}) from None
    return doc


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WindowDoc(_In):
    days: list[Day] = Field(default_factory=lambda: list(_ALL_DAYS))
    start: HHMM
    end: HHMM = Field(description="an end before the start runs past midnight; equal = the whole day")


class RuleIn(_In):
    """An alert rule. `minutes`: camera_offline — silent this long; upload_lag — lag above this."""

    id: AlertId
    name: str = ""
    kind: Literal["camera_offline", "upload_lag", "clips_dropped", "token_errors", "activity", "bucket_protection"]
    channels: list[AlertId] = Field(min_length=1, max_length=10)
    cameras: list[str] | None = Field(default=None, description="null = every camera")
    enabled: bool = True
    minutes: int = Field(default=5, ge=1, le=1440)
    zones: list[str] = Field(default_factory=list, description="activity: zone names; empty = any zone")
    min_score: float = Field(default=0.5, ge=0, le=1, description="activity: lowest score that alerts")
    schedule: list[WindowDoc] = Field(default_factory=list, description="activity: weekly windows; empty = always")
    quiet_hours: WindowDoc | None = Field(default=None, description="nothing is sent in this window")
    timezone: str = Field(default="UTC", description="IANA zone of the schedule and quiet hours")
    cooldown_minutes: int = Field(default=15, ge=0, le=10080)
    digest: bool = False
    language: Literal["en", "zh-CN"] = Field(default="en", description="what its alerts are written in; "
                                             "times are shown in `timezone`")

    @model_validator(mode="before")
    @classmethod
    def _check(cls, doc: Any) -> Any:
        return _plain(check_rule, doc)


class RuleOut(RuleIn):
    model_config = ConfigDict(extra="forbid")


class RuleList(_Out):
    rules: list[RuleOut]


class ChannelIn(_In):
    """A channel. config: webhook {url, secret}; dingtalk {url, secret?}; wecom {url};
    email {host, port, security: ssl|starttls|none, username?, password?, sender, to: [..]}."""

    id: AlertId
    name: str = ""
    kind: Literal["webhook", "dingtalk", "wecom", "email"]
    config: dict[str, Any] = Field(description="secrets (secret, password) are write-only: left out of an "
                                               "update they keep their stored value")
    enabled: bool = True


class ChannelOut(_Out):
    id: str
    name: str
    kind: str
    enabled: bool
    config: dict[str, Any] = Field(description="secrets shown only as secret_set / password_set")


class ChannelList(_Out):
    channels: list[ChannelOut]


class ChannelTest(_Out):
    ok: bool
    error: str | None = None


class NoticeOut(_Out):
    rule: str
    rule_name: str
    kind: str
    state: str
    camera: str | None
    at_ms: int
    detail: str
    event_id: str = Field(default="", description="activity: the event's id, <camera>:<first active ms>")
    zone: str = ""
    clip_key: str = ""
    link: str = Field(default="", description="activity: the camera page at the event")
    language: str = "en"
    timezone: str = "UTC"
    code: str = Field(default="", description="the detail's catalog code (docs/alerts.md, Languages)")
    args: dict[str, Any] = Field(default_factory=dict)


class DeliveryOut(_Out):
    id: str
    channel: str
    created_ms: int
    attempts: int
    next_ms: int
    errors: list[str]
    subject: str
    notices: list[NoticeOut]
    dead_ms: int | None = None
    language: str = "en"


class DeliveryList(_Out):
    deliveries: list[DeliveryOut]


class DigestIn(_In):
    channel: AlertId
    hour: int = Field(default=8, ge=0, le=23, description="local hour the digest of the day before is sent")
    timezone: str = "UTC"


class DigestOut(_Out):
    user: str
    channel: str
    hour: int
    timezone: str

