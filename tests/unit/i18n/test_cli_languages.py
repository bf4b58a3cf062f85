"""`vigil` and `vigil-camera` speak the locale's language (issue 31): --help, argparse's own words and its
error lines in Chinese under a zh_CN locale, English under C; JSON output is byte-identical in both."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
CJK = re.compile(r"[\u4e00-\u9fff]")


def run(cmd: list[str], lang: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
    clean.update(LANG=lang, PYTHONIOENCODING="utf-8", **env)
    return subprocess.run([str(BIN / cmd[0]), *cmd[1:]], env=clean, capture_output=True, text=True, timeout=120,
                          check=False)


@pytest.mark.parametrize("command", [["vigil", "--help"], ["vigil-camera", "--help"],
                                     ["vigil", "devices", "add", "--help"], ["vigil-camera", "record", "--help"]])
def test_help_follows_the_locale(command: list[str]) -> None:
    zh, en = run(command, "zh_CN.UTF-8"), run(command, "C")
    assert zh.returncode == en.returncode == 0
    assert zh.stdout.startswith("用法：") and "显示此帮助信息并退出" in zh.stdout and "选项" in zh.stdout
    assert en.stdout.startswith("usage:") and "show this help message and exit" in en.stdout
    assert not CJK.search(en.stdout)
    # every line of the command's own help that has words is Chinese (nothing English left over)
    prose = [line for line in zh.stdout.splitlines() if re.search(r"[a-z]{4,} [a-z]{3,} [a-z]{3,}", line)]
    assert all(CJK.search(line) for line in prose), prose


def test_help_chinese_text_per_command() -> None:
    zh = run(["vigil", "--help"], "zh_CN.UTF-8").stdout
    assert "Vigil 运维命令行" in zh and "注册、列出、停用、轮换密钥和移除摄像头" in zh
    cam = run(["vigil-camera", "--help"], "zh_CN.UTF-8").stdout
    assert "Vigil 摄像头客户端" in cam and "写入配置文件（权限 0600）" in cam


@pytest.mark.parametrize("env", [{"LANG": "C", "LC_ALL": "zh_CN.UTF-8"}, {"LANG": "C", "LANGUAGE": "zh_TW:en"},
                                 {"LANG": "zh_CN.UTF-8", "LC_MESSAGES": "C"}])
def test_gettext_order_of_the_variables(env: dict[str, str]) -> None:
    """LANGUAGE, then LC_ALL, LC_MESSAGES, LANG: the first one set decides, as gettext reads them."""
    lang = env.pop("LANG")
    out = run(["vigil-camera", "--help"], lang, **env).stdout
    wants_chinese = "zh" in (env.get("LANGUAGE") or env.get("LC_ALL") or env.get("LC_MESSAGES") or lang)
    assert out.startswith("用法：") is wants_chinese


def test_argparse_errors_follow_the_locale() -> None:
    zh, en = run(["vigil-camera", "upload"], "zh_CN.UTF-8"), run(["vigil-camera", "upload"], "C")
    assert zh.returncode == en.returncode == 2
    assert "vigil-camera upload：错误：缺少以下必需参数：FILE" in zh.stderr
    assert "vigil-camera upload: error: the following arguments are required: FILE" in en.stderr
    zh = run(["vigil", "users", "add", "bob", "--role", "king"], "zh_CN.UTF-8")
    assert zh.returncode == 2 and "错误：参数 --role：无效的选择：'king'" in zh.stderr, zh.stderr
    # argparse 3.10 writes "argument NAME:" without _(): ours translates it (and leaves C alone)
    zh, en = run(["vigil-camera", "bogus"], "zh_CN.UTF-8"), run(["vigil-camera", "bogus"], "C")
    assert "vigil-camera：错误：参数 COMMAND：无效的选择：'bogus'" in zh.stderr and "argument" not in zh.stderr
    assert "vigil-camera: error: argument COMMAND: invalid choice: 'bogus'" in en.stderr


@pytest.mark.parametrize("command", [["vigil", "cost", "--help"], ["vigil", "sim", "fleet", "--help"]])
def test_appended_defaults_follow_the_locale(command: list[str]) -> None:
    """argparse 3.10's ArgumentDefaultsHelpFormatter appends " (default: ...)" without _(): ours translates it."""
    zh, en = run(command, "zh_CN.UTF-8"), run(command, "C")
    assert zh.returncode == en.returncode == 0
    assert "(default:" not in zh.stdout and zh.stdout.count("（默认：") >= 3, zh.stdout
    assert "(default:" in en.stdout and not CJK.search(en.stdout)


