"""The pre-deploy check: what the real Serverless Devs CLI makes of `s.yaml`, and what `s deploy` would ship.

`s deploy` needs the network (it downloads the `fc3` component), so it stays the operator's command. What can be
checked here is checked with the real CLI (`@serverless-devs/s`, pinned in `infra/deploy/package.json`):

1. `s preview -o json` renders `s.yaml` (vars, `${env(...)}`, `${config('AccountID')}`) with placeholder credentials
   in a throwaway `s` home, so the user's `~/.s` is never read or written;
2. every `resources.*.props` validates against the published fc3 props schema;
3. localcloud's own renderer (the one the local FC runtime runs) gives exactly the same document — one truth;
4. the pre-deploy actions run into a temporary copy of the code, and the package each function would ship is
   listed with the files `.fcignore` leaves in, checked for what must and must not be in it.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pathspec
from jsonschema import Draft7Validator

from .i18n import Said

REPO = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO / "s.yaml"
S_PACKAGE_DIR = REPO / "infra" / "deploy"
SHARED_SCHEMA = REPO.parent / "shared" / "schemas" / "fc3-props.schema.json"
VENDORED_SCHEMA = REPO / "infra" / "localcloud" / "fc" / "fc3-props.schema.json"

PLACEHOLDER_ACCOUNT_ID = "1234567890123456"
PLACEHOLDER_ACCESS_KEY_ID = "LTAI5tPlaceholderKeyId0"
PLACEHOLDER_ACCESS_KEY_SECRET = "placeholder-secret-not-a-real-key"  # noqa: S105 - a placeholder by design
# A representative cloud environment: not the s.yaml defaults, so the check shows that values flow through.
REPRESENTATIVE_ENV: dict[str, str] = {
    "VIGIL_REGION": "cn-shanghai",
    "VIGIL_BUCKET": "vigil-example-recordings",
    "VIGIL_OSS_ENDPOINT": "https://oss-cn-shanghai-internal.aliyuncs.com",
    "VIGIL_PUBLIC_OSS_ENDPOINT": "https://oss-cn-shanghai.aliyuncs.com",
    "VIGIL_STS_ENDPOINT": "sts-vpc.cn-shanghai.aliyuncs.com",
    "VIGIL_LOG_LEVEL": "INFO",
}
_REQUIRED_ENV = re.compile(r"""\$\{\s*env\(\s*['"]([A-Za-z_][A-Za-z0-9_]*)['"]\s*\)\s*\}""")

# What a function's code package must hold (relative to the code root) and must never hold.
MUST_CONTAIN = ("vigil_fn/__init__.py", "python/vigil_camera/__init__.py", "webroot/index.html",
                # the compiled catalogs: API errors in Chinese (issue 31), vigil_camera from its package data
                "vigil_fn/locale/zh_CN/LC_MESSAGES/vigil_fn.mo",
                "python/vigil_camera/locale/zh_CN/LC_MESSAGES/vigil_camera.mo")
MUST_NOT_MATCH = pathspec.PathSpec.from_lines("gitignore", [
    "tests/", "test/", "conftest.py", "__pycache__/", "*.pyc", ".venv/", "node_modules/", ".git/",
    ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", ".hypothesis/", "*.egg-info/",
    # development-only Python packages that must not reach a function
    "python/pytest/", "python/_pytest/", "python/hypothesis/", "python/mypy/", "python/ruff/", "python/moto/",
])
# FC's python3.10 runtime loads only extension modules built for CPython 3.10 (or the stable ABI).
FC_PYTHON_TAG = "cpython-310"
_EXT_TAG = re.compile(r"\.(cpython-\d+)[^/]*\.so$")
# Always left out by the fc3 component's zip step, whatever .fcignore says.
FC3_ALWAYS_IGNORED = (".git/", ".svn/", ".env", ".DS_Store", "node_modules/", ".s/")


class DeployCheckError(RuntimeError):
    """The check could not run (no `s` CLI, `s preview` failed) or found the deployment wrong."""


# -- the real CLI ------------------------------------------------------------------------------

def s_binary() -> Path:
    path = S_PACKAGE_DIR / "node_modules" / ".bin" / "s"
    if not path.exists():
        raise DeployCheckError(Said("the Serverless Devs CLI is not installed at %(path)s: run `make s-cli`",
                                    path=path))
    return path


def required_env_names(spec_path: Path = SPEC_PATH) -> list[str]:
    """Environment variables `s.yaml` reads without a default: `s preview` fails unless each is set."""
    return sorted(set(_REQUIRED_ENV.findall(spec_path.read_text())))


def representative_env(spec_path: Path = SPEC_PATH) -> dict[str, str]:
    """REPRESENTATIVE_ENV plus a placeholder for every variable s.yaml requires (secrets included)."""
    env = dict(REPRESENTATIVE_ENV)
    for name in required_env_names(spec_path):
        env.setdefault(name, "0" * 64 if name.endswith("_KEY") else f"placeholder-{name.lower()}")
    return env


def _run_s(args: list[str], home: Path, env: Mapping[str, str], cwd: Path) -> str:
    full_env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "CI": "true", "NO_COLOR": "1", **env}
    proc = subprocess.run([str(s_binary()), *args], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=120, check=False)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-12:])
        raise DeployCheckError(Said("`s %(args)s` failed (exit %(code)s):\n%(tail)s", args=shlex.join(args),
                                    code=proc.returncode, tail=tail))
    return proc.stdout


