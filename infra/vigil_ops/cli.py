"""`vigil` — the operator command line. Each command group lives in its own `*_cmd.py` module that
exposes `register(subparsers)`; this module only assembles them."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from .i18n import _, setup_argparse

# One line per command group; a group's module adds its subcommands and sets `func` on each. Modules are
# named, not imported here: each is imported when the parser is built, so a light command need not load
# the others (oss2, pydantic, the alert channels: ~1 s of CPU before `vigil verify` hashed a byte).
COMMAND_MODULES = [
    "local_cmd",
    "demo_cmd",
    "ram_cmd",
    "devices_cmd",
    "token_cmd",
    "bucket_setup",
    "index_cmd",
    "deploy_cmd",
    "sim_cmd",
    "users_cmd",  # viewer accounts (issue 9)
    "recordings_cmd",  # timeline, clips, playlist (issue 9)
    "cost_cmd",
    "alerts_cmd",  # alert rules, channels, dead letters (issue 25)
    "events_cmd",  # activity events and settings (issue 23)
    "evidence_cmd",  # vigil verify, vigil evidence keygen (issue 26)
    "export_cmd",  # vigil export create|show (issue 26)
]

# Commands whose module alone builds their parser: `vigil verify` is run by people with no account on
# machines that only verify (docs/evidence.md), and the evidence bench times it against sha256sum.
LIGHT_COMMANDS = {"verify": "evidence_cmd"}


def build_parser(modules: Sequence[str] = tuple(COMMAND_MODULES)) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigil",
        description=_("Vigil operator CLI: localcloud, devices, tokens, the recording index, viewer accounts, "
                      "recordings, costs, alerts, activity and evidence."),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in modules:
        importlib.import_module(f"{__package__}.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    setup_argparse()   # argparse's own words ("usage:", errors) in the locale's language, before any parser
    words = list(sys.argv[1:] if argv is None else argv)
    light = LIGHT_COMMANDS.get(words[0]) if words else None
    parser = build_parser([light] if light else COMMAND_MODULES)
    args = parser.parse_args(words)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        from vigil_camera.cli import reader_left

        return reader_left()


if __name__ == "__main__":
    sys.exit(main())
