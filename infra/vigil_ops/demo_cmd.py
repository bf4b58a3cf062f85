"""`vigil demo`: the whole local stack plus simulated cameras uploading through the token function.

What `make demo` runs: localcloud (OSS, STS, RAM, FC runtime for s.yaml), two provisioned devices
whose configs live in the data folder, and one `vigil-camera simulate` process per device. The
indexer turns their clips into a timeline; `vigil index` / oss2 can look at it. Ctrl-C stops all.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from .local_cmd import add_stack_arguments, print_summary, start_stack, wait_for_signal

DEMO_DEVICES = ("cam-lobby", "cam-garage")


def register(sub: Any) -> None:
    p = sub.add_parser("demo", help="run localcloud + functions + simulated cameras; Ctrl-C stops it",
                       description="Start the local stack, provision demo cameras and run simulated "
                                   "cameras that upload real H.264 clips through the token function.")
    add_stack_arguments(p)
    p.add_argument("--cameras", type=int, default=len(DEMO_DEVICES), help="how many cameras (default %(default)s)")
    p.add_argument("--clip-seconds", type=int, default=10, help="clip length (default %(default)s)")
    p.add_argument("--resolution", default="640x360", help="camera resolution (default %(default)s)")
    p.add_argument("--fps", type=int, default=10, help="frames per second (default %(default)s)")
    p.set_defaults(func=run_demo)


def provision(info: Any, data_dir: Path, device_ids: list[str]) -> dict[str, Path]:
    """Register each device (once) and write its vigil-camera config; returns id → config path."""
    import oss2
    from vigil_camera.protocol import device_secret
    from vigil_fn.devices import DeviceRecord, Registry

    bucket = oss2.Bucket(oss2.Auth(info.access_key_id, info.access_key_secret), info.oss_endpoint, info.bucket)
    registry = Registry(bucket)
    master = Path(info.master_key_file).read_text().strip().encode()
    token_url = info.functions["vigil-token"]
    configs: dict[str, Path] = {}
    from .devices_cmd import write_device_config

    for device_id in device_ids:
        record = registry.get(device_id) or registry.create(DeviceRecord(device_id, name=f"demo {device_id}"))
        path = data_dir / "devices" / f"{device_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        write_device_config(path, token_url, device_id, device_secret(master, device_id, record.key_version))
        configs[device_id] = path
    return configs


def print_viewer(info: Any) -> None:
    """The viewer URL, and the admin's password the first time (it is shown once)."""
    import oss2

    from .users_cmd import DEMO_ADMIN, ensure_demo_admin

    url = info.functions.get("vigil-api")
    if not url:
        return
    bucket = oss2.Bucket(oss2.Auth(info.access_key_id, info.access_key_secret), info.oss_endpoint, info.bucket)
    password = ensure_demo_admin(bucket)
    from vigil_fn.config import ApiSettings

    built = (Path(ApiSettings.from_env().web_root) / "index.html").is_file()
    print(f"  viewer          {url}/   user {DEMO_ADMIN}" + ("" if built else "   (page not built: `make web`; "
                                                             "the API answers at /api/v1/ already)"))
    if password:
        print(f"  admin password  {password}   (shown once; change it: vigil users passwd {DEMO_ADMIN})")
    else:
        print(f"                  (reset the password: .venv/bin/vigil users passwd {DEMO_ADMIN} --generate)")


def run_demo(args: argparse.Namespace) -> int:
    cloud = start_stack(args)
    cameras: list[subprocess.Popen[bytes]] = []
    data_dir = Path(args.data).resolve()
    try:
        info = cloud.start()
        names = list(DEMO_DEVICES) + [f"cam-{i:02d}" for i in range(len(DEMO_DEVICES), args.cameras)]
        configs = provision(info, data_dir, names[: args.cameras])
        camera_bin = Path(sys.executable).with_name("vigil-camera")
        for device_id, config in configs.items():
            env = dict(os.environ, VIGIL_SPOOL_DIR=str(data_dir / "spool" / device_id))
            cameras.append(subprocess.Popen(
                [str(camera_bin), "--config", str(config), "simulate", "--fps", str(args.fps),
                 "--resolution", args.resolution, "--clip-seconds", str(args.clip_seconds)],
                env=env, stdout=subprocess.DEVNULL,
                stderr=open(data_dir / f"camera-{device_id}.log", "ab"),  # noqa: SIM115 - lives with the child
            ))
        print_summary(info)
        print_viewer(info)
        print(f"  cameras         {', '.join(configs)} (configs in {data_dir}/devices, logs camera-*.log)")
        print("Clips land under videos/<camera>/ and the indexer writes index/<camera>/<day>.jsonl.")
        print("Try:  .venv/bin/vigil devices list   |   .venv/bin/vigil-camera --config "
              f"{next(iter(configs.values()))} status")
        print("Press Ctrl-C to stop.")
        sys.stdout.flush()
        wait_for_signal()
    finally:
        for proc in cameras:
            proc.terminate()
        for proc in cameras:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        cloud.stop()
    return 0