def s_preview(spec_path: Path = SPEC_PATH, env: Mapping[str, str] | None = None,
              account_id: str = PLACEHOLDER_ACCOUNT_ID) -> dict[str, Any]:
    """`s preview -t s.yaml -o json` with placeholder credentials in a throwaway `s` home."""
    env = dict(representative_env(spec_path) if env is None else env)
    # `s` leaves a detached daemon (update notifier, report) writing into its home after it exits:
    # the throwaway home is removed best-effort, or removing it races that daemon
    with tempfile.TemporaryDirectory(prefix="vigil-s-home-", ignore_cleanup_errors=True) as home:
        _run_s(["config", "add", "--AccessKeyID", PLACEHOLDER_ACCESS_KEY_ID,
                "--AccessKeySecret", PLACEHOLDER_ACCESS_KEY_SECRET, "--AccountID", account_id,
                "-a", "default", "-f"], Path(home), env, spec_path.parent)
        out = _run_s(["preview", "-t", spec_path.name, "-o", "json", "--silent"], Path(home), env, spec_path.parent)
    start = out.find("{")
    try:
        doc = json.loads(out[start:]) if start >= 0 else None
    except json.JSONDecodeError as exc:
        raise DeployCheckError(Said("`s preview` printed no JSON document: %(error)s", error=exc)) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("resources"), dict):
        raise DeployCheckError(Said("`s preview` printed no resources"))
    return doc


# -- the checks on the rendered document -------------------------------------------------------

def schema_path() -> Path:
    """The published schema in shared/ when it is beside the checkout, else the copy localcloud vendors."""
    return SHARED_SCHEMA if SHARED_SCHEMA.exists() else VENDORED_SCHEMA


def schema_errors(preview: Mapping[str, Any], schema: Path | None = None) -> list[str]:
    """Every schema violation of every resource's props, as `resources.<r>.props.<path>: message`."""
    validator = Draft7Validator(json.loads((schema or schema_path()).read_text()))
    errors = []
    for rname, res in sorted(preview["resources"].items()):
        for err in sorted(validator.iter_errors(res.get("props") or {}), key=lambda e: list(map(str, e.path))):
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
            errors.append(f"resources.{rname}.props{where}: {err.message}")
    return errors


FC_ENV_LIMIT_BYTES = 4096  # FC: "the total size of all environment variables cannot exceed 4 KB"


