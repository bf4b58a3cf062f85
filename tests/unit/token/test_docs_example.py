"""The worked example in docs/token-api.md is recomputed from the code, so the page stays true."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from vigil_camera import protocol

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[3] / "docs" / "token-api.md"


def _row(text: str, label: str) -> str:
    m = re.search(r"^\| " + re.escape(label) + r" \| (.+?) \|$", text, re.M)
    assert m, f"row {label!r} missing from {DOC.name}"
    return m.group(1)


def test_worked_example_matches_the_code() -> None:
    text = DOC.read_text()
    master = _row(text, "master key (text)").strip("`")
    device, version = [v.strip().strip("`") for v in _row(text, "device id, key version").split(",")]
    method, path = [v.strip().strip("`") for v in _row(text, "method, path").split(",")]
    ts, nonce = _row(text, "timestamp").strip("`"), _row(text, "nonce").strip("`")
    body = _row(text, "body").strip("`").encode()
    secret = protocol.device_secret(master.encode(), device, int(version))
    assert _row(text, "device secret").strip("`") == secret
    assert _row(text, "sha256(body)").strip("`") == hashlib.sha256(body).hexdigest()
    signature = _row(text, "**signature**").strip("`")
    assert signature == protocol.sign(secret, method, path, ts, nonce, body)
    assert protocol.verify(secret, signature, method, path, ts, nonce, body)
