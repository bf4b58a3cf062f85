"""The test side of the real RTSP server (`serve.py`): start it, kill it, restart it on the same
port, stall it, change its resolution. Installed by `make rtsp-deps` (Debian's GStreamer RTSP
server and python3-gi, which live in Debian's /usr/bin/python3, hence a child process)."""

from __future__ import annotations

import queue
import signal
import subprocess
import threading
from pathlib import Path
from typing import IO

SERVE = Path(__file__).with_name("serve.py")
SYSTEM_PYTHON = "/usr/bin/python3"


class RtspServer:
    """One `serve.py` child. `url(mount)` is rtsp://127.0.0.1:PORT/mount."""

    def __init__(self, *, size: str = "320x240", fps: int = 25, gop: int = 25, kbps: int = 500) -> None:
        self.args = ["--size", size, "--fps", str(fps), "--gop", str(gop), "--kbps", str(kbps)]
        self.port = 0
        self.secret_port = 0
        self.proc: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str] = queue.Queue()
        self.restarts = 0

    def start(self, timeout: float = 30.0) -> RtspServer:
        self.proc = subprocess.Popen([SYSTEM_PYTHON, str(SERVE), "--port", str(self.port), *self.args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, bufsize=1)
        self._lines = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(target=self._pump, args=(self.proc.stdout, self._lines), daemon=True).start()
        first = self.read_line(timeout)
        if not first.startswith("ready "):
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"RTSP server did not start: {first!r} {err[-2000:]}")
        self.port, self.secret_port = (int(v) for v in first.split()[1:3])
        return self

    @staticmethod
    def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
        for line in stream:
            lines.put(line.strip())
        lines.put("")

    def read_line(self, timeout: float = 30.0) -> str:
        """The server's next stdout line (answers to commands, `resumed` after a stall)."""
        try:
            return self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no line from the RTSP server within {timeout:g} s") from None

    def command(self, line: str, timeout: float = 30.0) -> str:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        answer = self.read_line(timeout)
        if answer.startswith("error"):
            raise AssertionError(f"RTSP server: {answer}")
        return answer

    def url(self, mount: str, *, user: str | None = None, password: str | None = None) -> str:
        cred = f"{user}:{password}@" if user is not None else ""
        port = self.secret_port if mount.strip("/") == "secret" else self.port
        return f"rtsp://{cred}127.0.0.1:{port}/{mount.lstrip('/')}"

    def kill(self) -> None:
        """SIGKILL: a camera that lost power (no RTSP TEARDOWN, connections reset)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self.proc = None

    def restart(self) -> RtspServer:
        self.kill()
        self.restarts += 1
        return self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()             # the server quits when its stdin closes
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None
