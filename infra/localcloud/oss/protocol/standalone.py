"""Run the OSS server alone (no STS/FC) on a data folder: for benchmarks and debugging.

`python -m localcloud.oss.protocol.standalone --data DIR [--port 0] [--bucket NAME]` prints one
JSON line (endpoint, bucket, operator access key id and secret) and serves until interrupted.
The operator key is written to stdout only, for the process that started it.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import uuid
from pathlib import Path

from localcloud.common import logs
from localcloud.common.clock import Clock

REPO_RAM_DIR = Path(__file__).resolve().parents[4] / "infra" / "ram"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True, type=Path, help="data folder (created if missing)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--bucket", default="vigil-local", help="bucket to create if missing")
    parser.add_argument("--region", default="cn-hangzhou")
    parser.add_argument("--account-id", default="1000000000000000")
    parser.add_argument("--ram-dir", type=Path, default=REPO_RAM_DIR)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)

    from localcloud.common.httpserver import ServerThread
    from localcloud.oss.errors import OSSError
    from localcloud.oss.model.store import Store
    from localcloud.oss.protocol.server import make_server
    from localcloud.oss.protocol.service import OSSService
    from localcloud.ram.model import RamModel

    logs.setup(args.log_level)
    clock = Clock()
    args.data.mkdir(parents=True, exist_ok=True)
    ram = RamModel.load(args.ram_dir, args.data / "ram", args.account_id, args.bucket, clock)
    store = Store(args.data / "oss", clock, args.region, args.account_id)
    try:
        store.create_bucket(args.bucket)
    except OSSError:
        pass  # already there
    server = make_server(OSSService(store, ram, clock, uuid.uuid4().hex), args.host, args.port)
    thread = ServerThread(server, "localcloud-oss").start()
    ak, secret = ram.operator_key()
    print(json.dumps({"endpoint": f"http://{args.host}:{server.port}", "bucket": args.bucket,
                      "access_key_id": ak, "access_key_secret": secret}), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    thread.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
