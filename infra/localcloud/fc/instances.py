"""Worker processes and the small warm pool each function keeps.

One `Instance` is one child process (instanceConcurrency 1): it serves one invocation at a time.
A `FunctionPool` reuses warm instances, starts up to `max_instances`, and replaces an instance
that timed out (killed) or crashed. The handler's stdout/stderr become structured log lines.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.common import logs
from localcloud.fc.packaging import Plan
from localcloud.fc.protocol import ChannelClosed, read_frame, write_frame
from localcloud.fc.spec import FunctionSpec
from localcloud.fc.worker import END_MARK

log = logs.get("localcloud.fc.function")
_WORKER_ROOT = str(Path(__file__).resolve().parents[2])  # the folder `localcloud` is imported from
_BOOT_TIMEOUT_S = 30.0
_TAIL_BYTES = 4096
_TAIL_WAIT_S = 10.0
"""How long an answered invocation waits for the log pump to reach its end mark (a handler that
left a child process holding stdout open may delay it; the answer never waits longer)."""


@dataclass
class Outcome:
    """The result of one invocation as the runtime reports it."""

    ok: bool
    value: Any = None                      # handler return value when ok
    error: dict[str, Any] | None = None    # {"errorMessage","errorType","stackTrace"}
    kind: str = ""                         # "" | "Unhandled" | "TimedOut" | "Crashed" | "Busy"
    duration_ms: float = 0.0
    log_tail: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


class Instance:
    """One worker process of a function."""

    def __init__(self, fn: FunctionSpec, env: dict[str, str], boot: dict[str, Any]) -> None:
        self.fn = fn
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()
        self.proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            # -S: a built package runs without the venv's site-packages, as on FC (localcloud.fc.packaging)
            [sys.executable, *(["-S"] if boot.get("isolated") else []), "-m", "localcloud.fc.worker",
             str(to_child_r), str(from_child_w)],
            cwd=str(fn.code_dir), env=env, pass_fds=(to_child_r, from_child_w),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._tail: list[str] = []
        self._tail_lock = threading.Lock()
        self._request_id = ""
        self._ended: set[str] = set()
        self._ended_cond = threading.Condition(self._tail_lock)
        self._reader = threading.Thread(target=self._pump_logs, name=f"fc-log-{fn.name}", daemon=True)
        self._reader.start()
        self.invocations = 0
        try:
            write_frame(self._to_child, boot)
            if not self._wait_readable(_BOOT_TIMEOUT_S):
                self.kill()
                raise RuntimeError(f"worker for {fn.name} did not start")
            ready = read_frame(self._from_child)
        except (ChannelClosed, OSError) as exc:  # died while starting (killed, or its interpreter failed)
            self.kill()
            raise RuntimeError(f"worker for {fn.name} exited while starting") from exc
        if ready != ("ready",):
            self.kill()
            raise RuntimeError(f"worker for {fn.name} answered an unexpected boot frame")

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def _pump_logs(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            line, mark, ended = line.partition(END_MARK)
            if line or not mark:
                with self._tail_lock:
                    self._tail.append(line)
                log.info(line, extra={"function": self.fn.name, "request_id": self._request_id,
                                      "pid": self.proc.pid, "source": "function"})
            if mark:
                with self._ended_cond:
                    self._ended.add(ended)
                    self._ended_cond.notify_all()
        with self._ended_cond:  # EOF: nothing more will come, wake any waiter
            self._ended.add("")
            self._ended_cond.notify_all()

    def _wait_log_end(self, request_id: str, timeout: float = _TAIL_WAIT_S) -> None:
        """Block until the pump has read everything the invocation printed (its end mark)."""
        with self._ended_cond:
            self._ended_cond.wait_for(lambda: request_id in self._ended or "" in self._ended, timeout)
            self._ended.discard(request_id)

    def _wait_readable(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._from_child], [], [], max(timeout, 0.0))
        return bool(ready)

    def invoke(self, request_id: str, payload: bytes, creds: tuple[str, str, str], timeout: float) -> Outcome:
        """Run one invocation; a timeout kills this instance (the pool replaces it)."""
        self._request_id = request_id
        with self._tail_lock:
            self._tail.clear()
            self._ended.intersection_update({""})  # keep an EOF seen
        self.invocations += 1
        start = time.monotonic()
        try:
            write_frame(self._to_child, ("invoke", request_id, payload, creds))
            if not self._wait_readable(timeout):
                self.kill()
                return Outcome(False, error={
                    "errorMessage": f"Function timed out after {self.fn.timeout_s} seconds",
                    "errorType": "FunctionTimeout", "stackTrace": []}, kind="TimedOut",
                    duration_ms=(time.monotonic() - start) * 1000)
            status, value = read_frame(self._from_child)
            self._wait_log_end(request_id)
        except (ChannelClosed, BrokenPipeError, OSError):
            code = self.proc.poll()
            self.kill()
            self._reader.join(timeout=_TAIL_WAIT_S)  # the crash's last words belong in the tail
            return Outcome(False, error={
                "errorMessage": f"Process exited unexpectedly before completing request (exit code {code})",
                "errorType": "ProcessExited", "stackTrace": []}, kind="Crashed",
                duration_ms=(time.monotonic() - start) * 1000)
        duration = (time.monotonic() - start) * 1000
        if status == "ok":
            return Outcome(True, value=value, duration_ms=duration)
        return Outcome(False, error=value, kind="Unhandled", duration_ms=duration)

    def log_tail(self) -> str:
        with self._tail_lock:
            text = "\n".join(self._tail)
        return text[-_TAIL_BYTES:]

    def kill(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait()
        for fd in (self._to_child, self._from_child):
            try:
                os.close(fd)
            except OSError:
                pass
        self._to_child = self._from_child = -1

    def stop(self) -> None:
        """Ask the worker to leave, kill it if it does not."""
        try:
            write_frame(self._to_child, ("stop",))
            self.proc.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class FunctionPool:
    """Warm instances of one function: reuse idle ones, start more up to `max_instances`."""

    def __init__(self, fn: FunctionSpec, env_factory: Callable[[], dict[str, str]], boot: dict[str, Any],
                 max_instances: int = 4) -> None:
        self.fn = fn
        self._env_factory = env_factory
        self._boot = boot
        self.max_instances = max_instances
        self._idle: list[Instance] = []
        self._count = 0
        self._cond = threading.Condition()
        self._closed = False
        self.started = 0  # instances ever started (tests and logs)

    def _acquire(self) -> Instance:
        with self._cond:
            while True:
                if self._closed:
                    raise RuntimeError("runtime stopped")
                while self._idle:
                    inst = self._idle.pop()
                    if inst.alive:
                        return inst
                    self._count -= 1
                if self._count < self.max_instances:
                    self._count += 1
                    break
                self._cond.wait()
        try:
            inst = Instance(self.fn, self._env_factory(), self._boot)
        except BaseException:
            with self._cond:
                self._count -= 1
                self._cond.notify()
            raise
        with self._cond:
            self.started += 1
        return inst

    def _release(self, inst: Instance) -> None:
        with self._cond:
            if inst.alive and not self._closed:
                self._idle.append(inst)
            else:
                self._count -= 1
                inst.kill()
            self._cond.notify()

    def invoke(self, request_id: str, payload: bytes, creds: tuple[str, str, str]) -> Outcome:
        try:
            inst = self._acquire()
        except RuntimeError as exc:
            return Outcome(False, error={"errorMessage": str(exc), "errorType": "InstanceStartFailed",
                                         "stackTrace": []}, kind="Crashed")
        timeout = float(self.fn.timeout_s)
        if inst.invocations == 0 and self.fn.initializer:  # the initializer has its own budget
            timeout += self.fn.initializer_timeout_s
        outcome = inst.invoke(request_id, payload, creds, timeout)
        outcome.log_tail = inst.log_tail()
        self._release(inst)
        return outcome

    def stop(self) -> None:
        with self._cond:
            self._closed = True
            idle, self._idle = self._idle, []
            self._cond.notify_all()
        stoppers = [threading.Thread(target=inst.stop, daemon=True) for inst in idle]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(5)


def worker_env(base: dict[str, str], fn: FunctionSpec, pkg: Plan | None = None) -> dict[str, str]:
    """os.environ + the function's variables; `/code` in PYTHONPATH means the code folder, `/opt` its layers.

    FC puts the layers' `/opt/python` on the path of a Python function; an isolated (built) package does not
    inherit the venv's PYTHONPATH, only the folder the worker module itself is imported from.
    """
    env = dict(base)
    layer_dirs = pkg.layer_dirs if pkg else ()
    paths = python_paths(fn, layer_dirs)
    if pkg is not None and pkg.isolated:
        env["PYTHONPATH"] = os.pathsep.join([*paths, _WORKER_ROOT])
        env.pop("PYTHONHOME", None)
    elif "PYTHONPATH" in fn.env or layer_dirs:
        inherited = base.get("PYTHONPATH", "")
        env["PYTHONPATH"] = os.pathsep.join(paths[1:] + ([inherited] if inherited else []))
    for key, value in fn.env.items():
        if key != "PYTHONPATH":
            env[key] = value
    env["FC_FUNCTION_NAME"] = fn.name
    env["FC_FUNCTION_HANDLER"] = fn.handler
    env["FC_FUNCTION_MEMORY_SIZE"] = str(fn.memory_mb)
    env["FC_REGION"] = fn.region
    env["PYTHONUNBUFFERED"] = "1"
    env["FC_CODE_DIR"] = str(Path(fn.code_dir))
    return env


def python_paths(fn: FunctionSpec, layer_dirs: tuple[Path, ...] = ()) -> list[str]:
    """The function's import path as FC builds it: /code, its PYTHONPATH (mapped), then each layer's python/."""
    out = [str(fn.code_dir)]
    for p in fn.env.get("PYTHONPATH", "").split(os.pathsep):
        if not p:
            continue
        if p == "/code" or p.startswith("/code/"):
            out.append(str(fn.code_dir / p[len("/code/"):]) if p.startswith("/code/") else str(fn.code_dir))
        elif layer_dirs and (p == "/opt" or p.startswith("/opt/")):
            out += [str(d / p[len("/opt/"):]) if p.startswith("/opt/") else str(d) for d in layer_dirs]
        else:
            out.append(p)
    for d in layer_dirs:
        if str(d / "python") not in out:
            out.append(str(d / "python"))
    return out
