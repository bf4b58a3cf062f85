"""`vigil events CAMERA --start ISO --end ISO [--json]` and `vigil activity-settings CAMERA [--set FILE]`.

The same code as the viewer API: events are `vigil_fn.indexer.activity.events` over the index,
settings are validated by `vigil_camera.activity.settings` and saved through the device registry
(the camera gets them with its next token).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from vigil_camera.activity.settings import ActivitySettings, ActivitySettingsError
from vigil_camera.protocol import validate_device_id
from vigil_fn.api.times import iso, parse_instant
from vigil_fn.core.devices import Registry, SettingsTooLarge, UnknownDevice
from vigil_fn.core.i18n import Text, as_text
from vigil_fn.indexer import activity

from .guard import command_name, guarded
from .i18n import _
from .settings import OpsSettings, SettingsError

MAX_SPAN_MS = 7 * 86_400_000


class CommandError(Exception):
    text: Text | None = None


_guard = guarded(command_name(), usage=(CommandError, ValueError, SettingsError))


def register(sub: Any) -> None:
    p = sub.add_parser("events", help=_("a camera's activity events in a range"),
                       description=_("Events (runs of activity found by the camera, merged across clips and "
                                   "midnight) of one camera overlapping [--start, --end)."))
    p.add_argument("camera", metavar="CAMERA", help=_("camera id"))
    p.add_argument("--start", required=True, help=_("ISO-8601 with an offset, or epoch ms"))
    p.add_argument("--end", required=True,
                   help=_("ISO-8601 with an offset, or epoch ms (at most 7 days after --start)"))
    p.add_argument("--json", action="store_true",
                   help=_("one JSON object per line: start and end as ISO 8601 UTC, peak, zones, box, first_clip"))
    p.set_defaults(func=run_events)

    s = sub.add_parser("activity-settings", help=_("show or set a camera's activity settings (zones, sensitivity)"),
                       description=_("Without --set: print the camera's settings. With --set FILE: validate the "
                                   "JSON document (sensitivity, min_object, ignore_zones, zones) and save it in "
                                   "the device registry; the camera gets it with its next token."))
    s.add_argument("camera", metavar="CAMERA", help=_("camera id"))
    s.add_argument("--set", dest="file", metavar="FILE",
                   help=_("a JSON settings document to validate and save (default: only print the settings)"))
    s.set_defaults(func=run_settings)


def _camera(text: str) -> str:
    try:
        return validate_device_id(text)
    except ValueError as exc:
        raise CommandError(str(exc)) from None


def event_line(event: activity.Event) -> dict[str, Any]:
    """An event as the --json line: the API's fields with ISO 8601 UTC times."""
    doc = event.to_dict()
    doc["start"], doc["end"] = iso(event.start), iso(event.end)
    return doc


@_guard
def run_events(args: argparse.Namespace) -> int:
    camera = _camera(args.camera)
    start, end = parse_instant(args.start), parse_instant(args.end)
    if end <= start or end - start > MAX_SPAN_MS:
        raise CommandError("--end must be after --start and at most 7 days later")
    bucket = OpsSettings.load().bucket_client()
    found = activity.events(bucket, camera, start, end)
    for event in found:
        if args.json:
            print(json.dumps(event_line(event)))
        else:
            print(f"{iso(event.start)}  {(event.end - event.start) / 1000:7.1f} s  peak {event.peak:.2f}  "
                  f"{','.join(event.zones) or '-'}")
    if not args.json:
        print(f"{len(found)} events")
    return 0


@_guard
def run_settings(args: argparse.Namespace) -> int:
    camera = _camera(args.camera)
    registry = Registry(OpsSettings.load().bucket_client())
    try:
        current = registry.activity_of(camera)     # a device's, or a gateway camera's in its gateway's record
    except UnknownDevice:
        raise CommandError(f"no such camera: {camera}") from None
    if args.file:
        try:
            settings = ActivitySettings.from_dict(json.loads(Path(args.file).read_text()))
        except (OSError, json.JSONDecodeError) as exc:
            raise CommandError(f"cannot read {args.file}: {exc}") from None
        except ActivitySettingsError as exc:
            refused = CommandError(str(exc))
            refused.text = as_text(exc)      # the terminal reads it in the locale's language (i18n.describe)
            raise refused from None
        try:
            registry.set_activity(camera, settings.to_dict())
        except SettingsTooLarge as exc:
            too_large = CommandError(str(exc))
            too_large.text = exc.text         # in the locale's language, as a refused setting is
            raise too_large from None
        current = settings.to_dict()
    print(json.dumps(ActivitySettings.from_dict(current).to_dict(), indent=1))
    return 0
