"""What a function can import: its own code package and its layers, as on FC, not the whole venv.

On FC a python3.10 function sees its code folder (/code), the folders its PYTHONPATH names (/code/python)
and its layers merged under /opt (/opt/python is on the path). Nothing else: a module its package lacks
fails to import. localcloud reproduces that in one of two ways, per function:

* **built** — the code root holds `python/` (the pre-deploy `pip install -t ./python` ran, as `vigil deploy
  check` does): the worker runs with `python -S`, so the venv's site-packages are not on the path at all and
  only the code root, its PYTHONPATH folders and the layers' `python/` folders can be imported from.
* **source** — the checkout as developers run it (nothing built): the worker keeps the venv, but a top-level
  module that comes from a distribution the package does not declare (its `requirements.txt`, plus each
  layer's `requirements.txt`, with their dependencies) is refused with the same ModuleNotFoundError.

A code root without a `requirements.txt` and without layers declares nothing, so nothing is refused ("open").
Layers are found by name (`acs:fc:<region>:<account>:layers/<name>/versions/<n>`) in the folders of
LOCALCLOUD_FC_LAYERS (os.pathsep-separated), else `<s.yaml folder>/layers/<name>/`.
"""

from __future__ import annotations

import functools
import importlib.metadata as md
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import InvalidMarker, Marker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

LAYERS_ENV = "LOCALCLOUD_FC_LAYERS"
REQUIREMENTS = "requirements.txt"
_LAYER_ARN = re.compile(r"^acs:fc:[^:]*:[^:]*:layers/(?P<name>[A-Za-z0-9_-]+)/versions/(?P<version>\d+)$")
_NOT_MODULES = {"..", "bin", "__pycache__", "share", "include", "etc", "lib", "scripts"}


class PackagingError(ValueError):
    """A function's layers or requirements cannot be resolved locally."""


@dataclass(frozen=True)
class Plan:
    """How the worker of one function is started so that it imports what its package holds, no more."""

    mode: str                                   # "built" | "source" | "open"
    layer_dirs: tuple[Path, ...] = ()
    blocked: tuple[str, ...] = ()               # top-level modules refused in "source" mode
    allowed_distributions: tuple[str, ...] = field(default=(), repr=False)

    @property
    def isolated(self) -> bool:
        return self.mode == "built"


# -- layers ------------------------------------------------------------------------------------

def layer_name(arn: str) -> str:
    m = _LAYER_ARN.match(arn.strip())
    if not m:
        raise PackagingError(f"layer {arn!r} is not a layer version ARN (acs:fc:<region>:<account>:layers/<name>/"
                             "versions/<n>)")
    return m.group("name")


def layer_search_path(spec_dir: Path, env: dict[str, str] | None = None) -> list[Path]:
    raw = (env if env is not None else os.environ).get(LAYERS_ENV, "")
    dirs = [Path(p) for p in raw.split(os.pathsep) if p]
    return dirs or [spec_dir / "layers"]


def layer_dir(arn: str, search: Iterable[Path]) -> Path:
    """The local folder of a layer: its build output is `<dir>/python`, its declaration `<dir>/requirements.txt`."""
    name = layer_name(arn)
    looked = []
    for base in search:
        candidate = Path(base) / name
        looked.append(str(candidate))
        if candidate.is_dir():
            return candidate.resolve()
    raise PackagingError(f"layer {name} ({arn}) has no local folder (looked in {', '.join(looked)}); "
                         f"set {LAYERS_ENV} to the folder that holds it")


# -- requirements ------------------------------------------------------------------------------

def requirement_lines(path: Path, seen: set[Path] | None = None) -> list[tuple[str, Path]]:
    """The requirement lines of a requirements file (with `-r` includes), each with the folder it is relative to."""
    seen = set() if seen is None else seen
    path = path.resolve()
    if path in seen or not path.exists():
        return []
    seen.add(path)
    out: list[tuple[str, Path]] = []
    for raw in path.read_text().splitlines():
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            out += requirement_lines(path.parent / line.split(None, 1)[1], seen)
        elif not line.startswith("-"):
            out.append((line, path.parent))
    return out


def _local_project(ref: str, base: Path) -> Path | None:
    if ref.startswith(("./", "../", "/", "file:")):
        folder = (base / ref.removeprefix("file:")).resolve()
        return folder if folder.is_dir() else None
    return None


