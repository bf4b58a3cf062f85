"""The deployment as the real Serverless Devs CLI sees it: `s preview` of s.yaml, the fc3 schema, parity with
localcloud's renderer, and the code package `s deploy` would ship (pre-deploy actions run into a temp folder)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from localcloud.fc import spec as lc_spec
from vigil_ops import deploy_check as dc

pytestmark = pytest.mark.integration

FUNCTION_FIELDS = ("name", "handler", "runtime", "memory_mb", "timeout_s", "env", "http_triggers", "oss_triggers",
                   "role", "max_async_retries", "on_failure", "instance_concurrency", "initializer", "region",
                   "code_dir", "layers")


def test_preview_renders_every_resource_with_the_environment(preview: dict, env: dict[str, str]) -> None:
    resources = preview["resources"]
    assert {"token", "indexer"} <= set(resources)
    for res in resources.values():
        props = res["props"]
        assert props["region"] == env["VIGIL_REGION"]  # the representative env flowed, not s.yaml's defaults
        assert props["role"].startswith(f"acs:ram::{dc.PLACEHOLDER_ACCOUNT_ID}:role/")
        assert "${" not in json.dumps(props), "an expression was left unrendered"


def test_every_resource_props_validates_against_the_fc3_schema(preview: dict) -> None:
    assert dc.schema_errors(preview) == []
    if dc.SHARED_SCHEMA.exists():  # the copy localcloud validates with is the published one
        assert dc.SHARED_SCHEMA.read_bytes() == dc.VENDORED_SCHEMA.read_bytes()


def test_environment_fits_fcs_4kb_limit_and_the_check_sees_an_overflow(preview: dict) -> None:
    assert dc.limit_errors(preview) == []
    big = json.loads(json.dumps(preview))
    big["resources"]["token"]["props"]["environmentVariables"]["VIGIL_PADDING"] = "x" * 4096
    assert [e for e in dc.limit_errors(big) if e.startswith("resources.token.props.environmentVariables:")]


def test_schema_check_reports_a_bad_prop(tmp_path: Path, env: dict[str, str]) -> None:
    bad = dc.SPEC_PATH.read_text().replace("memorySize: 256", "memorySize: lots", 1)
    assert bad != dc.SPEC_PATH.read_text()
    spec_path = tmp_path / "s.yaml"
    spec_path.write_text(bad)
    errors = dc.schema_errors(dc.s_preview(spec_path, env))
    assert any(".memorySize:" in e for e in errors), errors


def test_localcloud_derives_exactly_what_s_preview_renders(preview: dict, env: dict[str, str]) -> None:
    assert dc.parity_differences(preview, dc.SPEC_PATH, env, dc.PLACEHOLDER_ACCOUNT_ID) == []
    # ... and the runtime's own model of each function, built from either rendering, is the same.
    base = dc.SPEC_PATH.parent
    local = lc_spec.load(dc.SPEC_PATH, env, {"AccountID": dc.PLACEHOLDER_ACCOUNT_ID})
    for fn in local.functions:
        from_s = lc_spec._function(fn.resource, preview["resources"][fn.resource]["props"], base)
        for name in FUNCTION_FIELDS:
            assert getattr(fn, name) == getattr(from_s, name), (fn.resource, name)
    # the layer ARN is rendered from the same vars (region, account, VIGIL_AV_LAYER_VERSION) by both
    export = local.function("vigil-export")
    assert export is not None and export.layers == (
        f"acs:fc:{env['VIGIL_REGION']}:{dc.PLACEHOLDER_ACCOUNT_ID}:layers/vigil-av/versions/1",)
    api = next((fn for fn in local.functions if fn.name == "vigil-api"), None)
    assert api is not None and api.layers == export.layers          # issue 24: stills decode in the api
    assert all(not fn.layers for fn in local.functions if fn.name not in ("vigil-export", "vigil-api"))


def test_differences_names_value_and_type_mismatches() -> None:
    a = {"props": {"memorySize": 256, "env": {"A": "1"}, "triggers": [{"m": ["GET"]}]}}
    b = {"props": {"memorySize": "256", "env": {"B": "1"}, "triggers": [{"m": ["POST"]}]}}
    found = list(dc.differences(a, b))
    assert any(d.startswith("props.memorySize:") for d in found)
    assert any(d.startswith("props.env.A: only in localcloud") for d in found)
    assert any(d.startswith("props.env.B: only in s preview") for d in found)
    assert any(d.startswith("props.triggers[0].m[0]:") for d in found)


def test_s_uses_a_throwaway_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    dc.s_preview(dc.SPEC_PATH, env)
    assert not (tmp_path / ".s").exists()


def test_fcignore_leaves_tests_and_caches_out(tmp_path: Path) -> None:
    code = tmp_path / "code"
    for rel in ("app.py", "tests/test_app.py", "pkg/__pycache__/m.cpython-310.pyc", "pkg/m.py", ".git/HEAD",
                "node_modules/x/index.js"):
        (code / rel).parent.mkdir(parents=True, exist_ok=True)
        (code / rel).write_text("x")
    shutil.copy(dc.REPO / "functions" / ".fcignore", code / ".fcignore")
    assert dc.package_files(code) == [".fcignore", "app.py", "pkg/m.py"]


def test_code_packages_hold_what_each_function_needs_and_nothing_else(built: Any) -> None:
    assert any("(in ./functions)" in r for r in built.ran), "s.yaml's pre-deploy action did not run"
    assert any("layer vigil-av" in r for r in built.ran), "the export function's layer was not built"
    assert {r.resource for r in built.reports} == set(built.preview["resources"])
    for report in built.reports:
        assert report.problems == [], (report.function, report.problems)
        assert report.files > 100 and report.zip_bytes > 0
    files = dc.package_files(built.work / "functions")
    assert "python/oss2/__init__.py" in files  # the runtime dependencies were installed into the package
    assert not any(f.startswith("tests/") or "/__pycache__/" in f for f in files)
    assert not any(f.startswith(("python/av/", "python/numpy/")) for f in files)  # PyAV is the layer's


def test_only_export_and_api_ship_the_pyav_layer_and_every_package_fits_fcs_limit(built: Any) -> None:
    export = built.report("export")
    assert [a.name for a in export.layers] == ["layer vigil-av"]
    assert [a.name for a in built.report("api").layers] == ["layer vigil-av"]   # issue 24: stills
    layer_files = dc.package_files(built.work / "layers" / "vigil-av")
    assert "python/av/__init__.py" in layer_files
    for name in ("token", "indexer"):
        light = built.report(name)
        assert light.layers == [] and light.total_zip_bytes == light.zip_bytes
        # the shared package is the export function's minus PyAV: several times smaller
        assert light.total_zip_bytes * 2 < export.total_zip_bytes
    for report in built.reports:
        for archive in [report, *report.layers]:
            assert 0 < archive.zip_bytes <= dc.FC_ZIP_LIMIT_BYTES


def test_package_report_names_what_is_missing_and_what_must_not_ship(tmp_path: Path) -> None:
    code = tmp_path / "functions"
    for rel in ("vigil_fn/__init__.py", "token_handler.py", "python/vigil_camera/__init__.py",
                "python/pytest/__init__.py", "python/_x.cpython-311-x86_64-linux-gnu.so", "python/av/__init__.py"):
        (code / rel).parent.mkdir(parents=True, exist_ok=True)
        (code / rel).write_text("x")
    props = {"code": "./functions", "functionName": "vigil-token", "handler": "token_handler.handler"}
    (tmp_path / "zips").mkdir()
    report = dc.package_report("token", props, tmp_path, tmp_path / "zips")
    assert "missing webroot/index.html" in report.problems
    assert any("must not ship" in p and "python/pytest/__init__.py" in p for p in report.problems)
    assert any("not built for FC's cpython-310" in p for p in report.problems)
    assert any("PyAV/numpy in the shared code package" in p for p in report.problems)
    # the export function needs PyAV from its layer: a layer that was not built is named
    export = {"code": "./functions", "functionName": "vigil-export", "handler": "export_handler.handler",
              "layers": ["acs:fc:cn-x:1:layers/vigil-av/versions/1"]}
    (code / "export_handler.py").write_text("x")
    (code / "python" / "av" / "__init__.py").unlink()
    report = dc.package_report("export", export, tmp_path, tmp_path / "zips")
    assert "layer acs:fc:cn-x:1:layers/vigil-av/versions/1 was not built" in report.problems
    assert "missing python/av/__init__.py" in report.problems


def test_the_zip_limit_is_checked() -> None:
    big = dc.Archive("layer x", "/x", 1, 10, dc.FC_ZIP_LIMIT_BYTES + 1)
    assert dc._limit_problems(big) and not dc._limit_problems(dc.Archive("c", "/c", 1, 10, 1000))


def test_viewer_domain_routes_to_a_function_s_yaml_deploys(preview: dict) -> None:
    domain_spec = dc.S_PACKAGE_DIR / "s.domain.yaml"
    rendered = dc.s_preview(domain_spec, dc.representative_env(domain_spec))
    routes = rendered["resources"]["viewer-domain"]["props"]["routeConfig"]["routes"]
    deployed = {res["props"]["functionName"] for res in preview["resources"].values()}
    assert routes and {r["functionName"] for r in routes} <= deployed
    assert any(r["path"] == "/*" for r in routes)
