"""Issue 15: the README from top to bottom in a fresh data folder, as a new user types it —
`vigil demo` (what `make demo` runs), then add a camera, upload a clip, and see it indexed — plus what
the demo terminal shows (items 2 and 10) and a clear answer when its port is taken (item 7).

The demo runs as a child process on free ports (`--port 0`), one small camera, so the test is light.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.e2e
REPO = Path(__file__).resolve().parents[3]


def _env(data: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "ALIBABA_CLOUD_"))}
    # a fresh user: nothing configured, spool and config defaults inside the test's folder
    env.update(VIGIL_LOCAL_DATA=str(data), XDG_STATE_HOME=str(home / "state"), XDG_CONFIG_HOME=str(home / "cfg"))
    return env


def _cli(tool: str, *argv: str, cwd: Path, env: dict[str, str], timeout: float = 120) -> Any:
    module = {"vigil": "vigil_ops.cli", "vigil-camera": "vigil_camera.cli"}[tool]
    return subprocess.run([sys.executable, "-m", module, *argv], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _wait(what: str, check: Any, timeout: float = 120.0, every: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


@dataclass
class Demo:
    proc: subprocess.Popen[bytes]
    data: Path
    home: Path
    out: Path
    err: Path
    env: dict[str, str]

    def stdout(self) -> str:
        return self.out.read_text(errors="replace")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    home = tmp_path_factory.mktemp("user")
    data = home / "data"
    env = _env(data, home)
    out, err = home / "demo.out", home / "demo.err"
    with open(out, "wb") as o, open(err, "wb") as e:
        proc = subprocess.Popen([sys.executable, "-m", "vigil_ops.cli", "demo", "--data", str(data), "--port", "0",
                                 "--cameras", "1", "--fps", "5", "--resolution", "160x120", "--clip-seconds", "2"],
                                cwd=home, env=env, stdout=o, stderr=e)
    handle = Demo(proc, data, home, out, err, env)
    try:
        _wait("the demo banner", lambda: "Press Ctrl-C" in handle.stdout() or proc.poll() is not None, 240)
        assert proc.poll() is None, (handle.stdout(), err.read_text())
        yield handle
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _camera_status(demo: Demo) -> dict[str, Any]:
    res = _cli("vigil-camera", "--config", str(demo.data / "devices" / "cam-lobby.json"), "status",
               cwd=demo.home, env=demo.env)
    assert res.returncode == 0, res.stderr
    return dict(json.loads(res.stdout))


def test_status_the_banner_suggests_shows_the_running_camera(demo: Demo) -> None:
    """Item 2: the banner's `vigil-camera --config …/cam-lobby.json status` reports that camera."""
    assert f"vigil-camera --config {demo.data / 'devices' / 'cam-lobby.json'} status" in demo.stdout()
    doc = _wait("a demo clip uploaded", lambda: (d := _camera_status(demo))["uploaded"] >= 1 and d)
    assert doc["device_id"] == "cam-lobby" and doc["spool_dir"] == str(demo.data / "spool" / "cam-lobby")


def test_terminal_shows_banner_and_live_status_and_logs_go_to_files(demo: Demo) -> None:
    """Item 10: no JSON log lines on the terminal; a per-camera status line; the logs in files."""
    _wait("a status line with an upload", lambda: any(
        line.strip().startswith("cam-lobby") and "uploaded" in line and " 0 clips" not in line
        for line in demo.stdout().splitlines()))
    lines = demo.stdout().splitlines()
    assert lines[0] == "Vigil localcloud is up." and any("OSS endpoint" in line for line in lines)
    assert not [line for line in lines if line.lstrip().startswith("{")]   # nothing for a log parser
    assert "last error: none" in demo.stdout()
    logs = demo.data / "logs"
    service = (logs / "localcloud.log").read_text().splitlines()
    assert service and all(json.loads(line)["ts"] for line in service)
    assert any(json.loads(line).get("logger", "").startswith("localcloud") for line in service)
    assert (logs / "camera-cam-lobby.log").stat().st_size > 0
    assert not demo.err.read_text().strip()


