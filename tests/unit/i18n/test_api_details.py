"""Issue 31, what the api's answers carried in English only: pydantic's validation details, a refused alert
target (netguard), a bad activity setting. Each keeps its English words byte for byte and renders in Chinese
for a zh_CN reader; the `code` and status never change."""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field
from vigil_camera.activity.settings import ActivitySettings, ActivitySettingsError
from vigil_fn.api.alert_models import RuleIn
from vigil_fn.api.router import parse_model, validation_message
from vigil_fn.core.http import ApiError
from vigil_fn.core.i18n import as_text

pytestmark = pytest.mark.unit


class Signup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=3)
    age: int = Field(ge=18)
    role: str


def _answer(err: ApiError, lang: str) -> dict[str, Any]:
    return dict(json.loads(err.to_response(lang)["body"])["error"])


def _refusal(model: type[BaseModel], doc: Any) -> ApiError:
    with pytest.raises(ApiError) as caught:
        parse_model(model, doc, "body")
    return caught.value


def test_pydantic_details_keep_their_english_and_read_in_chinese() -> None:
    err = _refusal(Signup, {"name": "al", "age": 12, "spare": 1})
    en, zh = _answer(err, "en"), _answer(err, "zh_CN")
    assert en["code"] == zh["code"] == "invalid_request" and err.status == 400
    assert en["message"] == ("body.name: String should have at least 3 characters; body.age: Input should be "
                             "greater than or equal to 18; body.role: Field required; body.spare: Extra inputs "
                             "are not permitted")
    assert zh["message"] == ("body.name：字符串至少需要 3 个字符; body.age：应大于或等于 18; body.role：缺少此字段; "
                             "body.spare：不允许额外的字段")
    assert err.message == en["message"]                 # logs and str() stay English


def test_our_own_validator_message_is_translated_inside_pydantic() -> None:
    """An alert rule's RuleError raised inside a model validator reaches the answer as its template."""
    err = _refusal(RuleIn, {"id": "bad-rule", "kind": "camera_offline", "channels": ["ch-1"], "timezone": "CET+1"})
    en, zh = _answer(err, "en")["message"], _answer(err, "zh_CN")["message"]
    assert en.startswith("body: timezone: ") and "Value error" not in en
    assert zh == "body：timezone：必须是 IANA 时区名称，例如 Asia/Shanghai 或 UTC"


def test_an_error_type_without_a_template_stays_in_pydantics_english() -> None:
    class Url(BaseModel):
        when: dict[str, int]

    err = _refusal(Url, {"when": {"a": "x"}})
    assert _answer(err, "zh_CN")["message"] == "body.when.a：应为整数"
    from pydantic import ValidationError
    try:
        Url.model_validate({"when": {"a": 1.5}})
    except ValidationError as exc:
        assert validation_message(exc, "body") == ("body.when.a: Input should be a valid integer, got a number "
                                                   "with a fractional part")


def test_a_refused_alert_target_reads_in_chinese() -> None:
    from vigil_fn.alerts import netguard
    from vigil_fn.alerts.rules import RuleError

    channel = SimpleNamespace(config={"url": "http://169.254.169.254/latest/meta-data/"})
    with pytest.raises(RuleError) as caught:
        netguard.check_channel_target(channel, allow_loopback=False)
    err = ApiError.of(caught.value, 400, caught.value.code)
    assert _answer(err, "en")["message"] == ("config.url: 169.254.169.254 resolves to a cloud metadata address; "
                                             "alerts do not connect there")
    assert _answer(err, "zh_CN")["message"] == "config.url：169.254.169.254 解析为云元数据地址；告警不会连接到那里"
    with pytest.raises(netguard.TargetRefused) as refused:   # a delivery's recorded error: English
        netguard.check_url("ftp://x/", allow_loopback=False)
    assert str(refused.value) == "only http:// and https:// addresses"


@pytest.mark.parametrize(("doc", "english", "chinese"), [
    ({"zones": [{"name": "porch", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}]},
     'zone "porch" crosses itself: draw its points in order around the edge',
     "区域“porch”自相交叉：请沿边缘按顺序画出各点"),
    ({"ignore_zones": [[[0, 0], [2, 0], [1, 1]]]},
     "ignore zone 1: point 2 (2, 0) is outside the picture (use 0 to 1 for x and y)",
     "忽略区域 1：第 2 个点（2, 0）在画面之外（x 和 y 请使用 0 到 1）"),
    ({"sensitivity": 3}, "sensitivity must be between 0 and 1, not 3", "sensitivity 必须在 0 到 1 之间，而不是 3"),
    ({"colour": 1}, "unknown activity setting: colour", "未知的活动设置：colour"),
])
def test_activity_settings_errors_keep_english_and_render_chinese(doc: Any, english: str, chinese: str) -> None:
    with pytest.raises(ActivitySettingsError) as caught:
        ActivitySettings.from_dict(doc)
    assert str(caught.value) == english                   # the camera's log and the CLI under C
    text = as_text(caught.value)
    err = ApiError(400, "invalid_activity_settings", text.template, **text.fields)
    assert _answer(err, "en")["message"] == english and _answer(err, "zh_CN")["message"] == chinese
