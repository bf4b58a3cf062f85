"""`vigil index backfill|verify|rebuild|compact|close|health`: operator tools for the recording index.

`backfill` sends existing clips to the indexer function through the `fc2` SDK (Async invocations,
exactly as against the cloud); `verify` compares the index with the bucket; `rebuild` rewrites one
day's log from the bucket (the indexer's own code builds every entry); `close` writes a day's exact
calendar totals; `compact` writes a whole day's segments; `health` rebuilds and prints the fleet's health object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

import oss2
from tqdm import tqdm
from vigil_camera.keys import (
    VIDEOS,
    ClipKey,
    day_prefix,
    index_key,
    index_segments_key,
    index_sums_key,
    parse_clip_key,
    videos_prefix,
)
from vigil_camera.protocol import validate_device_id
from vigil_fn.core.events import OssEventRecord
from vigil_fn.indexer import health as index_health
from vigil_fn.indexer import reader
from vigil_fn.indexer.compact import DEFAULT_SEGMENT_BYTES, close_day, compact_day
from vigil_fn.indexer.service import Options, index_record

from .guard import command_name, guarded
from .i18n import _
from .settings import OpsSettings, SettingsError

INDEXER_FUNCTION = "vigil-indexer"
SERVICE = "vigil"


def register(sub: Any) -> None:
    p = sub.add_parser("index", help=_("the recording index: backfill, verify, rebuild, close, compact; camera health"))
    s = p.add_subparsers(dest="index_command", metavar="COMMAND")
    s.required = True
    b = s.add_parser("backfill", help=_("send existing clips to the indexer function (fc2, Async)"))
    b.add_argument("--device", help=_("only this device (default: every device)"))
    b.add_argument("--since", type=day_arg, help=_("only clips on or after this day, YYYY-MM-DD (default: all)"))
    b.add_argument("--function", default=INDEXER_FUNCTION, help=_("indexer function name (default %(default)s)"))
    b.set_defaults(func=_guard(run_backfill))
    v = s.add_parser("verify", help=_("compare the index with the bucket: missing and stale entries"),
                     description=_("Exit 0 when the index matches the bucket, 1 when entries are missing or "
                                 "stale (or the device does not exist)."))
    v.add_argument("--device", help=_("only this device (default: every device)"))
    v.add_argument("--since", type=day_arg, help=_("only days on or after this day, YYYY-MM-DD (default: all)"))
    v.add_argument("--json", action="store_true", help=_("print the report as JSON (default: text)"))
    v.set_defaults(func=_guard(run_verify))
    r = s.add_parser("rebuild", help=_("rewrite one day's log from the bucket"))
    r.add_argument("--device", required=True, help=_("the device whose day to rebuild (required)"))
    r.add_argument("--day", required=True, type=day_arg, help=_("the UTC day, YYYY-MM-DD (required)"))
    r.set_defaults(func=_guard(run_rebuild))
    c = s.add_parser("close", help=_("write a day's exact totals to the month calendar (also done automatically)"))
    c.add_argument("--device", required=True, help=_("device id"))
    c.add_argument("--day", required=True, type=day_arg, help=_("the UTC day, YYYY-MM-DD"))
    c.set_defaults(func=_guard(run_close))
    k = s.add_parser("compact", help=_("write a day's compacted segments from its whole log (days indexed "
                                     "before compaction existed), then close it"))
    k.add_argument("--device", required=True, help=_("device id"))
    k.add_argument("--day", required=True, type=day_arg, help=_("the UTC day, YYYY-MM-DD"))
    k.add_argument("--segment-bytes", type=int, default=DEFAULT_SEGMENT_BYTES,
                   help=_("segment size; must match the indexer's VIGIL_INDEX_SEGMENT_BYTES (default %(default)s)"))
    k.set_defaults(func=_guard(run_compact))
    h = s.add_parser("health", help=_("rebuild index/_health.json from every device's health and print it"))
    h.add_argument("--json", action="store_true", help=_("print the health object as JSON"))
    h.set_defaults(func=_guard(run_health))


def day_arg(text: str) -> date:
    """argparse type for a day: a message that says the format, not `invalid fromisoformat value`."""
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            _("%(text)r is not a day: use YYYY-MM-DD, e.g. 2026-11-28 (%(error)s)")
            % {"text": text, "error": exc}) from None


_guard = guarded(command_name("index_command"), usage=(SettingsError, ValueError), refused=(LookupError,))


def iter_clips(bucket: oss2.Bucket, device: str | None, since: date | None) -> Iterator[tuple[ClipKey, Any]]:
    prefix = videos_prefix(device) if device else VIDEOS
    for info in oss2.ObjectIteratorV2(bucket, prefix=prefix):
        clip = parse_clip_key(info.key)
        if clip is None or (since and clip.day < since):
            continue
        yield clip, info


def synthetic_record(bucket_name: str, info: Any) -> dict[str, Any]:
    """The OSS event FC would have delivered for an existing object (event time = its Last-Modified)."""
    when = datetime.fromtimestamp(info.last_modified, tz=timezone.utc)
    return {
        "eventName": "ObjectCreated:PutObject", "eventSource": "acs:oss", "eventVersion": "1.0",
        "eventTime": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "oss": {"bucket": {"name": bucket_name}, "object": {"key": info.key, "size": info.size,
                                                            "eTag": info.etag.strip('"')}},
        "responseElements": {"requestId": "backfill"},
    }


def run_backfill(args: argparse.Namespace) -> int:
    import fc2

    settings = OpsSettings.load().require("fc_endpoint")
    bucket = settings.bucket_client()
    client = fc2.Client(endpoint=settings.fc_endpoint, accessKeyID=settings.access_key_id,
                        accessKeySecret=settings.access_key_secret)
    clips = list(iter_clips(bucket, args.device, args.since))
    for _key, info in tqdm(clips, desc="backfill", unit="clip", file=sys.stderr):
        payload = json.dumps({"events": [synthetic_record(settings.bucket, info)]})
        client.invoke_function(SERVICE, args.function, payload=payload,
                               headers={"x-fc-invocation-type": "Async"})
    print(_("sent %(n)s clip(s) to %(function)s") % {"n": len(clips), "function": args.function})
    return 0


def verify(bucket: oss2.Bucket, device: str | None, since: date | None) -> dict[str, list[str]]:
    """Clips in the bucket missing from the index, and index entries whose object is gone or changed."""
    in_bucket: dict[tuple[str, date], dict[str, str]] = {}
    for clip, info in iter_clips(bucket, device, since):
        in_bucket.setdefault((clip.device_id, clip.day), {})[info.key] = info.etag.strip('"').upper()
    report: dict[str, list[str]] = {"missing": [], "stale": []}
    days = set(in_bucket)
    prefix = f"index/{device}/" if device else "index/"
    for info in oss2.ObjectIteratorV2(bucket, prefix=prefix):
        parts = info.key.split("/")
        if len(parts) == 3 and parts[2].endswith(".jsonl"):
            try:
                day = date.fromisoformat(parts[2][:-6])
            except ValueError:
                continue
            if not since or day >= since:
                days.add((parts[1], day))
    for dev, day in sorted(days):
        indexed = {c.key: c.etag for c in reader.day_clips(bucket, dev, day)}
        objects = in_bucket.get((dev, day), {})
        report["missing"] += sorted(k for k in objects if k not in indexed)
        report["stale"] += sorted(k for k, etag in indexed.items() if objects.get(k) not in (etag, None) or
                                  k not in objects)
    return report


def require_device(bucket: oss2.Bucket, device: str) -> None:
    """A device the registry knows, or one whose recordings are still there (removed devices keep
    them); anything else is a typo that must not pass as "index is fine"."""
    from vigil_fn.core.devices import Registry

    validate_device_id(device)
    if Registry(bucket).get(device) is not None:
        return
    for prefix in (videos_prefix(device), f"index/{device}/"):
        if bucket.list_objects_v2(prefix=prefix, max_keys=1).object_list:
            return
    raise LookupError(_("no such device: %(device)s (see `vigil devices list`)") % {"device": device})


def run_verify(args: argparse.Namespace) -> int:
    bucket = OpsSettings.load().bucket_client()
    if args.device:
        require_device(bucket, args.device)
    report = verify(bucket, args.device, args.since)
    if args.json:
        print(json.dumps(report))
    else:
        print(_("missing from the index: %(n)s") % {"n": len(report["missing"])})
        for key in report["missing"]:
            print(f"  {key}")
        print(_("stale index entries: %(n)s") % {"n": len(report["stale"])})
        for key in report["stale"]:
            print(f"  {key}")
    return 1 if report["missing"] or report["stale"] else 0


def _now_ms() -> int:
    """The command's clock (the edge: the indexer's functions take `now_ms`)."""
    return int(time.time() * 1000)


def rebuild(bucket: oss2.Bucket, device: str, day: date) -> int:
    """Replace a day's log with entries for the clips the bucket holds now; returns how many."""
    infos = [info for info in oss2.ObjectIteratorV2(bucket, prefix=day_prefix(device, day))
             if parse_clip_key(info.key)]
    log_key = index_key(device, day)
    for key in (log_key, index_segments_key(device, day), index_sums_key(device, day)):
        bucket.delete_object(key)
    now = _now_ms()
    for info in tqdm(infos, desc="rebuild", unit="clip", file=sys.stderr):
        record = OssEventRecord("ObjectCreated:PutObject", bucket.bucket_name, info.key, info.size,
                                info.etag.strip('"').upper(), now, "rebuild")
        index_record(bucket, record, Options())
    close_day(bucket, device, day, now_ms=_now_ms())
    return len(infos)


