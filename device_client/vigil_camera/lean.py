"""Keep the camera process small: the parts of the OSS SDK's import the camera never runs are loaded
only if something touches them.

`import oss2` loads its client-side encryption at import time (`oss2.crypto`: Alibaba Cloud's KMS
SDK `aliyunsdkkms` on `aliyunsdkcore`, which vendors its own copy of requests, and pycryptodome
`Crypto` with cffi): 14 MB of the 43 MB the import costs (measured, VmRSS), for a feature a camera
never uses (it uploads plaintext clips over TLS; the bucket encrypts at rest). `defer_unused_imports()`
puts a finder in front of `sys.meta_path` that hands those packages' modules to the standard
library's `importlib.util.LazyLoader`: a module is created at import but its code runs only when an
attribute of it is first read. Nothing is replaced or faked: if the code is ever used, the real
module loads then and behaves as if imported eagerly.

`return_freed_buffers()` fixes glibc's mmap threshold at 128 KiB. By default glibc raises the
threshold to the size of the largest mmapped block freed (up to 32 MB): once FFmpeg frees its first
1080p picture (3 MB), later pictures come from the heap, whose freed pages stay with the process, so a
camera's RSS crept up clip after clip (67 → 77 MB over three 1080p clips, measured) and its peak rose
with it. With the threshold fixed, every picture buffer is its own mapping, returned when freed: the
RSS stays flat (66.7 MB after each clip) and the peak drops ~1 MB. Python's own small objects are
not affected (they live in its arenas, well under the threshold).

Only the camera's entry point calls these, and only before `oss2` is imported (afterwards there is
nothing to gain), so processes that use these SDKs for real — the functions (the STS SDK is built on
aliyunsdkcore), tests, the operator CLI — import them as usual.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

DEFERRED = ("aliyunsdkcore", "aliyunsdkkms", "Crypto")
"""Top-level packages `oss2` imports only for client-side encryption (oss2.crypto, oss2.utils' AES)."""
MMAP_THRESHOLD = 128 * 1024
"""glibc's default starting value, here kept fixed (`M_MMAP_THRESHOLD` set explicitly stops it moving)."""
_M_MMAP_THRESHOLD = -3          # from glibc's malloc.h


class _DeferredFinder(importlib.abc.MetaPathFinder):
    """Finds modules of `roots` with the other finders, then wraps their loader in a LazyLoader."""

    def __init__(self, roots: Sequence[str]) -> None:
        self.roots = frozenset(roots)

    def find_spec(self, fullname: str, path: Sequence[str] | None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname.partition(".")[0] not in self.roots:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is None:
                continue
            # plain source files only: a package's own importer (the vendored `six.moves` registers
            # one) builds its modules its own way and breaks when made lazy (tests/.../test_lean.py)
            if isinstance(spec.loader, importlib.machinery.SourceFileLoader):
                spec.loader = importlib.util.LazyLoader(spec.loader)
            return spec
        return None


def defer_unused_imports(roots: Sequence[str] = DEFERRED) -> bool:
    """Install the deferring finder if `oss2` is not imported yet; True when it was installed."""
    if "oss2" in sys.modules or any(isinstance(f, _DeferredFinder) for f in sys.meta_path):
        return False
    sys.meta_path.insert(0, _DeferredFinder(roots))
    return True


def return_freed_buffers(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold (see the module doc); False where the C library is not glibc."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):      # musl and others have no mallopt: nothing to tune
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, threshold))


def keep_lean() -> None:
    """What the camera's entry point does first: both of the above."""
    defer_unused_imports()
    return_freed_buffers()