def test_json_output_is_byte_identical_across_locales(tmp_path: Path) -> None:
    cost = [run(["vigil", "cost", "--json"], lang) for lang in ("C", "zh_CN.UTF-8")]
    assert cost[0].returncode == 0 and cost[0].stdout == cost[1].stdout and json.loads(cost[0].stdout)
    missing = str(tmp_path / "none.json")
    token = [run(["vigil-camera", "--config", missing, "token"], lang) for lang in ("C", "zh_CN.UTF-8")]
    assert token[0].returncode == token[1].returncode != 0
    assert token[0].stderr == token[1].stderr and json.loads(token[0].stderr.splitlines()[-1])["error"]


def test_verify_verdict_follows_the_locale_and_its_json_does_not(tmp_path: Path) -> None:
    """`vigil verify`: the verdict lines a person reads are Chinese under zh_CN; `--json` is the same bytes."""
    import hashlib

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from vigil_fn.core.evidence import public_pem, sign

    clip = tmp_path / "cam-door.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" * 100)
    key = Ed25519PrivateKey.generate()
    doc = sign({"files": [{"name": clip.name, "sha256": hashlib.sha256(clip.read_bytes()).hexdigest(),
                           "size": clip.stat().st_size}], "exported_by": "alice",
                "exported_at": "2026-12-07T08:00:00Z"}, key)
    (tmp_path / "m.json").write_text(json.dumps(doc))
    (tmp_path / "k.pem").write_text(public_pem(key))
    cmd = ["vigil", "verify", str(clip), "--manifest", str(tmp_path / "m.json"),
           "--public-key", str(tmp_path / "k.pem")]
    en, zh = run(cmd, "C"), run(cmd, "zh_CN.UTF-8")
    assert en.returncode == zh.returncode == 0, (en.stderr, zh.stderr)
    assert en.stdout.startswith("OK: signed by key") and "1200 bytes" in en.stdout and not CJK.search(en.stdout)
    assert zh.stdout.startswith("通过：由密钥") and "1200 字节" in zh.stdout and "与清单一致" in zh.stdout
    js = [run([*cmd, "--json"], lang) for lang in ("C", "zh_CN.UTF-8")]
    assert js[0].stdout == js[1].stdout and json.loads(js[0].stdout)["ok"] is True
    clip.write_bytes(b"changed")
    bad, bad_en = run(cmd, "zh_CN.UTF-8"), run(cmd, "C")
    assert bad.returncode == bad_en.returncode == 1
    assert bad.stderr.startswith(f"失败：{clip}：其 SHA-256 与清单中的不同（7 字节，而清单记录为 1200）"), bad.stderr
    assert bad_en.stderr.startswith(f"FAILED: {clip}: its SHA-256 differs from the manifest's (7 bytes where the "
                                    "manifest says 1200)"), bad_en.stderr
    bad_json = [run([*cmd, "--json"], lang) for lang in ("C", "zh_CN.UTF-8")]   # problems stay English in JSON
    assert bad_json[0].stdout == bad_json[1].stdout and "its SHA-256 differs" in bad_json[0].stdout


def test_local_banner_and_demo_status_follow_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """The first lines a new user reads (`vigil demo` / `vigil local up`) in the locale's language."""
    from types import SimpleNamespace

    from vigil_ops.demo_status import status_lines
    from vigil_ops.local_cmd import stack_lines

    info = SimpleNamespace(oss_endpoint="http://127.0.0.1:9000", bucket="vigil-local", region="cn-hangzhou",
                           sts_endpoint="http://127.0.0.1:9001", fc_endpoint="http://127.0.0.1:9002",
                           functions={"vigil-api": "http://127.0.0.1:9003"}, access_key_id="LTAIlocal",
                           data_dir="/tmp/d")
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C")
    en = stack_lines(info)
    assert en[0] == "Vigil localcloud is up." and status_lines([]) == ["Cameras:"]
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    zh = stack_lines(info)
    assert zh[0] == "Vigil localcloud 已启动。" and status_lines([]) == ["摄像头："]
    assert len(zh) == len(en) and all(CJK.search(line) for line in zh)
    assert "http://127.0.0.1:9000" in zh[1] and "vigil-local" in zh[1] and "/tmp/d/stack.json" in zh[-2]


