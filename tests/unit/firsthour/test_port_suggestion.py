"""Issue 28 item 7: when a port (or the data folder) is taken, the way out names a port that is free
now — it used to say `PORT=9100` always, also when 9100 was the busy one."""

from __future__ import annotations

import argparse
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from vigil_ops.local_cmd import STACK_PORTS, PortInUse, data_folder_lock, run_up


@pytest.fixture()
def taken_9100() -> Iterator[int]:
    """Holds 9100..9109 (the old suggestion) while the test runs; skips nothing: if another process
    already holds one of them, that serves the test just as well."""
    held = []
    for port in range(9100, 9100 + STACK_PORTS):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            s.listen()
            held.append(s)
        except OSError:
            s.close()
    try:
        yield 9100
    finally:
        for s in held:
            s.close()


def _suggested(message: str) -> int:
    m = re.search(r"PORT=(\d+)", message)
    assert m, message
    return int(m.group(1))


def _all_free(base: int) -> bool:
    for port in range(base, base + STACK_PORTS):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def test_a_busy_port_suggests_one_that_is_free(taken_9100: int, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    args = argparse.Namespace(data=str(tmp_path / "data"), host="127.0.0.1", port=taken_9100, bucket="vigil-local",
                              spec=None, function_env=[], json=False)
    assert run_up(args) == 2
    err = capsys.readouterr().err
    assert f"port {taken_9100}" in err and "already in use" in err
    suggested = _suggested(err)
    assert suggested != taken_9100 and _all_free(suggested), err
    assert f"--port {suggested}" in err


def test_a_data_folder_in_use_suggests_a_free_port(taken_9100: int, tmp_path: Path) -> None:
    with data_folder_lock(tmp_path, "demo", port=taken_9100):
        with pytest.raises(PortInUse) as exc:
            # a second stack on the same folder: flock is per open file, so a second lock conflicts
            with data_folder_lock(tmp_path, "demo", port=taken_9100):
                pass
    message = str(exc.value)
    suggested = _suggested(message)
    assert suggested != taken_9100 and _all_free(suggested), message
