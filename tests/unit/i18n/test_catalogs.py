"""The catalogs are complete (issue 31): every translatable string of the functions and both CLIs has
Chinese, no catalog holds a string the code no longer uses, placeholders match, the .mo files are compiled
from their .po. When this fails after a merge: `make i18n`, translate the new empty msgstr, commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vigil_fn.core import i18n
from vigil_ops import catalogs


@pytest.mark.parametrize("domain", catalogs.DOMAINS, ids=[d.name for d in catalogs.DOMAINS])
def test_catalog_is_complete_and_current(domain: catalogs.Domain) -> None:
    found = catalogs.extract(domain)
    assert found.entries, "the extractor found nothing: it no longer recognises the marked calls"
    assert catalogs.problems(domain) == []


def test_the_api_catalog_holds_the_converted_call_sites() -> None:
    """Guards the extractor itself: templates from each kind of call (ApiError, bad_request, a Refused
    subclass, JobError, VodError, LiveNotReady) are found."""
    found = catalogs.extract(catalogs.DOMAINS[0]).entries
    for msgid in ("no such resource: {path}", "missing header {header}", "no such device: {device}",
                  "no such user: {user}", "only a finished export can be pinned",
                  "no playable recording starts in this range", "the live playlist has no segments yet"):
        assert msgid in found, msgid


def _scratch(tmp_path: Path, code: str, po: str) -> catalogs.Domain:
    src = tmp_path / "pkg"
    src.mkdir()
    (src / "mod.py").write_text(code)
    domain = catalogs.Domain("scratch", (src,), tmp_path / "locale", "errors")
    domain.po().parent.mkdir(parents=True)
    domain.po().write_text(po, encoding="utf-8")
    header, entries = catalogs.read_po(domain.po())
    domain.mo().write_bytes(catalogs.compile_mo(header or catalogs.HEADER, entries))
    return domain


CODE = '''
from errors import Refused
class Gone(Refused): pass
class ReallyGone(Gone): pass
def f(x):
    raise ApiError(404, "not_found", "no such camera: {camera}", camera=x)
def g(x):
    raise ReallyGone("gone: {what}", what=x)
def h(x):
    raise bad_request(f"bad {x}")
'''


def test_the_check_fails_on_missing_stale_placeholders_and_fstrings(tmp_path: Path) -> None:
    po = ('msgid "no such camera: {camera}"\nmsgstr "没有这个摄像头：{cam}"\n\n'
          'msgid "an old message"\nmsgstr "旧消息"\n')
    domain = _scratch(tmp_path, CODE, po)
    problems = "\n".join(catalogs.problems(domain))
    assert "missing 'gone: {what}'" in problems                      # a Refused grandchild's template
    assert "'an old message' is no longer used" in problems
    assert "name different placeholders" in problems                   # {cam} vs {camera}
    assert "mod.py:10: the message of bad_request() is built at run time" in problems


def test_update_adds_and_drops_then_translation_makes_it_clean(tmp_path: Path) -> None:
    domain = _scratch(tmp_path, CODE.replace('f"bad {x}"', '"bad {value}", value=x'),
                      'msgid "an old message"\nmsgstr "旧消息"\n')
    assert catalogs.update(domain) == (3, 1)
    header, entries = catalogs.read_po(domain.po())
    assert [e.msgid for e in entries] == ["bad {value}", "gone: {what}", "no such camera: {camera}"]
    assert any("has no Chinese yet" in p for p in catalogs.problems(domain))
    for entry, text in zip(entries, ("错误的值：{value}", "已不存在：{what}", "没有这个摄像头：{camera}"), strict=True):
        entry.msgstr = text
    catalogs.write_po(domain.po(), domain, entries, {})
    assert any("not compiled" in p for p in catalogs.problems(domain))   # .po edited, .mo stale
    catalogs.update(domain)
    assert catalogs.problems(domain) == []


def test_mo_compiler_round_trips_through_stdlib_gettext(tmp_path: Path) -> None:
    import gettext

    entries = [catalogs.PoEntry("a {x}", "甲 {x}"), catalogs.PoEntry("file", plural="files", plural_strs=["文件"]),
               catalogs.PoEntry("untranslated")]
    mo = tmp_path / "t.mo"
    mo.write_bytes(catalogs.compile_mo(catalogs.HEADER, entries))
    with mo.open("rb") as fh:
        t = gettext.GNUTranslations(fh)
    assert t.gettext("a {x}") == "甲 {x}" and t.ngettext("file", "files", 5) == "文件"
    assert t.gettext("untranslated") == "untranslated"


def test_negotiate_honours_q_values() -> None:
    n = i18n.negotiate
    assert n("zh-CN") == n("zh") == n("zh-TW") == n("ZH-hans") == "zh_CN"
    assert n("en-US,en;q=0.9,zh;q=0.8") == "en"
    assert n("zh;q=0.8, en;q=0.9") == "en" and n("zh;q=0.9, en;q=0.8") == "zh_CN"
    assert n("fr, zh;q=0.1") == "zh_CN"          # what we ship that the client accepts
    assert n("zh;q=0") == "en" and n("zh;q=bogus") == "en" and n(None) == n("") == n("*") == "en"
    assert n("en, zh") == "en"                    # a tie: the earlier range


def test_a_broken_translation_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    class Bad:
        def gettext(self, message: str) -> str:
            return "坏的 {nope}"

    monkeypatch.setattr(i18n, "catalog", lambda lang: Bad())
    assert i18n.render("no such camera: {camera}", {"camera": "c1"}, "zh_CN") == "no such camera: c1"


def test_api_error_keeps_code_status_and_english_str() -> None:
    from vigil_fn.core.errors import Refused
    from vigil_fn.core.http import ApiError

    class Missing(Refused):
        status, code = 404, "not_found"

    err = ApiError.refused(Missing("no such device: {device}", device="cam-1"), extra={"k": 1})
    assert str(err) == "404 not_found: no such device: cam-1" and err.message == "no such device: cam-1"
    zh, en = err.to_response("zh_CN"), err.to_response()
    assert zh["statusCode"] == en["statusCode"] == 404
    assert json.loads(zh["body"]) == {"error": {"code": "not_found", "message": "没有这台设备：cam-1", "k": 1}}
    assert json.loads(en["body"]) == {"error": {"code": "not_found", "message": "no such device: cam-1", "k": 1}}


def test_raw_events_are_read_for_the_language_without_trusting_them() -> None:
    """An event that fails to parse is answered in its Accept-Language when it can be read, in English
    when not; a hostile one (deep nesting, huge) never turns the refusal into a crash."""
    from vigil_fn.core.http import Router, request_language

    assert request_language('{"headers": {"ACCEPT-LANGUAGE": "zh-CN"}}') == "zh_CN"
    assert request_language(b"[" * 100_000) == "en" and request_language("{" * 5000) == "en"
    assert request_language(b" " * (2 << 20)) == "en"
    body = json.loads(Router().dispatch('{"headers": {"Accept-Language": "zh"}, "rawPath": 5}')["body"])
    assert body == {"error": {"code": "bad_request", "message": "rawPath 必须是字符串"}}
    deep = Router().dispatch(b'{"headers": {"Accept-Language": "zh"}, "x": ' + b"[" * 5000)
    assert deep["statusCode"] == 400 and json.loads(deep["body"])["error"]["code"] == "bad_request"


def test_alert_rule_field_errors_are_templates_in_both_languages(monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule's field error keeps its English words (tests, logs, the page matches on them) and renders in
    Chinese for a zh_CN reader: in the api's answer and at the terminal (vigil_ops.i18n.describe)."""
    from vigil_fn.alerts.rules import RuleError, check_channel, check_rule
    from vigil_fn.core.http import ApiError
    from vigil_ops.i18n import describe

    with pytest.raises(RuleError) as info:
        check_rule({"id": "offline-lobby", "kind": "camera_offline", "channels": ["ops"], "minutes": 0})
    assert info.value.message.startswith("minutes: must be a whole number from 1 to 1440 (minutes without a clip")
    zh = info.value.text.render(i18n.CHINESE)
    # "field: " stays ASCII in Chinese too: the page finds the field it names (web/src/alerts/fieldErrors.ts)
    assert zh.startswith("minutes：必须是 1 到 1440 之间的整数（摄像头多少分钟没有片段即视为离线"), zh
    answer = json.loads(ApiError.of(info.value, 400, info.value.code).to_response(i18n.CHINESE)["body"])
    assert answer["error"] == {"code": "invalid_rule", "message": zh}
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert describe(info.value) == zh
    with pytest.raises(RuleError) as channel:
        check_channel({"id": "ops", "kind": "webhook", "config": {"url": "https://example.com/h", "colour": 1}})
    assert channel.value.message.startswith("config.colour: is not a setting of a webhook channel (settings: ")
    assert channel.value.text.render(i18n.CHINESE).startswith("config.colour：不是 webhook 渠道的设置项（设置项有：")
