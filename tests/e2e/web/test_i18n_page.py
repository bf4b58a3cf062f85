"""The page in Simplified Chinese (issue 31): a zh-CN browser gets the login, cameras, camera and admin pages
with no English left over and no text overflowing its box; switching to English and back keeps the
screen and its state; the choice is remembered per user across reloads and browsers.

Screenshots of every screen are written to the test's tmp dir (looked at when the page changes)."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest

from .conftest import load_support

# what may stay in Latin letters on a Chinese page: the product, units, formats, the English switch
# option, the time zone's name; camera ids and user names are added per test
# f, n, p: the keys the hints name (full screen, next and previous event)
ALLOWED = {"Vigil", "English", "B", "MB", "KB", "GB", "TB", "MP4", "HLS", "UTC", "Asia", "Shanghai", "f", "n", "p"}

_TEXT_JS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    // translate="no": machine text kept as the system wrote it (a receiver's error, an OS message)
    if (!el || el.closest('option:not(:checked)') || el.closest('[translate="no"]')) continue;
    const r = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    if (!r.width || !r.height || style.visibility === 'hidden' || el.closest('[hidden]')) continue;
    if (n.textContent.trim()) out.push(n.textContent.trim());
  }
  for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],img[alt]')) {
    for (const a of ['placeholder', 'aria-label', 'title', 'alt']) if (el.getAttribute(a)) out.push(el.getAttribute(a));
  }
  return out;
}"""

_OVERFLOW_JS = """() => [...document.querySelectorAll(
    'button, label, h1, h2, p, dt, dd, th, td, a, li, select, strong, span')]
  .filter((el) => el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1
    && getComputedStyle(el).display !== 'inline')
  .map((el) => `${el.tagName.toLowerCase()}.${el.className}: ${el.textContent.trim().slice(0, 60)}`
    + ` (${el.scrollWidth} > ${el.clientWidth})`)"""


def english_left(page: Any, allowed: set[str]) -> list[str]:
    words: set[str] = set()
    for text in page.evaluate(_TEXT_JS):
        text = re.sub(r"\b[0-9a-f]{12,}\b", "", text)  # ids (a delivery's, a key's) are hex, not words
        text = re.sub(r"\b\d{8}T\d{6}Z-[0-9a-f]+\b", "", text)  # an export's id: its UTC time and a hex tag
        for word in re.findall(r"[A-Za-z][A-Za-z'-]*", text):
            if word not in allowed and not any(word in a for a in allowed if "-" in a):
                words.add(f"{word} ({text[:50]})")
    return sorted(words)


# what users named — cameras, alert rules and channels — is their own words, in whatever language they typed:
# the test stack is shared with other tests, which name them in English ("Front door", "Door", "Ops 1a2b3c")
_FLEET_JS = """async () => {
  const out = [];
  for (const [path, list] of [['cameras', 'cameras'], ['alerts/rules', 'rules'], ['alerts/channels', 'channels']]) {
    const r = await fetch('/api/v1/' + path, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!r.ok) continue;
    const doc = await r.json();
    for (const item of doc[list] || []) out.push(item.id || '', item.name || '', (item.config || {}).url || '');
  }
  return out;
}"""


def fleet_words(page: Any) -> set[str]:
    return {w for text in page.evaluate(_FLEET_JS) for w in re.findall(r"[A-Za-z][A-Za-z'-]*", text)}


def check_screen(page: Any, name: str, allowed: set[str], shots: Path) -> None:
    page.screenshot(path=str(shots / f"zh-{name}.png"), full_page=True)
    if name != "login":
        allowed = allowed | fleet_words(page)
    assert english_left(page, allowed) == [], name
    assert page.evaluate(_OVERFLOW_JS) == [], name


@pytest.fixture(scope="module")
def stack(cloud: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    s = load_support()
    tag = uuid.uuid4().hex[:6]
    cam = f"zh-cam-{tag}"
    s.provision(cloud, cam, cam)
    keys = s.simulate(cloud, cam, tmp_path_factory.mktemp("zh-cam"), 2)
    user = (f"zhuser-{tag}", "zh-password-" + tag)
    s.create_user(cloud, user[0], user[1], "admin")
    return {"cam": cam, "user": user, "base": str(cloud.functions["vigil-api"]).rstrip("/"), "keys": keys}


def sign_in_zh(ctx: Any, base: str, who: tuple[str, str], path: str) -> Any:
    page = ctx.new_page()
    page.goto(base + path)
    page.get_by_label("用户名").fill(who[0])
    page.get_by_label("密码").fill(who[1])
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="退出登录").wait_for()
    return page