def local_modules(folder: Path) -> set[str]:
    """Top-level importable names of a local project folder (`../device_client` → vigil_camera)."""
    names = {p.parent.name for p in folder.glob("*/__init__.py")}
    names |= {p.name for p in folder.glob("src/*") if (p / "__init__.py").exists()}
    return {n for n in names if n not in {"tests", "test"}}


def local_dependencies(folder: Path) -> list[str]:
    """`[project] dependencies` of a local project's pyproject.toml (what `pip install <folder>` pulls in)."""
    pyproject = folder / "pyproject.toml"
    if not pyproject.exists():
        return []
    m = re.search(r"^dependencies\s*=\s*\[(.*?)\]", pyproject.read_text(), re.S | re.M)
    return re.findall(r"""["']([^"']+)["']""", m.group(1)) if m else []


def _marker_ok(marker: Marker | None, extras: set[str]) -> bool:
    if marker is None:
        return True
    try:
        return any(marker.evaluate({"extra": e}) for e in (extras or {""}))
    except InvalidMarker:
        return True


def distribution_closure(requirements: Iterable[str]) -> set[str]:
    """Canonical names of the installed distributions the requirements pull in (with their dependencies)."""
    todo: list[tuple[str, set[str]]] = []
    for line in requirements:
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        if _marker_ok(req.marker, set()):
            todo.append((req.name, set(req.extras)))
    done: set[str] = set()
    while todo:
        name, extras = todo.pop()
        key = canonicalize_name(name)
        if key in done:
            continue
        done.add(key)
        try:
            dist = md.distribution(name)
        except md.PackageNotFoundError:
            continue
        for spec in dist.requires or []:
            try:
                req = Requirement(spec)
            except InvalidRequirement:
                continue
            if _marker_ok(req.marker, extras):
                todo.append((req.name, set(req.extras)))
    return done


def _top_level(dist: md.Distribution) -> set[str]:
    names = set((dist.read_text("top_level.txt") or "").split())
    for f in dist.files or []:
        first = f.parts[0] if f.parts else ""
        if not first or first in _NOT_MODULES or first.endswith((".dist-info", ".data", ".egg-info", ".pth")):
            continue
        if len(f.parts) == 1:
            if first.endswith(".py"):
                names.add(first[:-3])
            elif first.endswith(".so"):
                names.add(first.split(".", 1)[0])
        elif "." not in first:
            names.add(first)
    return {n for n in names if n.isidentifier()}


@functools.lru_cache(maxsize=1)
def _provided() -> dict[str, frozenset[str]]:
    """Top-level module → the installed distributions that provide it (read once: ~0.3 s over a full venv)."""
    provided: dict[str, set[str]] = {}
    for dist in md.distributions():
        key = canonicalize_name(dist.metadata["Name"] or "")
        for mod in _top_level(dist):
            provided.setdefault(mod, set()).add(key)
    return {mod: frozenset(dists) for mod, dists in provided.items()}


def blocked_modules(allowed: set[str], allowed_modules: set[str]) -> tuple[str, ...]:
    """Top-level modules the venv provides only through distributions the package does not declare."""
    return tuple(sorted(mod for mod, dists in _provided().items()
                        if not dists & allowed and mod not in allowed_modules))


# -- the plan ----------------------------------------------------------------------------------

def plan(code_dir: Path, layers: Iterable[str], search: Iterable[Path]) -> Plan:
    """Decide how one function's worker runs (see the module docstring)."""
    layer_dirs = tuple(layer_dir(arn, search) for arn in layers)
    roots = (Path(code_dir), *layer_dirs)
    if (Path(code_dir) / "python").is_dir():
        return Plan("built", layer_dirs)
    declared = [r for r in roots if (r / REQUIREMENTS).exists()]
    if not declared:
        return Plan("open", layer_dirs)
    lines = [item for root in declared for item in requirement_lines(root / REQUIREMENTS)]
    names: list[str] = []
    modules: set[str] = set()
    for line, base in lines:
        project = _local_project(line, base)
        if project is not None:
            modules |= local_modules(project)
            names += local_dependencies(project)
        else:
            names.append(line)
    allowed = distribution_closure(names)
    return Plan("source", layer_dirs, blocked_modules(allowed, modules), tuple(sorted(allowed)))
