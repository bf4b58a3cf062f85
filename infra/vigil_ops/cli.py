"""`vigil` — the operator command line. Each command group lives in its own `*_cmd.py` module that
exposes `register(subparsers)`; this module only assembles them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from vigil_camera.cli import reader_left

from . import (
    alerts_cmd,
    bucket_setup,
    cost_cmd,
    demo_cmd,
    deploy_cmd,
    devices_cmd,
    events_cmd,
    evidence_cmd,
    index_cmd,
    local_cmd,
    ram_cmd,
    recordings_cmd,
    sim_cmd,
    token_cmd,
    users_cmd,
)
from .i18n import _, setup_argparse

# One line per command group; a group's module adds its subcommands and sets `func` on each.
COMMAND_MODULES = [
    local_cmd,
    demo_cmd,
    ram_cmd,
    devices_cmd,
    token_cmd,
    bucket_setup,
    index_cmd,
    deploy_cmd,
    sim_cmd,
    users_cmd,  # viewer accounts (issue 9)
    recordings_cmd,  # timeline, clips, playlist (issue 9)
    cost_cmd,
    alerts_cmd,  # alert rules, channels, dead letters (issue 25)
    events_cmd,  # activity events and settings (issue 23)
    evidence_cmd,  # vigil verify, vigil evidence keygen (issue 26)
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vigil",
        description=_("Vigil operator CLI: localcloud, devices, tokens, the recording index, viewer accounts, "
                      "recordings, costs, alerts, activity and evidence."),
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    setup_argparse()   # argparse's own words ("usage:", errors) in the locale's language, before any parser
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 2
    try:
        return int(func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return reader_left()


if __name__ == "__main__":
    sys.exit(main())
