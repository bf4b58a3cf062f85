"""The Alerts screen in Chromium: rules, channels (secrets never on the page), a refused target and a
malformed rule shown in the API's own words, and "Send again" on a dead letter."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from vigil_fn.alerts.messages import Delivery, Notice
from vigil_fn.alerts.rules import check_channel, check_rule
from vigil_fn.alerts.store import AlertStore

from .conftest import load_support

pytestmark = pytest.mark.e2e
S = load_support()


@pytest.fixture
def admin_page(cloud: Any, browser: Any) -> Iterator[Any]:
    name, password = f"alerts-{uuid.uuid4().hex[:6]}", "alerts-password-" + uuid.uuid4().hex[:6]
    S.create_user(cloud, name, password, "admin")
    base = cloud.functions["vigil-api"]
    resp = requests.post(f"{base}/api/v1/login", json={"username": name, "password": password}, timeout=30)
    assert resp.status_code == 200, resp.text
    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(30_000)
    ctx.add_cookies([{"name": "vigil_session", "value": resp.cookies["vigil_session"], "url": base}])
    page = ctx.new_page()
    try:
        yield page
    finally:
        ctx.close()


def test_alerts_screen(cloud: Any, admin_page: Any, artifacts: Path) -> None:
    store = AlertStore(cloud.bucket())
    tag = uuid.uuid4().hex[:6]
    secret = "hook-secret-" + uuid.uuid4().hex
    store.save_channel(check_channel({"id": f"ops-{tag}", "name": f"Ops {tag}", "kind": "webhook",
                                      "config": {"url": "https://hooks.example.com/vigil", "secret": secret}}))
    store.save_rule(check_rule({"id": f"off-{tag}", "name": f"Lobby offline {tag}", "kind": "camera_offline",
                                "minutes": 7, "channels": [f"ops-{tag}"]}))
    dead = Delivery(id=uuid.uuid4().hex, channel=f"ops-{tag}", created_ms=1, attempts=10, errors=["hooks: 500"],
                    notices=[Notice(rule=f"off-{tag}", rule_name="Lobby offline", kind="camera_offline",
                                    state="firing", camera="cam-lobby", at_ms=1, detail="no clip for 9 min")])
    store.enqueue(dead)
    store.bury(store.outbox_key(dead), dead, 1_796_000_000_000)

    page = admin_page
    page.goto(cloud.functions["vigil-api"] + "/alerts")
    for name in ("Rules", "Channels", "Dead letters"):
        page.get_by_role("heading", name=name, exact=True).wait_for()
    page.locator(f'tr[data-rule="off-{tag}"]').get_by_text("Camera offline for 7 minutes").wait_for()
    page.locator(f'tr[data-channel="ops-{tag}"]').wait_for()
    assert secret not in page.content()
    page.screenshot(path=str(artifacts / "alerts.png"), full_page=True)

    page.get_by_role("button", name=f"Send {dead.id} again").click()
    page.get_by_role("status").filter(has_text="Queued again").wait_for()
    assert dead.id in [d.id for d in store.pending()]
    page.locator(f'tr[data-delivery="{dead.id}"]').wait_for(state="detached")

    page.get_by_label("Channel id").fill(f"meta-{tag}")
    page.get_by_label("URL").fill("http://169.254.169.254/latest/meta-data/")
    page.get_by_label("Signing secret").fill("s" * 24)
    page.get_by_role("button", name="Add channel").click()
    page.get_by_role("alert").filter(has_text="config.url:").wait_for()

    page.get_by_label("Rule id").fill(f"bad-{tag}")
    page.get_by_label("Minutes").fill("0")
    page.get_by_label("Channel", exact=True).select_option(f"ops-{tag}")
    page.get_by_role("button", name="Add rule").click()
    page.get_by_role("alert").filter(has_text="minutes: must be a whole number from 1 to 1440").wait_for()


def test_a_rule_is_edited_in_the_page_and_refusals_sit_next_to_their_field(cloud: Any, admin_page: Any,
                                                                           artifacts: Path) -> None:
    """Schedule, quiet hours, zones, language and the digest are edited in the page (before: API/CLI only);
    what the API refuses is shown under the field it names."""
    store = AlertStore(cloud.bucket())
    tag = uuid.uuid4().hex[:6]
    store.save_channel(check_channel({"id": f"ops-{tag}", "name": f"Ops {tag}", "kind": "webhook",
                                      "config": {"url": "https://hooks.example.com/vigil", "secret": "s" * 24}}))
    rid = f"door-{tag}"
    store.save_rule(check_rule({"id": rid, "name": "Door", "kind": "activity", "channels": [f"ops-{tag}"]}))
    page = admin_page
    page.goto(cloud.functions["vigil-api"] + "/alerts")
    page.get_by_role("button", name=f"Edit rule {rid}").click()
    editor = page.get_by_role("form", name=f"Rule {rid}")
    editor.get_by_label("Zones (comma-separated)").fill("door, gate")
    editor.get_by_label("Time zone", exact=False).fill("Asia/Shanghai")
    editor.get_by_label("Language of its messages").select_option("zh-CN")
    editor.get_by_role("button", name="Add a window").click()
    editor.get_by_label("Start of Window 1").fill("09:00")
    editor.get_by_label("End of Window 1").fill("17:30")
    editor.get_by_label("Quiet hours (nothing is sent inside them)").first.check()
    editor.get_by_label("Also list it in the daily digest").check()
    editor.get_by_role("button", name="Save rule").click()
    page.get_by_role("status").filter(has_text=f"Rule {rid} saved").wait_for()
    saved = store.rule(rid)
    assert saved.zones == ("door", "gate") and saved.timezone == "Asia/Shanghai" and saved.language == "zh-CN"
    assert [(w.days, w.start, w.end) for w in saved.schedule] == [(("mon", "tue", "wed", "thu", "fri"), "09:00",
                                                                    "17:30")]
    assert saved.quiet_hours is not None and (saved.quiet_hours.start, saved.quiet_hours.end) == ("23:00", "07:00")
    assert saved.digest is True

    # a refusal names its field: it is shown in that field's place, not at the top of the page
    page.get_by_role("button", name=f"Edit rule {rid}").click()
    editor = page.get_by_role("form", name=f"Rule {rid}")
    editor.get_by_label("Time zone", exact=False).fill("Mars/Olympus")
    editor.get_by_role("button", name="Save rule").click()
    tz_field = editor.locator(".field", has=page.get_by_label("Time zone", exact=False))
    tz_field.get_by_role("alert").filter(has_text="timezone:").wait_for()
    assert store.rule(rid).timezone == "Asia/Shanghai"          # nothing half-saved
    editor.get_by_label("Time zone", exact=False).fill("UTC")
    editor.get_by_label("End of Window 1").fill("")
    editor.get_by_role("button", name="Save rule").click()
    editor.locator("fieldset", has_text="Window 1").get_by_role("alert").filter(has_text="schedule[0]").wait_for()
    page.screenshot(path=str(artifacts / "alerts-rule-editor.png"), full_page=True)
    editor.get_by_role("button", name="Close").click()

    # the digest: subscribe, a refused hour shown next to the hour, then stop it
    digest = page.get_by_role("form", name="Daily digest")
    digest.get_by_label("Channel").select_option(f"ops-{tag}")
    digest.get_by_label("Local hour it is sent (0–23)").fill("30")
    digest.get_by_role("button", name="Save digest").click()
    digest.locator(".field", has=page.get_by_label("Local hour it is sent (0–23)")).get_by_role("alert").wait_for()
    digest.get_by_label("Local hour it is sent (0–23)").fill("7")
    digest.get_by_label("Your time zone").fill("Asia/Shanghai")
    digest.get_by_role("button", name="Save digest").click()
    page.get_by_role("status").filter(has_text="Digest saved").wait_for()
    names = [d["user"] for d in store.digests() if d.get("channel") == f"ops-{tag}" and d.get("hour") == 7]
    assert len(names) == 1
    digest.get_by_role("button", name="Stop the digest").click()
    page.get_by_role("status").filter(has_text="Digest stopped").wait_for()
    assert not [d for d in store.digests() if d.get("channel") == f"ops-{tag}"]


def test_the_rule_editor_in_chinese(cloud: Any, admin_page: Any, artifacts: Path) -> None:
    """zh-CN: the editor's words come from its catalog (screenshot for a look at overflow)."""
    store = AlertStore(cloud.bucket())
    tag = uuid.uuid4().hex[:6]
    store.save_channel(check_channel({"id": f"ops-{tag}", "name": f"Ops {tag}", "kind": "webhook",
                                      "config": {"url": "https://hooks.example.com/vigil", "secret": "s" * 24}}))
    rid = f"zh-{tag}"
    store.save_rule(check_rule({"id": rid, "kind": "activity", "channels": [f"ops-{tag}"],
                                "schedule": [{"days": ["mon"], "start": "08:00", "end": "18:00"}]}))
    page = admin_page
    page.add_init_script("localStorage.setItem('vigil.language', 'zh-CN')")
    page.goto(cloud.functions["vigil-api"] + "/alerts")
    page.get_by_role("button", name=f"编辑规则 {rid}").click()
    editor = page.get_by_role("form", name=f"规则 {rid}")
    for words in ("消息语言", "每周时间表：仅在这些时段内告警", "周一", "添加时段", "保存规则"):
        editor.get_by_text(words, exact=False).first.wait_for()
    page.get_by_role("heading", name="我的每日摘要").wait_for()
    page.screenshot(path=str(artifacts / "alerts-rule-editor-zh-CN.png"), full_page=True)
