"""`vigil export create|show`: start a signed export from a terminal, follow it, download it.

The same job store and the same function as the page's Exports screen (`vigil_fn.export.jobs`,
`vigil_fn.export.invoke`): `create` writes the queued job under `--user` (the name the manifest
records as `exported_by`, and whose Exports screen lists it) and invokes `vigil-export` asynchronously
through fc2 with the operator's key. `--wait` follows the job's progress; `--out DIR` then downloads
the MP4(s) and the signed manifest, each checked against the object's CRC-64, ready for `vigil verify`.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import oss2
from tqdm import tqdm
from vigil_camera.protocol import validate_device_id
from vigil_fn.api.times import iso, parse_instant
from vigil_fn.core.clients import FunctionCredentials
from vigil_fn.core.config import ExportSettings
from vigil_fn.export.invoke import start_export
from vigil_fn.export.jobs import ExportJob, JobError, JobStore, validate_user

from . import oplog
from .guard import command_name, guarded
from .i18n import _, describe, ngettext
from .recordings_cmd import download_checked
from .settings import OpsSettings, SettingsError

DEFAULT_USER = "operator"
POLL_S = 1.0
EXIT_FAILED = 1


class CommandError(Exception):
    pass


_guard = guarded(command_name("export_command"), usage=(CommandError, ValueError, SettingsError),
                 refused=(JobError,))


def register(sub: Any) -> None:
    ex = sub.add_parser("export", help=_("signed exports: start one, follow it, download it"),
                        description=_("Exports as the Exports screen makes them: one MP4 per camera over one "
                                    "range, under one signed manifest (docs/evidence.md)."))
    ex_sub = ex.add_subparsers(dest="export_command", metavar="COMMAND")
    ex_sub.required = True
    cr = ex_sub.add_parser("create", help=_("start an export of one or more cameras over a range"),
                           description=_("Writes the export job and starts the export function. With --wait, "
                                       "shows its progress until it is done; with --out, downloads its MP4(s) "
                                       "and signed manifest. Exit 0 when started (or, waiting, done); 1 when "
                                       "the export failed; 2 on bad input."))
    cr.add_argument("--camera", dest="cameras", action="append", required=True, metavar="CAM",
                    help=_("camera id; give it 2-9 times for one export of several cameras"))
    cr.add_argument("--start", required=True, help=_("ISO-8601 with an offset, or epoch ms"))
    cr.add_argument("--end", required=True, help=_("ISO-8601 with an offset, or epoch ms"))
    _common(cr)
    cr.set_defaults(func=run_create)
    sh = ex_sub.add_parser("show", help=_("an export's state; wait for it and download it"),
                           description=_("Prints one export job (from `vigil export create`, or a user's from "
                                       "the Exports screen). --wait and --out as for create."))
    sh.add_argument("export_id", metavar="ID", help=_("the export's id (printed by create)"))
    _common(sh)
    sh.set_defaults(func=run_show)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", default=DEFAULT_USER,
                   help=_("whose export: recorded as exported_by in the manifest, listed on that user's "
                          "Exports screen (default %(default)s)"))
    p.add_argument("--wait", action="store_true", help=_("follow the export until it is done or failed"))
    p.add_argument("--out", metavar="DIR", default=None,
                   help=_("download the MP4(s) and the signed manifest into DIR once done (implies --wait; "
                          "default: no download)"))
    p.add_argument("--timeout", type=int, default=1800,
                   help=_("seconds to wait at most (default %(default)s)"))
    p.add_argument("--json", action="store_true", help=_("print the job as one JSON object"))


def _settings(ops: OpsSettings) -> ExportSettings:
    return dataclasses.replace(ExportSettings.from_env(), fc_endpoint=ops.fc_endpoint)


def _cameras(values: list[str], bucket: oss2.Bucket) -> list[str]:
    from vigil_fn.core.devices import Registry

    registry = Registry(bucket)
    for cam in values:
        try:
            validate_device_id(cam)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        if registry.get(cam) is None:
            raise CommandError(_("no such camera: %(camera)s (`vigil devices list` shows the cameras)")
                               % {"camera": cam})
    return values


def _user(text: str) -> str:
    try:
        return validate_user(text)
    except JobError as exc:
        raise CommandError(describe(exc)) from None


@_guard
def run_create(args: argparse.Namespace) -> int:
    user = _user(args.user)
    start, end = parse_instant(args.start), parse_instant(args.end)
    ops = OpsSettings.load().require("fc_endpoint")
    bucket = ops.bucket_client()
    cameras = _cameras(args.cameras, bucket)
    settings = _settings(ops)
    store = JobStore(bucket, settings)
    try:
        job = store.create(user, cameras[0], start, end, cameras=cameras if len(cameras) > 1 else None)
    except JobError as exc:
        if exc.status == 400:       # bad input (range, cameras): a usage error, exit 2
            raise CommandError(describe(exc)) from None
        raise                       # too many running: refused, exit 1
    try:
        start_export(settings, FunctionCredentials(ops.access_key_id, ops.access_key_secret, None), user, job.id)
    except Exception as exc:  # noqa: BLE001 - the job says why; the page's Retry (or `create` again) restarts it
        job.state, job.error = "failed", "the export function could not be started; retry later"
        store.save(job)
        raise CommandError(_("the export function could not be started (%(error)s)")
                           % {"error": type(exc).__name__}) from None
    oplog.record(ops, "export_start", target=",".join(cameras), detail=f"export {job.id} as {user}")
    if not args.json:
        print(_("export %(id)s started: %(cameras)s, %(start)s – %(end)s")
              % {"id": job.id, "cameras": ", ".join(cameras), "start": iso(start), "end": iso(end)},
              file=sys.stderr)
    return _follow(args, store, job, bucket)


@_guard
def run_show(args: argparse.Namespace) -> int:
    user = _user(args.user)
    ops = OpsSettings.load()
    bucket = ops.bucket_client()
    store = JobStore(bucket, _settings(ops))
    job = store.require(user, args.export_id)
    return _follow(args, store, job, bucket)


def _follow(args: argparse.Namespace, store: JobStore, job: ExportJob, bucket: oss2.Bucket) -> int:
    stale = store.settings.stale_s
    if args.wait or args.out:
        job = wait(store, job, timeout_s=args.timeout, show=not args.json)
    doc = job.public(stale)
    if doc["state"] == "done" and args.out:
        doc["downloaded"] = download(bucket, job, Path(args.out))
    if args.json:
        print(json.dumps(doc))
    else:
        _print(doc)
    return EXIT_FAILED if doc["state"] == "failed" else 0


def wait(store: JobStore, job: ExportJob, *, timeout_s: float, show: bool,
         sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> ExportJob:
    """Reads the job every POLL_S until done or failed (a job whose function died reads as failed after
    the stale time), with a progress bar in percent."""
    deadline = clock() + timeout_s
    stale = store.settings.stale_s
    with tqdm(total=100, unit="%", desc=_("exporting"), disable=not show or None, file=sys.stderr,
              bar_format="{l_bar}{bar}| {n:.0f}/{total} % [{elapsed}]") as bar:
        while True:
            state = job.effective_state(stale)
            bar.update(round(job.progress * 100, 1) - bar.n)
            if state in ("done", "failed"):
                return job
            if clock() > deadline:
                raise CommandError(_("export %(id)s is still %(state)s after %(seconds)s s; follow it with "
                                     "`vigil export show %(id)s --user %(user)s --wait`")
                                   % {"id": job.id, "state": state, "seconds": timeout_s, "user": job.user})
            sleep(POLL_S)
            job = store.require(job.user, job.id)


def download(bucket: oss2.Bucket, job: ExportJob, out: Path) -> list[str]:
    """Every MP4 of a done job and its signed manifest into `out`, under their download names."""
    out.mkdir(parents=True, exist_ok=True)
    pairs = [(f["key"], out / f["filename"]) for f in job.outputs()]
    if job.manifest_key:
        pairs.append((job.manifest_key, out / job.manifest_filename))
    for key, path in pairs:
        download_checked(bucket, key, path)
    return [str(p) for _key, p in pairs]


def _print(doc: dict[str, Any]) -> None:
    print(_("export %(id)s (%(user)s): %(state)s") % {"id": doc["id"], "user": doc["user"], "state": doc["state"]})
    if doc["state"] == "failed":
        print(_("  error: %(error)s") % {"error": doc.get("error") or "?"})
        return
    for f in doc.get("files") or []:
        print(ngettext("  %(camera)s: %(name)s, %(size)s byte, sha256 %(sha256)s",
                       "  %(camera)s: %(name)s, %(size)s bytes, sha256 %(sha256)s", int(f.get("size") or 0))
              % {"camera": f["camera"], "name": f["filename"], "size": f.get("size"), "sha256": f.get("sha256")})
    for path in doc.get("downloaded") or []:
        print(_("  downloaded %(path)s") % {"path": path})
    if doc.get("downloaded"):
        print(_("  check it offline: vigil verify FILE.mp4 --manifest M --public-key K"))