def test_chinese_screens_have_no_english_left_and_nothing_overflows(browser: Any, stack: dict[str, Any],
                                                                   tmp_path: Path) -> None:
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    try:
        cam, user, base = stack["cam"], stack["user"], stack["base"]
        allowed = ALLOWED | {cam, user[0]}
        page = ctx.new_page()
        page.goto(base + "/login")
        page.get_by_role("button", name="登录").wait_for()
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
        check_screen(page, "login", allowed, tmp_path)
        page.close()

        page = sign_in_zh(ctx, base, user, "/")
        page.locator(f'li[data-camera="{cam}"]').get_by_text("在线").or_(
            page.locator(f'li[data-camera="{cam}"]').get_by_text("离线")).wait_for()
        check_screen(page, "cameras", allowed, tmp_path)

        page.goto(f"{base}/cameras/{cam}")
        page.get_by_role("button", name="选择时间段").wait_for()
        page.locator(".tl-clip").first.wait_for()
        check_screen(page, "camera", allowed, tmp_path)
        print(f"screenshots in {tmp_path}")
    finally:
        ctx.close()


def test_switching_language_keeps_the_screen_and_is_remembered_per_user(browser: Any, stack: dict[str, Any]) -> None:
    cam, user, base = stack["cam"], stack["user"], stack["base"]
    ctx = browser.new_context(locale="zh-CN")
    try:
        page = sign_in_zh(ctx, base, user, f"/cameras/{cam}")
        select = page.get_by_role("button", name="选择时间段")
        select.click()  # some state: the range selection mode is on
        assert select.get_attribute("aria-pressed") == "true"
        url = page.url
        with page.expect_response(lambda r: r.url.endswith("/api/v1/me/preferences")) as saved:
            page.get_by_label("语言").select_option("en")
        assert saved.value.status == 200
        english = page.get_by_role("button", name="Select a range")
        english.wait_for()
        assert page.url == url and english.get_attribute("aria-pressed") == "true"
        assert page.get_by_role("button", name="Sign out").is_visible()
        # an API message follows the chosen language: the header goes out on every call
        with page.expect_request(lambda r: "/api/v1/" in r.url) as req:
            page.get_by_role("button", name="Next day").click()
        assert req.value.headers.get("accept-language") == "en"
        # the reload below must find the choice saved (else /me answers the English one saved before)
        with page.expect_response(lambda r: r.url.endswith("/api/v1/me/preferences")) as back:
            page.get_by_label("Language").select_option("zh-CN")
        assert back.value.status == 200
        page.get_by_role("button", name="退出登录").wait_for()
        assert page.url.split("?")[0] == url.split("?")[0]
        page.reload()
        page.get_by_role("button", name="退出登录").wait_for()
    finally:
        ctx.close()
    # a new browser whose own language is English: the user's remembered Chinese wins once signed in
    other = browser.new_context(locale="en-US")
    try:
        page = other.new_page()
        page.goto(base + "/")
        page.get_by_label("User name").fill(user[0])
        page.get_by_label("Password").fill(user[1])
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="退出登录").wait_for()
        assert page.evaluate("document.documentElement.lang") == "zh-CN"
    finally:
        other.close()


# the admin screen's data columns (names, ids, audit actions/targets/clients) are the system's own words
_ADMIN_DATA_JS = """() => [
  ...[...document.querySelectorAll('tr[data-user]')].map((tr) => tr.dataset.user),
  ...[...document.querySelectorAll('tr[data-camera]')].flatMap((tr) => [tr.dataset.camera,
      tr.querySelector('td').firstChild.textContent.trim()]),
  ...[...document.querySelectorAll('[data-gateway], [data-gateway-cameras]')].flatMap((el) =>
      [el.dataset.gateway ?? '', ...(el.dataset.gatewayCameras ?? '').split(' ')]),
  ...[...document.querySelectorAll('table.audit tbody tr')].flatMap((tr) =>
      [...tr.children].slice(1, 6).map((td) => td.textContent)),
].join(' ')"""


