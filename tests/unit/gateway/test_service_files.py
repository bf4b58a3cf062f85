"""The gateway's systemd unit and container image definition (infra/gateway/) are checked, not just kept."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit
ROOT = Path(__file__).resolve().parents[3]
UNIT = ROOT / "infra" / "gateway" / "vigil-gateway.service"
CONTEXT = ROOT / "device_client"


def test_the_unit_verifies_clean(tmp_path: Path) -> None:
    # systemd-analyze checks that ExecStart exists: point it at this checkout's vigil-camera
    exe = Path(sys.executable).with_name("vigil-camera")
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace("/usr/local/bin/vigil-camera", str(exe)))
    res = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and not (res.stdout + res.stderr).strip(), res.stdout + res.stderr
    text = UNIT.read_text()
    for line in ("Restart=on-failure", "User=vigil-gateway", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "StateDirectory=vigil-gateway", "--config /etc/vigil-gateway/gateway.json"):
        assert line in text


def _context_files() -> list[str]:
    """The files `docker build` would send, by the context's .dockerignore (last matching rule wins)."""
    rules = [r.strip() for r in (CONTEXT / ".dockerignore").read_text().splitlines()
             if r.strip() and not r.startswith("#")]
    sent = []
    for path in sorted(p for p in CONTEXT.rglob("*") if p.is_file()):
        rel = path.relative_to(CONTEXT).as_posix()
        included = True
        for rule in rules:
            negate = rule.startswith("!")
            pattern = rule[1:] if negate else rule
            parts = rel.split("/")
            hit = fnmatch.fnmatch(rel, pattern) or fnmatch.fnmatch(rel, pattern.replace("**/", "")) \
                or any(fnmatch.fnmatch(p, pattern.replace("**/", "")) for p in parts)
            if pattern.endswith("/**"):
                hit = rel.startswith(pattern[:-2])
            if hit:
                included = negate
        if included:
            sent.append(rel)
    return sent


def test_the_image_context_holds_only_the_gateway_package() -> None:
    sent = _context_files()
    assert "pyproject.toml" in sent and "vigil_camera/gateway.py" in sent and "vigil_camera/recording.py" in sent
    assert all(f == "pyproject.toml" or f.startswith("vigil_camera/") for f in sent), sent
    assert not [f for f in sent if "__pycache__" in f or f.endswith(".pyc")]
    dockerfile = (ROOT / "infra" / "gateway" / "Dockerfile").read_text()
    copied = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY ")]
    assert copied == ["pyproject.toml", "vigil_camera"]
    assert "USER vigil-gateway" in dockerfile and '"gateway", "--config"' in dockerfile