def test_cost_table_headings_follow_the_locale_numbers_do_not() -> None:
    en, zh = run(["vigil", "cost"], "C"), run(["vigil", "cost"], "zh_CN.UTF-8")
    assert en.returncode == zh.returncode == 0
    assert "  item " in en.stdout and "  total " in en.stdout and not CJK.search(en.stdout)
    assert "项目" in zh.stdout and "合计" in zh.stdout and "存储：视频" in zh.stdout
    numbers = [re.findall(r"\d[\d,]*\.\d+", out.stdout) for out in (en, zh)]
    assert numbers[0] and numbers[0] == numbers[1]


def _locale(monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    for name in ("LANGUAGE", "LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", lang)


def test_cost_write_doc_line_follows_the_locale(tmp_path: Path) -> None:
    from vigil_ops.cost_cmd import DOC_BEGIN, DOC_END

    doc = tmp_path / "cost.md"
    doc.write_text(f"# cost\n{DOC_BEGIN}\nold\n{DOC_END}\n")
    first, again = run(["vigil", "cost", "--write-doc", str(doc)], "zh_CN.UTF-8"), run(
        ["vigil", "cost", "--write-doc", str(doc)], "zh_CN.UTF-8")
    assert first.returncode == again.returncode == 0, first.stderr
    assert first.stdout.strip() == f"{doc}：已更新" and again.stdout.strip() == f"{doc}：已是最新"
    assert run(["vigil", "cost", "--write-doc", str(doc)], "C").stdout.strip() == f"{doc}: already current"


def test_deploy_check_problems_read_in_the_locale_and_stay_english_in_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """A problem is a `Said`: its str (what `--json` writes) is English in every locale; the table renders it."""
    from vigil_ops import deploy_check as dc
    from vigil_ops.i18n import say

    found = list(dc.differences({"a": 1, "b": [1, 2]}, {"b": [1, 3], "c": "x"}))
    err = dc.DeployCheckError(dc.Said("missing %(file)s", file="index_handler.py"))
    _locale(monkeypatch, "zh_CN.UTF-8")
    assert [say(d) for d in found] == ["a：仅 localcloud 中有（1）", "b[1]：localcloud 为 2，s preview 为 3",
                                       "c：仅 s preview 中有（'x'）"]
    assert json.loads(json.dumps(found)) == ["a: only in localcloud (1)", "b[1]: localcloud 2 != s preview 3",
                                             "c: only in s preview ('x')"]
    assert say(err.args[0]) == "缺少 index_handler.py" and str(err) == "missing index_handler.py"
    _locale(monkeypatch, "C")
    assert say(found[0]) == "a: only in localcloud (1)"


def test_sim_summary_and_report_table_follow_the_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    run_args = ["vigil", "sim", "fleet", "--cameras", "200", "--hours", "0.5", "--ttl", "900"]
    en, zh = run(run_args, "C"), run(run_args, "zh_CN.UTF-8")
    assert en.returncode == zh.returncode == 0, zh.stderr
    assert en.stdout.splitlines()[0].split() == ["cameras", "200"] and not CJK.search(en.stdout)
    assert zh.stdout.splitlines()[0].split() == ["摄像头数", "200"] and "✔ STS 从未超出配额" in zh.stdout
    assert [line.split()[-1] for line in en.stdout.splitlines()[:-1]] == \
        [line.split()[-1] for line in zh.stdout.splitlines()[:-1]]            # the same figures
    from vigil_ops.i18n import tr
    from vigil_ops.sim.scenarios import table

    row = {"scenario": "steady-1h", "cameras": 10, "targets": "✔ sts_never_above_quota, ✘ steady_under_20pct"}
    _locale(monkeypatch, "zh_CN.UTF-8")
    lines = table([row], label=tr).splitlines()
    assert lines[0].startswith("| 场景 | 摄像头数 |") and lines[2].endswith("| ✔ STS 从未超出配额, ✘ 稳态低于 20% |")
    assert table([row]).splitlines()[0].startswith("| scenario | cameras |")      # docs/scale/table.md: English
