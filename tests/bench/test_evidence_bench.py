"""Evidence bench (issue 26): signing and verifying a 1 GB export beside `sha256sum` of the same file.

Signing an export = hashing the MP4 as stored (`export.manifest.read_back`: one streaming GET from
localcloud OSS) + one Ed25519 signature; verifying = `vigil verify` (hash the file, check the signature)
in a child process, as a person runs it. The peer is coreutils' `sha256sum` of the same file in the same
run. Goal: ≤ 1.2x. Debian's coreutils `sha256sum` has no SHA-NI code (~130 MiB/s here against
OpenSSL's ~1 GiB/s), so `openssl dgst -sha256` is timed too, as the stricter peer.
`VIGIL_BENCH_EVIDENCE_MB` (default 1024) sets the file size.

Disk: the run holds the file twice (the local copy and localcloud's object), so it checks for room
first and removes both when it ends, pass or fail: pytest keeps its last three temp roots, and three
leftover 2 GB runs would fill a CI machine's tmp.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from vigil_fn.core import evidence
from vigil_fn.export import manifest

pytestmark = pytest.mark.bench
SIZE_MB = int(os.environ.get("VIGIL_BENCH_EVIDENCE_MB", "1024"))


def _rounds(fns: dict[str, Any], rounds: int = 2) -> dict[str, float]:
    """Best time of each, run in turn round after round: on a shared machine, load and the page cache
    then fall on every row alike (one row's three runs back to back measured the machine's moment)."""
    best = {name: float("inf") for name in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    return best


def _room(where: Path, size_mb: int) -> None:
    free = shutil.disk_usage(where).free
    need = (2 * size_mb << 20) + (256 << 20)
    if free < need:
        raise RuntimeError(f"the evidence bench needs {need >> 20} MiB free in {where} ({free >> 20} MiB are): "
                           f"set VIGIL_BENCH_EVIDENCE_MB lower or PYTEST_DEBUG_TEMPROOT to a larger disk")


@pytest.mark.timeout(3600)   # 1 GB hashed ~10 times on a shared 2-core machine
def test_sign_and_verify_a_1gb_export_beside_sha256sum(cloud: Any, tmp_path: Path) -> None:
    _room(tmp_path, SIZE_MB)
    path = tmp_path / "export.mp4"
    bucket = cloud.bucket()
    key = "exports/bench/20261207T000000Z-00000000.mp4"
    try:
        _run(bucket, key, path, tmp_path)
    finally:
        bucket.delete_object(key)
        path.unlink(missing_ok=True)


def _run(bucket: Any, key: str, path: Path, tmp_path: Path) -> None:
    block = os.urandom(1 << 20)
    with open(path, "wb") as f:
        for _ in range(SIZE_MB):
            f.write(block)
    bucket.put_object_from_file(key, str(path))
    signing_key = Ed25519PrivateKey.generate()
    pem = tmp_path / "key.pem"
    pem.write_text(evidence.public_pem(signing_key))

    digest = subprocess.run(["sha256sum", str(path)], check=True, capture_output=True, text=True).stdout.split()[0]
    doc = evidence.sign({"export_id": "bench", "files": [{"name": "export.mp4", "sha256": digest,
                                                          "size": SIZE_MB << 20}]}, signing_key)
    mpath = tmp_path / "export.manifest.json"
    mpath.write_text(json.dumps(doc))
    facts: list[manifest.FileFacts] = []

    def sign() -> None:
        facts.append(manifest.read_back(bucket, key))
        evidence.sign({"files": [{"sha256": facts[-1].sha256, "size": facts[-1].size}]}, signing_key)

    def verify() -> None:
        done = subprocess.run([sys.executable, "-m", "vigil_ops.cli", "verify", str(path), "--manifest", str(mpath),
                               "--public-key", str(pem), "--json"], capture_output=True, text=True, check=False)
        assert done.returncode == 0, done.stderr

    def hash_local() -> None:
        with open(path, "rb") as f:
            evidence.sha256_of(f)

    t = _rounds({"peer": lambda: subprocess.run(["sha256sum", str(path)], check=True, capture_output=True),
                 "openssl": lambda: subprocess.run(["openssl", "dgst", "-sha256", str(path)], check=True,
                                                   capture_output=True),
                 "hashlib": hash_local, "sign": sign, "verify": verify})
    assert facts[-1].sha256 == digest
    peer = t["peer"]
    fast = t["openssl"]
    print(f"\nevidence, {SIZE_MB} MiB export (best of 2 rounds, rows interleaved; load average "
          f"{os.getloadavg()[0]:.1f}):")
    print(f"  sha256sum (peer)                     {peer:7.2f} s   {SIZE_MB / peer:7.0f} MiB/s")
    print(f"  openssl dgst -sha256 (second peer)   {fast:7.2f} s   {SIZE_MB / fast:7.0f} MiB/s   "
          f"(coreutils' sha256sum has no SHA-NI code; OpenSSL's is the stricter peer)")
    print(f"  hashlib over the local file          {t['hashlib']:7.2f} s   ratio {t['hashlib'] / peer:5.2f}x")
    print(f"  sign (GET from OSS + hash + Ed25519) {t['sign']:7.2f} s   ratio {t['sign'] / peer:5.2f}x   goal <= 1.2x"
          f"   vs openssl {t['sign'] / fast:5.2f}x")
    print(f"  vigil verify (child process)         {t['verify']:7.2f} s   ratio {t['verify'] / peer:5.2f}x"
          f"   goal <= 1.2x   vs openssl {t['verify'] / fast:5.2f}x")