def test_admin_screen_in_chinese_has_no_english_left_and_nothing_overflows(browser: Any, stack: dict[str, Any],
                                                                         tmp_path: Path) -> None:
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    try:
        cam, user, base = stack["cam"], stack["user"], stack["base"]
        page = sign_in_zh(ctx, base, user, "/admin")
        page.get_by_role("heading", name="审计日志").wait_for()
        page.locator(f'tr[data-camera="{cam}"]').wait_for()
        page.locator("table.audit tbody tr").first.wait_for()
        # audit actions are named in Chinese (the code stays in data-action)
        assert page.locator('table.audit td[data-action="login"]').first.inner_text() == "登录"
        # the field rules under the forms are Chinese; a refused form explains itself in Chinese too
        add_user = page.get_by_role("form", name="添加用户")
        assert "至少 12 个字符" in add_user.inner_text()
        add_user.get_by_role("button", name="添加用户").click()
        add_user.get_by_role("alert").filter(has_text="请输入用户名").wait_for()
        assert "密码只有 0 个字符" in add_user.inner_text()
        # the rules' examples (bob.smith, cam-front) and the "ID" of "摄像头 ID" stay as they are
        data = set(re.findall(r"[A-Za-z][A-Za-z'-]*", page.evaluate(_ADMIN_DATA_JS)))
        allowed = ALLOWED | {cam, user[0], "ID", "bob", "smith", "cam-front"} | data
        check_screen(page, "admin", allowed, tmp_path)
        # a notice already on screen is re-worded by a language switch (the page keeps its key, not its text)
        newcomer = f"zhnew-{uuid.uuid4().hex[:6]}"
        add_user.get_by_label("用户名").fill(newcomer)
        add_user.get_by_label("密码", exact=True).fill("zh-newcomer-password")
        add_user.get_by_role("button", name="添加用户").click()
        page.get_by_role("status").filter(has_text=f"用户 {newcomer} 已添加。").wait_for()
        page.get_by_label("语言").select_option("en")
        page.get_by_role("status").filter(has_text=f"User {newcomer} added.").wait_for()
        page.get_by_label("Language").select_option("zh-CN")
        page.get_by_role("status").filter(has_text=f"用户 {newcomer} 已添加。").wait_for()
        print(f"screenshot in {tmp_path}")
    finally:
        ctx.close()


def _alert_rows(cloud: Any) -> tuple[str, str]:
    """A 7-minute offline rule and a dead letter, saved as the alerts evaluator would (their ids)."""
    from vigil_fn.alerts.messages import Delivery, Notice
    from vigil_fn.alerts.rules import check_channel, check_rule
    from vigil_fn.alerts.store import AlertStore

    store, tag = AlertStore(cloud.bucket()), uuid.uuid4().hex[:6]
    store.save_channel(check_channel({"id": f"zh-ops-{tag}", "name": f"Ops {tag}", "kind": "webhook",
                                      "config": {"url": "https://hooks.example.com/vigil",
                                                 "secret": "hook-secret-" + uuid.uuid4().hex}}))
    store.save_rule(check_rule({"id": f"zh-off-{tag}", "name": f"Lobby {tag}", "kind": "camera_offline",
                                "minutes": 7, "channels": [f"zh-ops-{tag}"]}))
    dead = Delivery(id=uuid.uuid4().hex, channel=f"zh-ops-{tag}", created_ms=1, attempts=10, errors=["hooks: 500"],
                    notices=[Notice(rule=f"zh-off-{tag}", rule_name="Lobby", kind="camera_offline", state="firing",
                                    camera="cam-lobby", at_ms=1, detail="no clip for 9 min")])
    store.enqueue(dead)
    store.bury(store.outbox_key(dead), dead, 1_796_000_000_000)
    return f"zh-off-{tag}", dead.id


def test_alerts_exports_and_side_by_side_in_chinese(browser: Any, cloud: Any, stack: dict[str, Any],
                                                    tmp_path: Path) -> None:
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    try:
        cam, user, base = stack["cam"], stack["user"], stack["base"]
        # names that stay as they are in Chinese text: the webhook / SMTP / URL kinds, the key's algorithm,
        # and the example rule id (ids are lower-case ASCII in every language)
        # N: "offline for over N minutes", the rule kind's own words
        allowed = ALLOWED | {cam, user[0], "ID", "Webhook", "webhook", "SMTP", "URL", "Ed", "MP", "JSON",
                             "offline-lobby", "N"}
        rule, dead = _alert_rows(cloud)
        page = sign_in_zh(ctx, base, user, "/alerts")
        page.get_by_role("heading", name="发送失败的消息").wait_for()
        page.get_by_role("form", name="每日摘要").wait_for()
        page.locator("[aria-busy=true]").first.wait_for(state="detached")
        # the rule's kind with its own minutes, said once (not "超过 N 分钟 （7 分钟）")
        what = page.locator(f'tr[data-rule="{rule}"] td').nth(1)
        assert what.inner_text().strip() == "摄像头离线超过 7 分钟"
        # "重新发送" stays on one line in its button
        again = page.locator(f'tr[data-delivery="{dead}"] button')
        assert again.inner_text() == "重新发送"
        assert again.evaluate("b => { const r = document.createRange(); r.selectNodeContents(b);"
                              " return r.getClientRects().length }") == 1
        check_screen(page, "alerts", allowed, tmp_path)

        page.goto(base + "/exports")
        page.get_by_role("heading", name="校验导出的文件").wait_for()
        page.locator("code[data-key-id]").wait_for()
        key_id = set(re.findall(r"[A-Za-z][A-Za-z'-]*", page.locator("code[data-key-id]").inner_text()))
        check_screen(page, "exports", allowed | key_id, tmp_path)

        page.goto(base + "/sync")
        page.get_by_role("form", name="选择摄像头").get_by_text(cam).wait_for()
        page.get_by_role("heading", name="已保存的布局").wait_for()
        names = set(re.findall(r"[A-Za-z][A-Za-z'-]*", " ".join(page.locator("label.pick").all_inner_texts())))
        check_screen(page, "sync", allowed | names, tmp_path)  # camera names are the users' own words
        print(f"screenshots in {tmp_path}")
    finally:
        ctx.close()


