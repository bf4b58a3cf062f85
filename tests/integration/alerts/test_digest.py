"""The daily digest: one message per subscribed user, listing only the cameras that user may see, once a day."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import pytest
from vigil_fn.alerts.rules import check_channel
from vigil_fn.alerts.store import DIGESTS, MARKS, AlertStore
from vigil_fn.api.users import USERS_PREFIX, UserStore

from tests.oss_access import oss_requests

pytestmark = pytest.mark.integration


def test_one_digest_per_user_per_day_with_their_cameras_only(cloud: Any, camera: Any, receiver: Any,
                                                            ticks: Any) -> None:
    store = AlertStore(cloud.bucket())
    tag = uuid.uuid4().hex[:6]
    mine, other = camera(), camera()
    store.save_channel(check_channel({"id": f"dig-{tag}", "kind": "webhook",
                                      "config": {"url": f"{receiver.base}/hook", "secret": receiver.secret}}))
    viewer = f"v-{tag}"
    UserStore(cloud.bucket()).create(viewer, secrets.token_urlsafe(12), "viewer", [mine])
    store.save_digest(viewer, {"user": viewer, "channel": f"dig-{tag}", "hour": 0, "timezone": "Asia/Shanghai"})
    ticks.minute()
    digests = [r for r in receiver.unique().values() if r.body["title"].startswith("Vigil daily digest")]
    assert len(digests) == 1
    assert [a["camera"] for a in digests[0].body["alerts"]] == [mine] and other not in str(digests[0].body)
    assert "clips" in digests[0].body["alerts"][0]["detail"] and "MB stored" in digests[0].body["alerts"][0]["detail"]
    # the rest of the day's ticks: no second digest, and not a request about this one (before, each tick read
    # the subscription and the user, listed the registry, read the state and tried the day's marker again)
    with oss_requests() as seen:
        ticks.minute(2)
    assert len([r for r in receiver.unique().values() if r.body["title"].startswith("Vigil daily digest")]) == 1
    assert seen.under(f"{MARKS}digest/{viewer}/") == [] and seen.under(f"{USERS_PREFIX}{viewer}") == []
    assert seen.under(f"{DIGESTS}{viewer}") == [], "the subscription is read again only when it changes"
    store.delete_digest(viewer)


def test_a_chinese_users_digest_is_said_in_chinese(cloud: Any, camera: Any, receiver: Any, ticks: Any) -> None:
    """The digest follows the user's page language (their stored choice), as rule messages follow the rule's;
    the English `detail` stays for the API and logs."""
    store = AlertStore(cloud.bucket())
    tag = uuid.uuid4().hex[:6]
    mine = camera()
    store.save_channel(check_channel({"id": f"digzh-{tag}", "kind": "webhook",
                                      "config": {"url": f"{receiver.base}/hook", "secret": receiver.secret}}))
    viewer = f"vzh-{tag}"
    users = UserStore(cloud.bucket())
    users.create(viewer, secrets.token_urlsafe(12), "viewer", [mine])
    users.set_language(viewer, "zh-CN")
    store.save_digest(viewer, {"user": viewer, "channel": f"digzh-{tag}", "hour": 0, "timezone": "Asia/Shanghai"})
    ticks.minute()
    (got,) = [r for r in receiver.unique().values() if r.body["title"].startswith("Vigil 每日摘要")]
    assert got.valid and got.body["language"] == "zh-CN" and "1 个摄像头" in got.body["title"]
    (line,) = got.body["alerts"]
    assert line["camera"] == mine and line["rule_name"] == "每日摘要"
    assert "个片段，已存储" in line["text"] and "MB stored" not in line["text"]
    assert "MB stored" in line["detail"]
    store.delete_digest(viewer)
