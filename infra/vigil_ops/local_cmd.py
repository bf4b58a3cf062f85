"""`vigil local up`: run localcloud (OSS, STS, RAM, the FC runtime for every function in s.yaml)."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

DEFAULT_DATA = os.environ.get("VIGIL_LOCAL_DATA", ".vigil/local")


def add_stack_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", default=DEFAULT_DATA, help="data folder; survives restarts (default %(default)s)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default %(default)s)")
    p.add_argument("--port", type=int, default=9000,
                   help="OSS port; STS is PORT+1, the FC API PORT+2, functions PORT+3...; 0 picks free ports")
    p.add_argument("--bucket", default="vigil-local", help="bucket to create (default %(default)s)")
    p.add_argument("--spec", default=None, help="s.yaml to run (default: the repository's)")
    p.add_argument("--function-env", action="append", default=[], metavar="KEY=VALUE", type=env_pair,
                   help="extra environment for every function, over the stack's own (repeatable; default none), "
                        "e.g. VIGIL_TOKEN_RATE_PER_MINUTE=60")


def register(sub: Any) -> None:
    local = sub.add_parser("local", help="run Vigil on this machine with localcloud")
    local_sub = local.add_subparsers(dest="local_command", metavar="COMMAND")
    local_sub.required = True
    up = local_sub.add_parser("up", help="start localcloud and the functions; Ctrl-C stops it",
                              description="Start localcloud OSS, STS and the FC runtime on a data folder.")
    add_stack_arguments(up)
    up.add_argument("--json", action="store_true",
                    help="print exactly one JSON line with endpoints and operator keys once ready")
    up.set_defaults(func=run_up)


def start_stack(args: argparse.Namespace) -> Any:
    from localcloud.common import logs
    from localcloud.stack import DEFAULT_SPEC, LocalCloud

    logs.setup(os.environ.get("VIGIL_LOG_LEVEL", "INFO"))
    spec = Path(args.spec) if args.spec else DEFAULT_SPEC
    cloud = LocalCloud(Path(args.data), host=args.host, port=args.port, bucket=args.bucket, spec_path=spec,
                       extra_env=function_env(getattr(args, "function_env", [])))
    return cloud


def env_pair(text: str) -> tuple[str, str]:
    """One `KEY=VALUE` option; a malformed one is a usage error (exit 2), not a traceback."""
    key, sep, value = text.partition("=")
    if not sep or not key or not key.replace("_", "").isalnum() or key[0].isdigit():
        raise argparse.ArgumentTypeError(f"wants KEY=VALUE with KEY like VIGIL_X, got {text!r}")
    return key, value


def function_env(pairs: list[tuple[str, str]]) -> dict[str, str]:
    return dict(pairs)


def wait_for_signal() -> None:
    """Block until SIGINT or SIGTERM."""
    stop = threading.Event()

    def _handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    while not stop.wait(0.5):
        pass


def print_summary(info: Any, out: Any = sys.stdout) -> None:
    print("Vigil localcloud is up.", file=out)
    print(f"  OSS endpoint    {info.oss_endpoint}   (bucket {info.bucket}, region {info.region})", file=out)
    print(f"  STS endpoint    {info.sts_endpoint}", file=out)
    print(f"  FC invoke API   {info.fc_endpoint}", file=out)
    for name, url in sorted(info.functions.items()):
        print(f"  function        {name:<16} {url}", file=out)
    print(f"  operator key    {info.access_key_id} (secret in {info.data_dir}/stack.json)", file=out)
    print(f"  data folder     {info.data_dir}", file=out)


def run_up(args: argparse.Namespace) -> int:
    cloud = start_stack(args)
    try:
        info = cloud.start()
        if args.json:
            sys.stdout.write(info.to_json() + "\n")
        else:
            print_summary(info)
            print("Press Ctrl-C to stop.")
        sys.stdout.flush()
        wait_for_signal()
    finally:
        cloud.stop()
    return 0
