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
    page.locator(f'tr[data-rule="off-{tag}"]').get_by_text("(7 min)").wait_for()
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