def run_rebuild(args: argparse.Namespace) -> int:
    count = rebuild(OpsSettings.load().bucket_client(), args.device, args.day)
    print(_("rebuilt %(key)s from %(n)s clip(s)") % {"key": index_key(args.device, args.day), "n": count})
    return 0


def run_close(args: argparse.Namespace) -> int:
    total = close_day(OpsSettings.load().bucket_client(), args.device, args.day, now_ms=_now_ms())
    print(_("%(device)s %(day)s: %(n)s clip(s), %(hours)s h recorded")
          % {"device": args.device, "day": args.day, "n": total["clips"],
             "hours": f"{total['recorded_ms'] / 3_600_000:.2f}"})
    return 0


def run_compact(args: argparse.Namespace) -> int:
    if args.segment_bytes < 1024:
        raise ValueError(_("--segment-bytes must be at least 1024"))
    n = compact_day(OpsSettings.load().bucket_client(), args.device, args.day, args.segment_bytes, now_ms=_now_ms())
    print(_("%(device)s %(day)s: %(n)s segment(s) written") % {"device": args.device, "day": args.day, "n": n})
    return 0


def run_health(args: argparse.Namespace) -> int:
    fleet = index_health.merge_fleet(OpsSettings.load().bucket_client(), now_ms=_now_ms())
    if args.json:
        print(json.dumps(fleet))
        return 0
    now = time.time() * 1000
    for device, doc in sorted(fleet["devices"].items()):
        end = doc.get("last_clip_end")
        behind = _("%(seconds)s s ago") % {"seconds": f"{(now - end) / 1000:.0f}"} if end else _("never")
        print(_("%(device)s: last clip %(behind)s, %(clips)s clip(s) on %(day)s, upload lag %(lag)s ms, "
                "spool %(spool)s, dropped %(dropped)s, token errors %(token_errors)s")
              % {"device": device, "behind": behind, "clips": doc.get("clips_today"), "day": doc.get("day"),
                 "lag": doc.get("upload_lag_ms"), "spool": doc.get("spool_depth"), "dropped": doc.get("dropped_clips"),
                 "token_errors": doc.get("token_errors")})
    return 0
