"""Loading a test helper module by its path, once.

Test folders are not packages under `--import-mode=importlib`, so a helper beside a conftest
(tests/e2e/web/support.py, tests/integration/alerts/support.py, ...) is loaded by path. Every user
asks for it by the same name and gets the one module in sys.modules, so its classes are the same
objects wherever they are used.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def load_path(name: str, path: Path) -> ModuleType:
    """The module `name` from the file `path`, loaded the first time it is asked for."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]  # a half-run module must not be handed out next time
        raise
    return module
