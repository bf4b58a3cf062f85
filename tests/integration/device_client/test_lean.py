"""The camera process's lean start (vigil_camera/lean.py): oss2's client-side-encryption stack is
not run at import, yet the real SDK still uploads and reads back through localcloud, and the deferred
code still loads (for real) if something touches it."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

pytestmark = pytest.mark.integration

CHILD = """
import json, sys
import vigil_camera.lean
vigil_camera.lean.keep_lean()
import vigil_camera.cli, vigil_camera.spool, vigil_camera.upload
import oss2
lazy = sorted(n for n, m in sys.modules.items()
              if n.split(".")[0] in vigil_camera.lean.DEFERRED and type(m).__name__ == "_LazyModule")
endpoint, bucket_name, key_id, secret = sys.argv[1:5]
bucket = oss2.Bucket(oss2.Auth(key_id, secret), endpoint, bucket_name)
bucket.put_object("lean-check/clip.ts", b"x" * 300_000)
body = bucket.get_object("lean-check/clip.ts").read()
client_lazy = type(sys.modules["aliyunsdkcore.client"]).__name__ == "_LazyModule"
acs = oss2.crypto.client.AcsClient      # touching the deferred code loads it
print(json.dumps({"lazy": lazy, "client_lazy": client_lazy, "size": len(body),
                  "loaded": type(sys.modules["aliyunsdkcore.client"]).__name__, "acs": acs.__name__,
                  "again": vigil_camera.lean.defer_unused_imports()}))
"""


def test_the_lean_camera_process_uploads_with_the_real_sdk(cloud: Any) -> None:
    out = subprocess.run([sys.executable, "-c", CHILD, cloud.oss_endpoint, cloud.bucket_name,
                          cloud.access_key_id, cloud.access_key_secret],
                         capture_output=True, text=True, timeout=120, check=False)
    assert out.returncode == 0, out.stderr[-2000:]
    doc = json.loads(out.stdout.strip().splitlines()[-1])
    assert doc["client_lazy"] is True and "Crypto.PublicKey.RSA" in doc["lazy"]
    assert doc["size"] == 300_000
    assert doc["loaded"] == "module" and doc["acs"] == "AcsClient"
    assert doc["again"] is False            # oss2 is imported now: installing again does nothing


def test_the_deferring_finder_is_not_installed_once_oss2_is_imported() -> None:
    code = ("import sys, oss2, vigil_camera.lean\n"
            "print(vigil_camera.lean.defer_unused_imports(), vigil_camera.lean.return_freed_buffers())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.split() == ["False", "True"]      # glibc on the test machines: the threshold is set