def limit_errors(preview: Mapping[str, Any]) -> list[str]:
    """FC limits the schema does not express: the environment variables of a function fit in 4 KB."""
    errors: list[str] = []
    for rname, res in sorted(preview["resources"].items()):
        env = (res.get("props") or {}).get("environmentVariables") or {}
        size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in env.items())
        if size > FC_ENV_LIMIT_BYTES:
            errors.append(Said("resources.%(resource)s.props.environmentVariables: %(size)s bytes, FC allows %(limit)s",
                               resource=rname, size=size, limit=FC_ENV_LIMIT_BYTES))
    return errors


def localcloud_render(spec_path: Path, env: Mapping[str, str], account_id: str) -> dict[str, Any]:
    """The document localcloud's FC runtime derives from s.yaml (rendered and validated by its own code)."""
    from localcloud.fc import spec

    return spec.load(spec_path, env, {"AccountID": account_id}).raw


def differences(a: Any, b: Any, where: str = "") -> Iterator[str]:
    """Paths at which two JSON-like documents differ (value or type), for a readable report."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b), key=str):
            here = f"{where}.{key}" if where else str(key)
            if key not in a:
                yield Said("%(path)s: only in s preview (%(value)r)", path=here, value=b[key])
            elif key not in b:
                yield Said("%(path)s: only in localcloud (%(value)r)", path=here, value=a[key])
            else:
                yield from differences(a[key], b[key], here)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from differences(x, y, f"{where}[{i}]")
    elif a != b or type(a) is not type(b):
        yield Said("%(path)s: localcloud %(ours)r != s preview %(theirs)r", path=where, ours=a, theirs=b)


def parity_differences(preview: Mapping[str, Any], spec_path: Path, env: Mapping[str, str],
                       account_id: str) -> list[str]:
    """Where localcloud's rendering of every resource (props and actions) and the vars differs from `s`'s."""
    local = localcloud_render(spec_path, env, account_id)
    out = list(differences(local.get("vars"), preview.get("vars"), "vars"))
    out += differences(local["resources"], preview["resources"], "resources")
    return out


# -- the code package ---------------------------------------------------------------------------

# FC 3.0 "Limits" (alibabacloud.com/help/en/functioncompute/fc-3-0/product-overview/limits-of-usage): a code
# package uploaded through a developer tool or from OSS is a ZIP of at most 500 MB (100 MB when sent Base64-encoded
# through the SDK/OpenAPI); `s deploy` (fc3) uploads through a temporary OSS bucket. The page states zipped sizes
# only, no unzipped one; a layer's own zip limit is not stated there, so layers are held to the code-package one.
FC_ZIP_LIMIT_BYTES = 500 * 1024 * 1024
FC_API_ZIP_LIMIT_BYTES = 100 * 1024 * 1024
# Heavy media libraries belong to the export function's layer (layers/vigil-av), never to the shared package.
HEAVY_IN_LAYER_ONLY = pathspec.PathSpec.from_lines("gitignore", [
    "python/av/", "python/av.libs/", "python/numpy/", "python/numpy.libs/"])
# What a function needs beyond the shared package, found in its code package or one of its layers.
HANDLER_NEEDS = {"export_handler": ("python/av/__init__.py",)}
# How a layer folder is built (the same command the README's deploy steps run before `s cli fc3 layer publish`).
LAYER_BUILD = "pip install -t ./python -r requirements.txt"


@dataclass
class Archive:
    """One zip FC receives: a function's code package or a layer, measured as the fc3 component builds it."""

    name: str
    path: str
    files: int
    bytes: int
    zip_bytes: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class PackageReport:
    """What one function ships (its code package plus its layers), and what is wrong with it."""

    resource: str
    function: str
    code_dir: str
    files: int
    bytes: int
    zip_bytes: int
    problems: list[str] = field(default_factory=list)
    layers: list[Archive] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return self.bytes + sum(a.bytes for a in self.layers)

    @property
    def total_zip_bytes(self) -> int:
        return self.zip_bytes + sum(a.zip_bytes for a in self.layers)

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "layers"}
        out["layers"] = [a.to_dict() for a in self.layers]
        out["total_bytes"], out["total_zip_bytes"] = self.total_bytes, self.total_zip_bytes
        return out


