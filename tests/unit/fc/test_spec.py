"""s.yaml rendering and validation: expressions, defaults, missing variables, schema paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from localcloud.fc import spec

pytestmark = pytest.mark.unit
REPO = Path(__file__).resolve().parents[3]


def _doc(props: dict[str, Any], variables: dict[str, Any] | None = None) -> dict[str, Any]:
    base = {
        "region": "cn-hangzhou",
        "functionName": "f",
        "runtime": "python3.10",
        "code": "./code",
        "handler": "app.handler",
    }
    base.update(props)
    return {
        "edition": "3.0.0",
        "name": "t",
        "vars": variables or {},
        "resources": {"fn": {"component": "fc3", "props": base}},
    }


def test_render_vars_env_default_and_config() -> None:
    doc = _doc(
        {
            "role": "acs:ram::${config('AccountID')}:role/r",
            "environmentVariables": {
                "A": "${vars.a}",
                "B": "${env('B_VAR')}",
                "C": "${env('NOPE', 'dflt')}",
                "D": 'x-${vars.a}-${env("B_VAR")}',
            },
        },
        {"a": "${env('A_VAR', 'va')}"},
    )
    out = spec.render(doc, {"B_VAR": "vb"}, {"AccountID": "42"})
    props = out["resources"]["fn"]["props"]
    assert props["role"] == "acs:ram::42:role/r"
    assert props["environmentVariables"] == {"A": "va", "B": "vb", "C": "dflt", "D": "x-va-vb"}
    assert out["vars"] == {"a": "va"}


def test_lone_expression_keeps_type() -> None:
    out = spec.render(_doc({"timeout": "${vars.t}"}, {"t": 7}), {}, {})
    assert out["resources"]["fn"]["props"]["timeout"] == 7


def test_missing_env_names_variable_and_field() -> None:
    with pytest.raises(spec.SpecError) as info:
        spec.render(_doc({"environmentVariables": {"K": "${env('MISSING_ONE')}"}}), {}, {})
    assert "MISSING_ONE" in str(info.value)
    assert "resources.fn.props.environmentVariables.K" in str(info.value)


@pytest.mark.parametrize(
    "expr, needle",
    [("${vars.nope}", "vars.nope"), ("${config('Other')}", "Other"), ("${foo()}", "unsupported")],
)
def test_unknown_expressions(expr: str, needle: str) -> None:
    with pytest.raises(spec.SpecError, match=needle):
        spec.render(_doc({"description": expr}), {}, {})


def test_schema_error_names_trigger_field_path() -> None:
    doc = _doc(
        {
            "triggers": [
                {
                    "triggerName": "h",
                    "triggerType": "http",
                    "triggerConfig": {"authType": "anonymous", "methods": ["GET", "FETCH"]},
                }
            ]
        }
    )
    with pytest.raises(spec.SpecError) as info:
        spec.validate(doc)
    assert str(info.value).startswith("resources.fn.props.triggers[0].triggerConfig.methods[1]: 'FETCH'")


@pytest.mark.parametrize(
    "props, path",
    [
        ({"timeout": "ten"}, "resources.fn.props.timeout: 'ten' is not of type 'integer'"),
        ({"memorySize": 100}, "resources.fn.props.memorySize:"),
        (
            {
                "triggers": [
                    {
                        "triggerName": "o",
                        "triggerType": "oss",
                        "triggerConfig": {
                            "events": ["oss:ObjectCreated:PutObject"],
                            "filter": {"key": {"prefix": "a"}},
                        },
                    }
                ]
            },
            "resources.fn.props.triggers[0].triggerConfig.filter.key: 'suffix' is a required property",
        ),
        (
            {"asyncInvokeConfig": {"maxAsyncRetryAttempts": 9}},
            "resources.fn.props.asyncInvokeConfig.maxAsyncRetryAttempts:",
        ),
    ],
)
def test_schema_errors(props: dict[str, Any], path: str) -> None:
    with pytest.raises(spec.SpecError) as info:
        spec.validate(_doc(props))
    assert str(info.value).startswith(path)


def test_missing_required_prop() -> None:
    doc = _doc({})
    del doc["resources"]["fn"]["props"]["runtime"]
    with pytest.raises(spec.SpecError, match=r"resources\.fn\.props: 'runtime' is a required property"):
        spec.validate(doc)


def test_edition_and_component_checked() -> None:
    doc = _doc({})
    doc["edition"] = "1.0.0"
    with pytest.raises(spec.SpecError, match="edition"):
        spec.validate(doc)
    doc = _doc({})
    doc["resources"]["fn"]["component"] = "fc"
    with pytest.raises(spec.SpecError, match="fc3"):
        spec.validate(doc)


def test_project_s_yaml_loads(tmp_path: Path) -> None:
    loaded = spec.load(REPO / "s.yaml", {"VIGIL_MASTER_KEY": "k", "VIGIL_BUCKET": "b", "VIGIL_SESSION_KEY": "s",
                                           "VIGIL_EVIDENCE_KEY": "e", "VIGIL_EVIDENCE_PUBLIC_KEY": "p"},
                       {"AccountID": "77"})
    token = loaded.function("vigil-token")
    indexer = loaded.function("vigil-indexer")
    assert token is not None and indexer is not None
    assert token.code_dir == REPO / "functions"
    assert token.role == "acs:ram::77:role/vigil-token-fn"
    # every method reaches the function, which answers refusals in its own shape (issue #13, hole 5)
    assert token.http_triggers[0].methods == ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD")
    assert token.env["VIGIL_MASTER_KEY"] == "k"
    assert [(t.name, t.prefix, t.suffix, t.bucket) for t in indexer.oss_triggers] == [
        ("clips-ts", "videos/", ".ts", "b"),
        ("clips-mp4", "videos/", ".mp4", "b"),
    ]
    assert indexer.max_async_retries == 3
    api = loaded.function("vigil-api")  # the viewer API (issue 9)
    assert api is not None and api.role == "acs:ram::77:role/vigil-api-fn" and api.env["VIGIL_SESSION_KEY"] == "s"
    with pytest.raises(spec.SpecError, match="VIGIL_MASTER_KEY"):
        spec.load(REPO / "s.yaml", {}, {"AccountID": "77"})


def test_load_refuses_unreadable_yaml(tmp_path: Path) -> None:
    bad = tmp_path / "s.yaml"
    bad.write_text("edition: [unclosed")
    with pytest.raises(spec.SpecError, match="cannot read"):
        spec.load(bad, {}, {})
    bad.write_text(yaml.safe_dump(_doc({"timeout": 0})))
    with pytest.raises(spec.SpecError, match="timeout"):
        spec.load(bad, {}, {})
