"""The checkout as `make demo` and the tests run it (nothing built): each function still imports only what its
package declares — functions/requirements.txt, plus layers/<name>/requirements.txt for a function with layers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import fc2
import pytest
from localcloud.fc import packaging
from localcloud.fc.instances import worker_env
from localcloud.fc.spec import FunctionSpec
from vigil_ops import deploy_check as dc

from tests.conftest import start_cloud

pytestmark = pytest.mark.integration

REPO = dc.REPO
AV_LAYER = "acs:fc:cn-hangzhou:1:layers/vigil-av/versions/3"
PROBE = '''
import importlib, json

def handler(event, context):
    out = {}
    for name in json.loads(event):
        try:
            importlib.import_module(name)
            out[name] = True
        except ImportError as exc:
            out[name] = str(exc)
    return out
'''


def test_the_shared_package_declares_no_pyav_and_the_layer_does() -> None:
    light = packaging.plan(REPO / "functions", [], [REPO / "layers"])
    assert light.mode == "source"
    assert {"av", "numpy", "localcloud", "vigil_ops", "yaml", "pytest"} <= set(light.blocked)
    assert not {"oss2", "aliyunsdkcore", "aliyunsdksts", "pydantic", "argon2", "fc2", "requests"} & set(light.blocked)
    export = packaging.plan(REPO / "functions", [AV_LAYER], [REPO / "layers"])
    assert export.layer_dirs == ((REPO / "layers" / "vigil-av").resolve(),)
    assert "av" not in export.blocked and "numpy" in export.blocked


def test_an_unknown_layer_or_a_bad_arn_is_named(tmp_path: Path) -> None:
    with pytest.raises(packaging.PackagingError, match="vigil-nope"):
        packaging.plan(REPO / "functions", ["acs:fc:cn-x:1:layers/vigil-nope/versions/1"], [tmp_path])
    with pytest.raises(packaging.PackagingError, match="not a layer version ARN"):
        packaging.layer_name("vigil-av")


def test_a_built_code_root_runs_isolated_and_an_undeclared_one_is_open(tmp_path: Path) -> None:
    (tmp_path / "python").mkdir()
    assert packaging.plan(tmp_path, [], []).isolated
    assert packaging.plan(tmp_path / "python", [], []).mode == "open"


def _fn(env: dict[str, str], layers: tuple[str, ...] = ()) -> FunctionSpec:
    return FunctionSpec(resource="r", name="f", handler="h.h", code_dir=Path("/srv/code"), runtime="python3.10",
                        memory_mb=128, timeout_s=3, role=None, env=env, instance_concurrency=1, initializer=None,
                        initializer_timeout_s=3, max_async_retries=3, on_failure=None, layers=layers)


def test_the_import_path_maps_code_and_opt_to_the_package_and_its_layers() -> None:
    fn = _fn({"PYTHONPATH": "/code/python:/opt/python"}, (AV_LAYER,))
    layer = Path("/srv/layers/vigil-av")
    source = packaging.Plan("source", (layer,))
    env = worker_env({"PYTHONPATH": "/venv/extra"}, fn, source)
    assert env["PYTHONPATH"].split(":") == ["/srv/code/python", "/srv/layers/vigil-av/python", "/venv/extra"]
    # a built package does not inherit the venv's PYTHONPATH: only its own folders and the worker's module
    built = worker_env({"PYTHONPATH": "/venv/extra"}, fn, packaging.Plan("built", (layer,)))
    parts = built["PYTHONPATH"].split(":")
    assert parts[:3] == ["/srv/code", "/srv/code/python", "/srv/layers/vigil-av/python"]
    assert "/venv/extra" not in parts and (Path(parts[3]) / "localcloud" / "fc" / "worker.py").exists()
    # FC puts a layer's python/ on the path even when PYTHONPATH does not name /opt/python
    plain = worker_env({}, _fn({"PYTHONPATH": "/code/python"}, (AV_LAYER,)), source)
    assert plain["PYTHONPATH"].split(":") == ["/srv/code/python", "/srv/layers/vigil-av/python"]


def _spec(root: Path) -> Path:
    code = root / "code"
    code.mkdir()
    (code / "probe_handler.py").write_text(PROBE)
    (code / "requirements.txt").write_text(f"-r {REPO / 'functions' / 'requirements.txt'}\n")
    layer = root / "layers" / "vigil-av"
    layer.mkdir(parents=True)
    (layer / "requirements.txt").write_text(f"-r {REPO / 'layers' / 'vigil-av' / 'requirements.txt'}\n")
    resources = {}
    for name, layers in (("probe", ""), ("probe-av", f"\n      layers: ['{AV_LAYER}']")):
        resources[name] = f"""
  {name}:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: vigil-{name}
      runtime: python3.10
      code: ./code
      handler: probe_handler.handler
      role: acs:ram::${{config('AccountID')}}:role/vigil-export-fn{layers}
      environmentVariables:
        PYTHONPATH: /code/python:/opt/python"""
    path = root / "s.yaml"
    path.write_text("edition: 3.0.0\nname: vigil\naccess: default\nresources:" + "".join(resources.values()) + "\n")
    return path


def test_localcloud_refuses_what_a_source_package_does_not_declare(tmp_path: Path) -> None:
    cloud = start_cloud(tmp_path / "data", spec_path=_spec(tmp_path))
    try:
        client = fc2.Client(endpoint=cloud.fc_endpoint, accessKeyID=cloud.access_key_id,
                            accessKeySecret=cloud.access_key_secret)

        def probe(function: str) -> dict[str, Any]:
            names = ["av", "numpy", "oss2", "pydantic", "vigil_camera", "vigil_ops", "yaml"]
            return dict(json.loads(client.invoke_function("vigil", function, payload=json.dumps(names)).data))

        light, with_layer = probe("vigil-probe"), probe("vigil-probe-av")
    finally:
        cloud.stack.stop()
    assert light["av"] == "No module named 'av'" and light["numpy"] == "No module named 'numpy'"
    assert light["vigil_ops"] == "No module named 'vigil_ops'" and light["yaml"] == "No module named 'yaml'"
    assert light["oss2"] is True and light["pydantic"] is True and light["vigil_camera"] is True
    assert with_layer["av"] is True and with_layer["numpy"] == "No module named 'numpy'"
