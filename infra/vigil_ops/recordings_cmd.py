"""`vigil timeline`, `vigil clips url|download|delete`, `vigil playlist`: recordings from a terminal.

The same modules as the viewer API (`vigil_fn.api.index_view`, `.playlist`, `.presign`), with the
operator's key: the timeline is the index's, playlists are built by the same RFC 8216 builder, and
URLs are presigned for at most 15 minutes.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import oss2
from oss2.utils import Crc64
from tqdm import tqdm
from vigil_camera.crc import without_crc
from vigil_camera.keys import parse_clip_key
from vigil_camera.protocol import validate_device_id
from vigil_fn.api import index_view
from vigil_fn.api.presign import MAX_URL_TTL, UrlSigner
from vigil_fn.api.times import day_start_ms, iso, parse_instant
from vigil_fn.api.vod import VodError, build_vod
from vigil_fn.core.bodies import iter_body

from . import oplog
from .guard import command_name, guarded
from .i18n import _, describe, ngettext
from .index_cmd import day_arg
from .settings import OpsSettings, SettingsError


class CommandError(Exception):
    pass


def register(sub: Any) -> None:
    tl = sub.add_parser("timeline", help=_("a camera's clips and gaps (a day, or --from/--to)"),
                        description=_("Clips and gaps of one camera from the recording index."))
    tl.add_argument("camera", metavar="CAM", help=_("camera id"))
    when = tl.add_mutually_exclusive_group()
    when.add_argument("--day", default=None, type=day_arg, help=_("YYYY-MM-DD, UTC (default: today)"))
    when.add_argument("--from", dest="start", default=None, help=_("ISO-8601 or epoch ms (default: --day)"))
    tl.add_argument("--to", dest="end", default=None, help=_("end with --from (default: --from + 1 day)"))
    tl.add_argument("--json", action="store_true", help=_("the items as JSON, as the API answers them"))
    tl.set_defaults(func=run_timeline)

    clips = sub.add_parser("clips", help=_("one clip: presigned url, download, delete"))
    csub = clips.add_subparsers(dest="clips_command", metavar="COMMAND")
    csub.required = True
    url = csub.add_parser("url", help=_("a presigned GET URL for a clip (≤ 15 min)"))
    url.add_argument("key", metavar="KEY", help=_("clip key videos/<cam>/YYYY/MM/DD/..."))
    url.add_argument("--ttl", type=int, default=MAX_URL_TTL, help=_("seconds, 60..900 (default %(default)s)"))
    url.set_defaults(func=run_url)
    dl = csub.add_parser("download", help=_("download a clip (with a progress bar)"))
    dl.add_argument("key", metavar="KEY", help=_("clip key"))
    dl.add_argument("-o", "--output", default=None, help=_("file (default: <camera>_<time>.<ext> here)"))
    dl.set_defaults(func=run_download)
    rm = csub.add_parser("delete", help=_("delete a clip (the indexer then drops it from the timeline)"))
    rm.add_argument("key", metavar="KEY", help=_("clip key"))
    rm.add_argument("--yes", action="store_true", help=_("do not ask"))
    rm.set_defaults(func=run_delete)

    pl = sub.add_parser("playlist", help=_("an HLS VOD playlist with presigned URLs (≤ 1 h)"),
                        description=_("Write an .m3u8 that ffplay/VLC/mpv can play for 15 minutes."))
    pl.add_argument("camera", metavar="CAM", help=_("camera id"))
    pl.add_argument("--from", dest="start", required=True, help=_("ISO-8601 with offset, or epoch ms"))
    pl.add_argument("--to", dest="end", required=True, help=_("ISO-8601 with offset, or epoch ms (≤ 1 h later)"))
    pl.add_argument("-o", "--output", default="-", help=_("file, or - for stdout (default %(default)s)"))
    pl.set_defaults(func=run_playlist)


_guard = guarded(command_name("clips_command"), usage=(CommandError, ValueError, SettingsError))


def _bucket() -> tuple[OpsSettings, oss2.Bucket]:
    settings = OpsSettings.load()
    return settings, settings.bucket_client()


def _signer(settings: OpsSettings, ttl: int = MAX_URL_TTL) -> UrlSigner:
    return UrlSigner(settings.oss_endpoint, settings.bucket, ttl, None,
                     fallback=(settings.access_key_id, settings.access_key_secret, None))


def _camera(text: str) -> str:
    try:
        return validate_device_id(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def _known_camera(bucket: oss2.Bucket, camera: str) -> None:
    """A camera the registry has never heard of is a typo, not a day-long gap."""
    from vigil_fn.core.devices import Registry

    if Registry(bucket).get(camera) is None:
        raise CommandError(_("no such camera: %(camera)s (`vigil devices list` shows the cameras)")
                           % {"camera": camera})


def _key(text: str) -> str:
    if parse_clip_key(text) is None:
        raise CommandError(_("KEY must be a clip key: videos/<camera>/YYYY/MM/DD/HHMMSSmmmZ-<seq>.ts|mp4"))
    return text


def _range(args: argparse.Namespace) -> tuple[int, int]:
    if args.start is not None:
        start = parse_instant(args.start)
        end = parse_instant(args.end) if args.end else start + 86_400_000
    else:
        if args.end:
            raise CommandError(_("--to needs --from"))
        day = args.day or datetime.now(timezone.utc).date()
        start = day_start_ms(day)
        end = day_start_ms(day + timedelta(days=1))
    if end <= start or end - start > index_view.MAX_SPAN_MS:
        raise CommandError(_("the range must end after it starts and span at most 7 days"))
    return start, end


@_guard
def run_timeline(args: argparse.Namespace) -> int:
    camera = _camera(args.camera)
    start, end = _range(args)
    _settings, bucket = _bucket()
    _known_camera(bucket, camera)
    items = index_view.items(index_view.timeline(bucket, camera, start, end))
    if args.json:
        print(json.dumps({"camera": camera, "start": start, "end": end, "items": items}, indent=1))
        return 0
    clips = [i for i in items if i["type"] == "clip"]
    for item in items:
        span = f"{iso(item['start'])}  {iso(item['end'])}"
        if item["type"] == "gap":
            print(_("%(span)s  gap    %(seconds)s s") % {"span": span,
                                                         "seconds": f"{(item['end'] - item['start']) / 1000:9.1f}"})
        else:
            print(f"{span}  {item['status']:<10} {item['size']:>10} B  {item['key']}")
    gaps = sum(1 for i in items if i["type"] == "gap")
    print(ngettext("%(n)s clip", "%(n)s clips", len(clips)) % {"n": len(clips)} + ", "
          + ngettext("%(n)s byte", "%(n)s bytes", sum(c["size"] for c in clips)) % {"n": sum(c["size"] for c in clips)}
          + ", " + ngettext("%(n)s gap", "%(n)s gaps", gaps) % {"n": gaps})
    return 0


@_guard
def run_url(args: argparse.Namespace) -> int:
    key = _key(args.key)
    if not 60 <= args.ttl <= MAX_URL_TTL:
        raise CommandError(_("--ttl is 60..%(max)s seconds") % {"max": MAX_URL_TTL})
    settings, bucket = _bucket()
    if not bucket.object_exists(key):
        raise CommandError(_("no such clip: %(key)s") % {"key": key})
    print(_signer(settings, args.ttl).sign(key).url)
    return 0


@_guard
def run_download(args: argparse.Namespace) -> int:
    key = _key(args.key)
    parsed = parse_clip_key(key)
    assert parsed is not None
    out = Path(args.output or f"{parsed.device_id}_{parsed.start:%Y-%m-%dT%H-%M-%S}Z.{parsed.ext}")
    _settings, bucket = _bucket()
    size = download_checked(bucket, key, out)
    print(ngettext("%(path)s (%(n)s byte)", "%(path)s (%(n)s bytes)", size) % {"path": out, "n": size})
    return 0


def download_checked(bucket: oss2.Bucket, key: str, out: Path) -> int:
    """Download one object to `out` with a progress bar, its CRC-64 checked against the object's (as oss2
    would), a MiB at a time (oss2's own read goes 8 KiB at a time). A failed download never leaves a half
    file under the real name. Returns the size."""
    tmp = out.with_name(out.name + ".part")
    result = without_crc(bucket).get_object(key)
    size = int(result.content_length or 0)
    crc = Crc64()
    with tqdm(total=size, unit="B", unit_scale=True, desc=out.name, disable=None, file=sys.stderr) as bar, \
            open(tmp, "wb") as fh:
        for block in iter_body(result):
            fh.write(block)
            crc.update(block)
            bar.update(len(block))
    expected = result.server_crc
    if expected is not None and int(crc.crc) != int(expected):
        tmp.unlink()
        raise CommandError(_("%(key)s: the download's CRC-64 %(got)s is not the object's %(expected)s; try again")
                           % {"key": key, "got": crc.crc, "expected": expected})
    tmp.replace(out)
    return size


@_guard
def run_delete(args: argparse.Namespace) -> int:
    key = _key(args.key)
    settings, bucket = _bucket()
    if not bucket.object_exists(key):
        raise CommandError(_("no such clip: %(key)s") % {"key": key})
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError(_("refusing to delete without --yes when not on a terminal"))
        if input(_("delete %(key)s? [y/N] ") % {"key": key}).strip().lower() not in ("y", "yes"):
            print(_("kept"))
            return 1
    bucket.delete_object(key)
    oplog.record(settings, "clip_delete", target=key)
    print(_("deleted %(key)s") % {"key": key})
    return 0


@_guard
def run_playlist(args: argparse.Namespace) -> int:
    camera = _camera(args.camera)
    start, end = parse_instant(args.start), parse_instant(args.end)
    settings, bucket = _bucket()
    try:
        text, count = build_vod(bucket, _signer(settings), camera, start, end)
    except VodError as exc:
        raise CommandError(describe(exc)) from None   # its template, in the locale's language
    if args.output == "-":
        sys.stdout.write(text)
    else:
        Path(args.output).write_text(text)
        print(ngettext("%(path)s: %(n)s segment, valid for %(minutes)s minutes",
                       "%(path)s: %(n)s segments, valid for %(minutes)s minutes", count)
              % {"path": args.output, "n": count, "minutes": MAX_URL_TTL // 60}, file=sys.stderr)
    return 0
