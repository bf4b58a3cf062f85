"""`vigil devices add|list|show|disable|enable|rotate|remove`: the device registry for operators.

Records live at `_system/devices/<id>.json` and are written with the operator's key. A device's
secret is never stored: it is HMAC(master key, "<id>:<key version>"), printed once by `add` and
`rotate` (which bumps the version, so the old secret stops working at once).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import oss2
from tqdm import tqdm
from vigil_camera.protocol import validate_device_id
from vigil_fn import device_admin
from vigil_fn.devices import DeviceRecord, Registry, RegistryError

from .settings import OpsSettings, SettingsError


def register(sub: Any) -> None:
    devices = sub.add_parser("devices", help="register, list, disable, rotate and remove cameras",
                             description="The device registry (_system/devices/). Targets the local stack "
                                         "or the VIGIL_* / ALIBABA_CLOUD_* variables (docs/token-api.md).")
    dsub = devices.add_subparsers(dest="devices_command", metavar="COMMAND")
    dsub.required = True

    add = dsub.add_parser("add", help="register a device and print its secret once")
    _id(add)
    add.add_argument("--name", default="", help="human-readable name")
    add.add_argument("--notes", default="", help="free-text notes")
    _secret_outputs(add)
    add.set_defaults(func=run_add)

    lst = dsub.add_parser("list", help="all devices (table, or --json)")
    lst.add_argument("--json", action="store_true", help="one JSON array of records")
    lst.set_defaults(func=run_list)

    show = dsub.add_parser("show", help="one device's record (JSON)")
    _id(show)
    show.set_defaults(func=run_show)

    for name, status, text in (("disable", "disabled", "refuse new tokens for a device at once"),
                               ("enable", "enabled", "allow a disabled device again")):
        p = dsub.add_parser(name, help=text)
        _id(p)
        p.set_defaults(func=run_status, status=status)

    rotate = dsub.add_parser("rotate", help="bump the key version and print the new secret once")
    _id(rotate)
    _secret_outputs(rotate)
    rotate.set_defaults(func=run_rotate)

    remove = dsub.add_parser("remove", help="delete a device's record (its recordings stay)")
    _id(remove)
    remove.set_defaults(func=run_remove)


def _id(p: argparse.ArgumentParser) -> None:
    p.add_argument("device_id", metavar="ID", help="device id: ^[a-z0-9][a-z0-9-]{2,62}$")


def _secret_outputs(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help='print {"device_id", "secret", "key_version"}')
    p.add_argument("--config-out", metavar="FILE", default=None,
                   help="write a vigil-camera config (token_url, device_id, device_secret), mode 0600")
    p.add_argument("--token-url", default=None, help="token URL for --config-out (default: from settings)")


class CommandError(Exception):
    """A refusal with a message for the operator and an exit status."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


def _context(args: argparse.Namespace, need_master: bool = False) -> tuple[OpsSettings, Registry, str]:
    try:
        device_id = validate_device_id(args.device_id) if hasattr(args, "device_id") else ""
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None
    try:
        settings = OpsSettings.load()
        if need_master:
            settings.require("master_key")
        return settings, Registry(settings.bucket_client()), device_id
    except SettingsError as exc:
        raise CommandError(str(exc), 2) from None


def _guard(fn: Any) -> Any:
    """Turn refusals and OSS errors into one line on stderr and an exit status, never a traceback."""
    def run(args: argparse.Namespace) -> int:
        try:
            return int(fn(args))
        except CommandError as exc:
            print(f"vigil devices {args.devices_command}: {exc}", file=sys.stderr)
            return exc.status
        except RegistryError as exc:
            print(f"vigil devices {args.devices_command}: {exc}", file=sys.stderr)
            return 1
        except oss2.exceptions.OssError as exc:
            print(f"vigil devices {args.devices_command}: OSS refused: {exc.code} {exc.message}",
                  file=sys.stderr)
            return 1
    run.__doc__ = fn.__doc__
    return run


def write_device_config(path: Path, token_url: str, device_id: str, secret: str) -> None:
    """The vigil-camera config file, private to its owner (0600 even if it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"token_url": token_url, "device_id": device_id, "device_secret": secret}, f, indent=2)
        f.write("\n")


def _emit_secret(args: argparse.Namespace, settings: OpsSettings, record: DeviceRecord, verb: str) -> int:
    url = args.token_url or settings.token_url
    secret = device_admin.device_config(settings.master_key, url, record)["device_secret"]
    if args.config_out:
        if not url:
            raise CommandError("--config-out needs the token URL: pass --token-url or set VIGIL_TOKEN_URL", 2)
        write_device_config(Path(args.config_out), url, record.device_id, secret)
    if args.json:
        print(json.dumps({"device_id": record.device_id, "secret": secret,
                          "key_version": record.key_version}))
    else:
        print(f"device {record.device_id} {verb} (key version {record.key_version})")
        print(f"secret: {secret}")
        print("The secret is shown once: store it on the device"
              + (f" (written to {args.config_out})." if args.config_out else "."))
    return 0


@_guard
def run_add(args: argparse.Namespace) -> int:
    settings, registry, device_id = _context(args, need_master=True)
    try:
        record = device_admin.add(registry, device_id, name=args.name, notes=args.notes)
    except ValueError as exc:
        raise CommandError(str(exc), 2) from None
    return _emit_secret(args, settings, record, "added")


@_guard
def run_rotate(args: argparse.Namespace) -> int:
    settings, registry, device_id = _context(args, need_master=True)
    return _emit_secret(args, settings, device_admin.rotate(registry, device_id), "rotated")


@_guard
def run_status(args: argparse.Namespace) -> int:
    _, registry, device_id = _context(args)
    record = device_admin.set_status(registry, device_id, args.status)
    print(f"device {record.device_id} {record.status}")
    return 0


@_guard
def run_show(args: argparse.Namespace) -> int:
    _, registry, device_id = _context(args)
    print(registry.require(device_id).to_json().decode())
    return 0


@_guard
def run_remove(args: argparse.Namespace) -> int:
    _, registry, device_id = _context(args)
    device_admin.remove(registry, device_id)
    print(f"device {device_id} removed (its recordings stay until retention deletes them)")
    return 0


@_guard
def run_list(args: argparse.Namespace) -> int:
    _, registry, _ = _context(args)
    ids = list(registry.ids())
    records = []
    for device_id in tqdm(ids, desc="devices", unit="dev", disable=None, file=sys.stderr, leave=False):
        record = registry.get(device_id)
        if record is not None:
            records.append(record)
    if args.json:
        print(json.dumps([json.loads(r.to_json()) for r in records], indent=1))
        return 0
    header = ("ID", "STATUS", "KEY", "CREATED", "NAME")
    rows = [(r.device_id, r.status, str(r.key_version), r.created, r.name) for r in records]
    widths = [max(len(x) for x in col) for col in zip(header, *rows, strict=True)]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if not rows:
        print("(no devices)")
    return 0
