"""localcloud stands alone: it imports no Vigil product package, and localcloud.ram's modules
import each other one way (model -> loader -> policy -> principal; tokens beside)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

LOCALCLOUD = Path(__file__).resolve().parents[3] / "infra" / "localcloud"
PRODUCT = ("vigil_camera", "vigil_fn", "vigil_ops", "functions", "device_client")


def _imports(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved inside localcloud)."""
    tree = ast.parse(path.read_text(), str(path))
    package = ".".join(("localcloud", *path.relative_to(LOCALCLOUD).parent.parts)).rstrip(".")
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                out.add(mod)
                out.update(f"{mod}.{alias.name}" for alias in node.names)
            elif node.module:
                out.add(node.module)
                out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out


def test_localcloud_imports_no_product_package() -> None:
    offenders = {
        str(path.relative_to(LOCALCLOUD)): sorted(m for m in _imports(path) if m.split(".")[0] in PRODUCT)
        for path in LOCALCLOUD.rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_ram_modules_import_one_way() -> None:
    order = ["principal", "policy", "loader", "tokens", "model"]  # each may import only earlier ones
    allowed = {"principal": set(), "policy": {"principal"}, "loader": {"policy", "principal"},
               "tokens": set(), "model": {"principal", "policy", "loader", "tokens"}}
    for name in order:
        used = {m.split(".")[2] for m in _imports(LOCALCLOUD / "ram" / f"{name}.py")
                if m.startswith("localcloud.ram.") and m.count(".") >= 2}
        used &= set(order)
        assert used <= allowed[name], f"localcloud.ram.{name} imports {sorted(used - allowed[name])}"


def test_localcloud_runs_with_the_product_packages_hidden() -> None:
    """Import every localcloud service with vigil_* made unimportable."""
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        f"        if name.split('.')[0] in {PRODUCT!r}: raise ImportError('product package: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import localcloud.stack, localcloud.oss.protocol.standalone, localcloud.fc.worker\n"
        "import localcloud.common.logs as logs\n"
        "logs.setup('INFO')\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
