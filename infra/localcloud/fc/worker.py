"""The worker process: imports one function's handler and runs invocations sent by the runtime.

Started as `python -m localcloud.fc.worker IN_FD OUT_FD` with cwd = the function's code folder.
Frames (see protocol.py) arrive on IN_FD and answers leave on OUT_FD; stdout/stderr are the
function's log (the runtime turns each line into a structured log record).
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import logging
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any

from localcloud.fc.context import Credentials, FCContext, FunctionMeta, ServiceMeta
from localcloud.fc.protocol import ChannelClosed, read_frame, write_frame

_PLAIN = (bytes, str, dict, list, int, float, bool, type(None))
END_MARK = "\x1elocalcloud-invocation-end:"
"""Written to stdout after an invocation, before its answer: everything the invocation printed
is ahead of it in the pipe, so the runtime's log tail is complete once it has read the mark."""


def mark_end(request_id: str) -> None:
    """Flush what the handler wrote, then the end mark (stderr shares stdout's pipe)."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # the handler closed it
            pass
    try:
        os.write(1, f"{END_MARK}{request_id}\n".encode())
    except OSError:
        pass


def error_doc(exc: BaseException) -> dict[str, Any]:
    """FC's error shape for an unhandled exception."""
    return {
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "stackTrace": traceback.format_list(traceback.extract_tb(exc.__traceback__)),
    }


def resolve(spec: str) -> Callable[..., Any]:
    """`module.fn` (the module may be dotted) → the callable."""
    module_name, _, attr = spec.rpartition(".")
    if not module_name:
        raise ValueError(f"handler {spec!r} is not of the form module.function")
    return getattr(importlib.import_module(module_name), attr)  # type: ignore[no-any-return]


class PackageBoundary(importlib.abc.MetaPathFinder):
    """Refuses a top-level module the function's package does not hold (localcloud.fc.packaging, "source" mode).

    The venv stays on the path for localcloud's own sake; a module from a distribution the package does not
    declare is looked for only in the package's own folders, and is otherwise missing, as it is on FC.
    """

    def __init__(self, blocked: list[str], package_paths: list[str]) -> None:
        self.blocked = frozenset(blocked)
        self.package_paths = list(package_paths)

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if path is not None or fullname not in self.blocked:
            return None
        found = importlib.machinery.PathFinder.find_spec(fullname, self.package_paths)
        if found is None:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return found


class Worker:
    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        self.function = FunctionMeta(**config["function"])
        self.service = ServiceMeta(**config["service"])
        self.logger = logging.getLogger("fc.function")
        if not self.logger.handlers:
            h = logging.StreamHandler(sys.stderr)
            h.setFormatter(logging.Formatter("%(asctime)s %(request_id)s [%(levelname)s] %(message)s"))
            self.logger.addHandler(h)
            self.logger.setLevel(logging.INFO)
            self.logger.propagate = False
        self._handler: Callable[..., Any] | None = None
        self._initialized = self.function.initializer is None

    def _context(self, request_id: str, creds: tuple[str, str, str]) -> FCContext:
        credentials = Credentials(*creds)
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"] = credentials.access_key_id
        os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] = credentials.access_key_secret
        os.environ["ALIBABA_CLOUD_SECURITY_TOKEN"] = credentials.security_token
        logger = logging.LoggerAdapter(self.logger, {"request_id": request_id})
        return FCContext(request_id, credentials, self.function, self.service, self.config["region"],
                         self.config["account_id"], logger)  # type: ignore[arg-type]

    def invoke(self, request_id: str, payload: bytes, creds: tuple[str, str, str]) -> tuple[str, Any]:
        ctx = self._context(request_id, creds)
        if not self._initialized:
            try:
                resolve(self.function.initializer or "")(ctx)
            except Exception as exc:  # noqa: BLE001 - reported to the caller as FC does
                traceback.print_exc()
                doc = error_doc(exc)
                doc["initializer"] = True
                return "error", doc
            self._initialized = True
        try:
            if self._handler is None:
                self._handler = resolve(self.function.handler)
            value = self._handler(payload, ctx)
        except Exception as exc:  # noqa: BLE001
            traceback.print_exc()
            return "error", error_doc(exc)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        if not isinstance(value, _PLAIN):
            value = str(value)
        return "ok", value


def main(argv: list[str]) -> int:
    in_fd, out_fd = int(argv[0]), int(argv[1])
    try:
        config = read_frame(in_fd)
    except ChannelClosed:
        return 0
    sys.path.insert(0, config["code_dir"])
    if config.get("isolated"):  # the folder localcloud came from is the worker's, not the function's
        own = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != own]
    if config.get("blocked_modules"):
        sys.meta_path.insert(0, PackageBoundary(config["blocked_modules"], config.get("package_paths") or []))
    worker = Worker(config)
    write_frame(out_fd, ("ready",))
    while True:
        try:
            message = read_frame(in_fd)
        except ChannelClosed:
            return 0
        if message[0] == "invoke":
            _, request_id, payload, creds = message
            answer = worker.invoke(request_id, payload, creds)
            mark_end(request_id)
            write_frame(out_fd, answer)
        elif message[0] == "stop":
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