def readme_camera_commands() -> list[list[str]]:
    """The command lines of the README's camera section, exactly as written (comments dropped)."""
    text = (REPO / "README.md").read_text()
    section = text[text.index("## Cameras"):]
    block = section.split("```")[1]
    return [shlex.split(line.split("#", 1)[0]) for line in block.strip().splitlines() if line.strip()]


def test_readme_top_to_bottom(demo: Demo, media: Any) -> None:
    """With the demo up, run the README's camera section line by line: add a camera, upload a clip,
    its status, and `index verify` until the clip is indexed."""
    work = demo.home / "readme"
    work.mkdir()
    commands = readme_camera_commands()
    tools = [c[0] for c in commands]
    assert tools == [".venv/bin/vigil", ".venv/bin/vigil-camera", ".venv/bin/vigil-camera", ".venv/bin/vigil"]
    assert commands[0][1:3] == ["devices", "add"] and commands[1][3] == "upload" and commands[3][1:3] == [
        "index", "verify"]
    clip_name = commands[1][4]
    (work / clip_name).write_bytes(media.encode_clip("mpegts", seconds=1.0, width=160, height=120))

    def run(argv: list[str]) -> Any:
        return _cli(Path(argv[0]).name, *argv[1:], cwd=work, env=demo.env)

    res = run(commands[0])
    assert res.returncode == 0, res.stderr
    assert "secret:" in res.stdout
    res = run(commands[1])
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout.splitlines()[-1])
    assert summary["uploaded"] == 1 and summary["queue_depth"] == 0 and summary["last_error"] is None
    res = run(commands[2])
    assert res.returncode == 0 and json.loads(res.stdout)["uploaded"] == 1

    def indexed() -> bool:
        r = run([*commands[3], "--json"])
        return r.returncode == 0 and json.loads(r.stdout) == {"missing": [], "stale": []}

    _wait("the clip in the index", indexed, 120, 1.0)
    device = commands[0][3]
    res = _cli("vigil", "devices", "list", cwd=work, env=demo.env)
    assert res.returncode == 0 and device in res.stdout and "cam-lobby" in res.stdout


def test_a_second_demo_on_the_same_port_gets_a_clear_message(tmp_path: Path) -> None:
    """Item 7: a taken port → one message naming it and the PORT= / --port way out, exit 2."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _env(tmp_path / "data", tmp_path)
        for argv in (["demo"], ["local", "up"]):
            res = _cli("vigil", *argv, "--data", str(tmp_path / "data"), "--port", str(port), cwd=tmp_path, env=env)
            assert res.returncode == 2, (res.stdout, res.stderr)
            assert "Traceback" not in res.stderr and f"port {port}" in res.stderr
            assert "make demo PORT=" in res.stderr and "--port" in res.stderr


def test_a_second_demo_on_the_same_data_folder_is_refused(demo: Demo) -> None:
    """Item 7: following "use another port" must not start a second stack on the running one's data
    (it would clean its temporary files and replay its pending writes): one message, both ways out."""
    stack_json = (demo.data / "stack.json").read_text()
    res = _cli("vigil", "demo", "--data", str(demo.data), "--port", "0", cwd=demo.home, env=demo.env)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert f"data folder {demo.data} is in use" in res.stderr and f"pid {demo.proc.pid}" in res.stderr
    assert "DATA=" in res.stderr and "PORT=" in res.stderr
    assert (demo.data / "stack.json").read_text() == stack_json and demo.proc.poll() is None


def test_make_demo_takes_port_and_data() -> None:
    """Item 7: `make demo PORT=…` reaches `vigil demo --port …`; item 11: `make help` shows no `$(…)`."""
    res = subprocess.run(["make", "-n", "-C", str(REPO), "demo", "PORT=9100", "DATA=/tmp/somewhere"],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "vigil demo --data /tmp/somewhere --port 9100" in res.stdout
    res = subprocess.run(["make", "-s", "-C", str(REPO), "help"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0 and "demo" in res.stdout and "$(" not in res.stdout