def fcignore(code_dir: Path) -> pathspec.PathSpec:
    lines = list(FC3_ALWAYS_IGNORED)
    ignore_file = code_dir / ".fcignore"
    if ignore_file.exists():
        lines += ignore_file.read_text().splitlines()
    return pathspec.PathSpec.from_lines("gitignore", lines)


def package_files(code_dir: Path) -> list[str]:
    """Files (relative, posix) that the fc3 component would zip from `code_dir` after `.fcignore`."""
    spec = fcignore(code_dir)
    out = []
    for path in sorted(code_dir.rglob("*")):
        if path.is_file():
            rel = path.relative_to(code_dir).as_posix()
            if not spec.match_file(rel):
                out.append(rel)
    return out


def zip_folder(folder: Path, zip_path: Path, name: str) -> tuple[Archive, list[str]]:
    """Zip what `.fcignore` leaves in `folder` (as the fc3 component does) and measure it."""
    files = package_files(folder)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for rel in files:
            zf.write(folder / rel, rel)
    size = sum((folder / rel).stat().st_size for rel in files)
    return Archive(name, str(folder), len(files), size, zip_path.stat().st_size), files


def _copy_sources(work: Path) -> None:
    """The repo folders the packages are built from, without caches or an earlier build output."""
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", "*.egg-info", "build")
    for name in ("functions", "device_client", "layers"):
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, work / name, ignore=skip, symlinks=False)
    shutil.copy2(SPEC_PATH, work / SPEC_PATH.name)  # so localcloud can run the built packages (tests)
    shutil.rmtree(work / "functions" / "python", ignore_errors=True)
    for layer in (work / "layers").glob("*"):
        shutil.rmtree(layer / "python", ignore_errors=True)


def _pip(command: str, cwd: Path) -> None:
    argv = shlex.split(command)
    if argv and argv[0] == "pip":  # the operator's pip is the venv's here: same package, same wheels
        argv = [sys.executable, "-m", "pip", *argv[1:], "-q", "--disable-pip-version-check"]
    proc = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    if proc.returncode != 0:
        raise DeployCheckError(Said("`%(command)s` in %(cwd)s failed:\n%(stderr)s", command=command, cwd=cwd,
                                    stderr=proc.stderr[-2000:]))


def run_pre_deploy(preview: Mapping[str, Any], work: Path) -> list[str]:
    """Run each distinct `actions.pre-deploy` step of the preview in the copy; returns the commands run."""
    ran: list[str] = []
    seen: set[tuple[str, str]] = set()
    for _rname, res in sorted(preview["resources"].items()):
        for step in (res.get("actions") or {}).get("pre-deploy") or []:
            command, path = str(step.get("run", "")), str(step.get("path", "."))
            if not command or (command, path) in seen:
                continue
            seen.add((command, path))
            _pip(command, work / path)
            ran.append(f"{command}  (in {path})")
    return ran


def layer_arns(preview: Mapping[str, Any]) -> list[str]:
    """Every layer ARN the functions use, in first-use order."""
    out: list[str] = []
    for _rname, res in sorted(preview["resources"].items()):
        for arn in (res.get("props") or {}).get("layers") or []:
            if arn not in out:
                out.append(str(arn))
    return out


def build_layers(preview: Mapping[str, Any], work: Path) -> list[str]:
    """Build each layer's local folder (found as localcloud finds it) in the copy; returns the commands run."""
    from localcloud.fc import packaging

    ran = []
    for arn in layer_arns(preview):
        try:
            folder = packaging.layer_dir(arn, [work / "layers"])
        except packaging.PackagingError as exc:
            raise DeployCheckError(str(exc)) from exc
        _pip(LAYER_BUILD, folder)
        ran.append(f"{LAYER_BUILD}  (in ./layers/{folder.name}, layer {packaging.layer_name(arn)})")
    return ran