_EXPORT_JS = """async ([camera, start, end]) => {
  const me = await (await fetch('/api/v1/me')).json();
  const r = await fetch('/api/v1/exports', {method: 'POST', headers: {'Content-Type': 'application/json',
    'X-Vigil-CSRF': me.csrf_token}, body: JSON.stringify({camera, start, end})});
  return [r.status, await r.json()]; }"""


def test_finished_export_and_its_shared_link_in_chinese(browser: Any, cloud: Any, stack: dict[str, Any],
                                                        tmp_path: Path) -> None:
    """The finished export's card, its share box and the page a stranger opens from the link: Chinese, with
    the verification's checks as the api words them for a zh-CN reader; nothing overflows."""
    s = load_support()
    cam, user, base, keys = stack["cam"], stack["user"], stack["base"], stack["keys"]
    s.wait_indexed(cloud, cam, keys)
    start = s.clip_start_ms(keys[0])
    s.wait_until_wall(start + 4000)          # the simulator stamps frames from now: let the range be past
    # the export's file name and the key id are the system's; "Ed" of Ed25519, "MP" of MP4
    allowed = ALLOWED | {cam, user[0], "ID", "Ed", "MP", "JSON", "SHA-256", "CRC-64"}
    ctx = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    stranger = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai",
                                   viewport={"width": 1280, "height": 900})
    try:
        page = sign_in_zh(ctx, base, user, "/exports")
        created = page.evaluate(_EXPORT_JS, [cam, start, start + 4000])
        assert created[0] == 202, created
        export_id = created[1]["export"]["id"]
        page.reload()
        card = page.locator(f".export[data-export='{export_id}'][data-state='done']")
        card.wait_for(timeout=120_000)
        page.locator("code[data-key-id]").wait_for()
        machine = set(re.findall(r"[A-Za-z][A-Za-z'-]*", " ".join(
            page.locator("code[data-key-id], .export .filename, .export code").all_inner_texts())))
        check_screen(page, "export-done", allowed | machine, tmp_path)

        card.get_by_role("button", name="共享导出").click()
        page.get_by_role("button", name="创建链接").click()
        link = page.get_by_role("textbox", name="共享链接").input_value()
        assert "/s/" in link
        check_screen(page, "export-shared", allowed | machine, tmp_path)

        visit = stranger.new_page()
        visit.goto(link)
        verdict = visit.locator(".verdict[data-verified='yes']")
        verdict.wait_for()
        # the api wrote the checks for this zh-CN reader (Accept-Language), not in English
        assert "清单的 Ed25519 签名有效" in verdict.inner_text(), verdict.inner_text()
        assert "存储中文件的大小和 CRC-64 与清单一致" in verdict.inner_text()
        visit.wait_for_function("() => { const v = document.querySelector('video.shared-video');"
                                " return v && v.readyState >= 1 }")
        files = set(re.findall(r"[A-Za-z][A-Za-z'-]*", " ".join(visit.locator("[download], .files td:first-child")
                                                                 .all_inner_texts())))
        # the offline check names its tools and doc as they are: docs/evidence.md, openssl, sha256sum
        tools = {"docs", "evidence", "md", "openssl", "sha", "sum"}
        check_screen(visit, "shared-link", allowed | files | tools, tmp_path)
        print(f"screenshots in {tmp_path}")
    finally:
        stranger.close()
        ctx.close()