def _limit_problems(archive: Archive) -> list[str]:
    if archive.zip_bytes > FC_ZIP_LIMIT_BYTES:
        return [Said("%(name)s: zip of %(mb).1f MB exceeds FC's %(limit)s MB code package limit",
                     name=archive.name, mb=archive.zip_bytes / 2**20, limit=FC_ZIP_LIMIT_BYTES // 2**20)]
    return []


def package_report(rname: str, props: Mapping[str, Any], work: Path, zip_dir: Path,
                   layers: Mapping[str, tuple[Archive, list[str]]] | None = None,
                   code_zips: dict[Path, tuple[Archive, list[str]]] | None = None) -> PackageReport:
    """What one function ships. `code_zips`: code roots already zipped (functions sharing one are zipped once)."""
    code_dir = (work / str(props["code"])).resolve()
    code_zips = {} if code_zips is None else code_zips
    if code_dir not in code_zips:
        code_zips[code_dir] = zip_folder(code_dir, zip_dir / f"code-{code_dir.name}.zip", str(props["code"]))
    archive, files = code_zips[code_dir]
    report = PackageReport(rname, str(props["functionName"]), str(props["code"]), archive.files, archive.bytes,
                           archive.zip_bytes)
    report.problems += _limit_problems(archive)
    present = set(files)
    for arn in props.get("layers") or []:
        if layers is None or arn not in layers:
            report.problems.append(Said("layer %(arn)s was not built", arn=arn))
            continue
        layer, layer_files = layers[arn]
        report.layers.append(layer)
        report.problems += _limit_problems(layer)
        present |= set(layer_files)
    handler_module = str(props["handler"]).rsplit(".", 1)[0]
    for needed in (*MUST_CONTAIN, handler_module.replace(".", "/") + ".py", *HANDLER_NEEDS.get(handler_module, ())):
        if needed not in present:
            report.problems.append(Said("missing %(file)s", file=needed))
    bad = sorted({rel for rel in files if MUST_NOT_MATCH.match_file(rel)})
    if bad:
        report.problems.append(Said("%(n)s files that must not ship, e.g. %(files)s", n=len(bad),
                                    files=", ".join(bad[:3])))
    heavy = sorted({rel for rel in files if HEAVY_IN_LAYER_ONLY.match_file(rel)})
    if heavy:
        report.problems.append(Said("%(n)s files of PyAV/numpy in the shared code package (they belong in the "
                                    "vigil-av layer), e.g. %(file)s", n=len(heavy), file=heavy[0]))
    wrong_abi = sorted(rel for rel in files if (m := _EXT_TAG.search(rel)) and m.group(1) != FC_PYTHON_TAG)
    if wrong_abi:
        report.problems.append(Said("%(n)s extension modules not built for FC's %(tag)s, e.g. %(file)s (run the "
                                    "pre-deploy step with Python 3.10)", n=len(wrong_abi), tag=FC_PYTHON_TAG,
                                    file=wrong_abi[0]))
    return report


def check_packages(preview: Mapping[str, Any], out_dir: Path) -> tuple[list[str], list[PackageReport]]:
    """Copy the sources into `out_dir`, run the pre-deploy actions and the layer builds there, and report what
    every function ships (its code package and its layers)."""
    work = out_dir / "work"
    zips = out_dir / "packages"
    work.mkdir(parents=True, exist_ok=True)
    zips.mkdir(exist_ok=True)
    _copy_sources(work)
    ran = run_pre_deploy(preview, work) + build_layers(preview, work)
    from localcloud.fc import packaging

    layers = {}
    for arn in layer_arns(preview):
        folder = packaging.layer_dir(arn, [work / "layers"])
        layers[arn] = zip_folder(folder, zips / f"layer-{folder.name}.zip", f"layer {folder.name}")
    code_zips: dict[Path, tuple[Archive, list[str]]] = {}
    reports = [package_report(r, res["props"], work, zips, layers, code_zips)
               for r, res in sorted(preview["resources"].items()) if res.get("component") == "fc3"]
    return ran, reports
