"""`vigil sim fleet|report`: the fleet-scale simulator (docs/scale.md) on the command line."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .i18n import N_, _, ljust, tr
from .i18n import width as cjk_width
from .sim import FleetConfig, FleetResult, run_fleet
from .sim.scenarios import SCENARIOS, by_name, relabel, scaled, table, targets, verdict

DEFAULTS = FleetConfig()
# `vigil sim fleet`'s summary lines: the English label is the JSON key (as before); Chinese under zh_CN
SUMMARY_LABELS = (
    N_("cameras"), N_("ttl_s"), N_("hours"), N_("sts_calls_per_s_mean"), N_("sts_calls_per_s_peak_minute"),
    N_("sts_calls_per_s_peak_second"), N_("sts_quota_share_mean"), N_("sts_quota_share_peak_minute"),
    N_("sts_above_quota_seconds"), N_("sts_throttled"), N_("requests"), N_("issued"), N_("shed_429"),
    N_("fc_throttled_429"), N_("unreachable"), N_("refused"), N_("max_without_token_s"),
    N_("most_cameras_without_token"), N_("recovery_s"), N_("cameras_without_token_at_end"), N_("spool_peak_mib"),
    N_("spool_budget_mib"), N_("instances_used"), N_("events"))


def register(sub: Any) -> None:
    sim = sub.add_parser("sim", help=_("simulate the camera fleet against the token function, FC and STS"),
                         description=_("A discrete-event simulation on a virtual clock that runs the real "
                                     "refresh, backoff and shedding code (docs/scale.md)."))
    sim_sub = sim.add_subparsers(dest="sim_command", metavar="COMMAND")
    sim_sub.required = True
    fleet = sim_sub.add_parser("fleet", help=_("one scenario: a table of figures (or --json) and a plot"),
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    fleet.add_argument("--cameras", type=int, default=DEFAULTS.cameras, help=_("fleet size"))
    fleet.add_argument("--ttl", type=int, default=DEFAULTS.ttl, help=_("token lifetime, seconds (900..43200)"))
    fleet.add_argument("--hours", type=float, default=DEFAULTS.hours, help=_("simulated duration"))
    fleet.add_argument("--outage-minutes", type=float, default=0.0,
                       help=_("the token function is unreachable this long (0: no outage)"))
    fleet.add_argument("--outage-at", type=float, default=DEFAULTS.outage_start / 3600,
                       help=_("simulated hour the outage starts"))
    fleet.add_argument("--reboot-minutes", type=float, default=0.0,
                       help=_("> 0: every camera boots without a token within this window"))
    fleet.add_argument("--growth", type=float, default=1.0, help=_("the fleet grows to this multiple"))
    fleet.add_argument("--growth-hours", type=float, default=DEFAULTS.growth_hours,
                       help=_("hours over which the new cameras join"))
    fleet.add_argument("--seed", type=int, default=DEFAULTS.seed, help=_("random seed (runs are deterministic)"))
    fleet.add_argument("--sts-quota", type=float, default=DEFAULTS.sts_quota,
                       help=_("AssumeRole calls/s the account gets"))
    fleet.add_argument("--sts-budget", type=float, default=DEFAULTS.sts_budget,
                       help=_("calls/s the token function allows itself (VIGIL_STS_CALLS_PER_SECOND)"))
    fleet.add_argument("--fc-instances", type=int, default=DEFAULTS.fc_instances,
                       help=_("token-function instance cap (VIGIL_TOKEN_MAX_INSTANCES = reservedConcurrency)"))
    fleet.add_argument("--scale", action="store_true",
                       help=_("scale quota, budget and instance cap with the fleet (100,000 cameras = as given)"))
    fleet.add_argument("--plot", type=Path, default=None, metavar="PNG", help=_("write the plot here"))
    fleet.add_argument("--json", action="store_true", help=_("print the summary as one JSON object"))
    fleet.add_argument("--check", action="store_true", help=_("exit 1 when a target of docs/scale.md fails"))
    fleet.set_defaults(func=run_one)
    report = sim_sub.add_parser("report", help=_("every scenario of docs/scale.md: plots, results.json, table.md"),
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    report.add_argument("--out", type=Path, default=Path("docs/scale"), help=_("folder for the PNGs and tables"))
    report.add_argument("--cameras", type=int, default=100_000, help=_("reference fleet size"))
    report.add_argument("--seed", type=int, default=1, help=_("random seed"))
    report.add_argument("--only", action="append", default=None, metavar="NAME",
                        help=_("run only this scenario (repeatable): %(names)s")
                        % {"names": ", ".join(s.name for s in SCENARIOS)})
    report.set_defaults(func=run_report)


def _run(config: FleetConfig, label: str) -> FleetResult:
    with tqdm(total=config.seconds, unit="sim-s", desc=label, file=sys.stderr, leave=False,
              disable=None) as bar:
        def progress(now: float) -> None:
            bar.update(int(now) - bar.n)
        return run_fleet(config, progress)


def run_one(args: argparse.Namespace) -> int:
    if not 1 <= args.cameras <= 10_000_000:
        print(_("vigil sim: --cameras must be between 1 and 10,000,000"), file=sys.stderr)
        return 2
    if not 900 <= args.ttl <= 43_200 or args.hours <= 0:
        print(_("vigil sim: --ttl must be 900..43200 seconds and --hours positive"), file=sys.stderr)
        return 2
    config = FleetConfig(cameras=args.cameras, ttl=args.ttl, hours=args.hours, seed=args.seed,
                         outage_start=args.outage_at * 3600, outage_minutes=args.outage_minutes,
                         reboot_minutes=args.reboot_minutes, growth=args.growth, growth_hours=args.growth_hours,
                         sts_quota=args.sts_quota, sts_budget=args.sts_budget, fc_instances=args.fc_instances)
    if args.scale:
        config = scaled(config)
    result = _run(config, "fleet")
    summary, checks = result.summary(), targets(result)
    if args.plot:
        from .sim.plot import plot

        plot(result, args.plot, f"{summary['cameras']:,} cameras, TTL {args.ttl} s")
    if args.json:
        print(json.dumps({**summary, "targets": checks, "config": config.describe()}))
    else:
        labels = {key: tr(key) for key in summary}
        width = max(map(cjk_width, [*labels.values(), _("targets")]))
        for key, value in summary.items():
            print(f"{ljust(labels[key], width)}  {value}")
        print(f"{ljust(_('targets'), width)}  {relabel(verdict(checks), tr)}")
    return 1 if args.check and not all(checks.values()) else 0


def run_report(args: argparse.Namespace) -> int:
    from .sim.plot import plot

    chosen = [by_name(n) for n in args.only] if args.only else SCENARIOS
    args.out.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    for scenario in tqdm(chosen, desc=_("scenarios"), unit="run", file=sys.stderr, disable=None):
        config = scaled(scenario.config(args.cameras, args.seed))
        started = time.perf_counter()
        result = _run(config, scenario.name)
        wall = time.perf_counter() - started
        checks = targets(result)
        plot(result, args.out / f"{scenario.name}.png", scenario.title)
        rows.append({"scenario": scenario.name, **result.summary(), "targets": verdict(checks),
                     "targets_met": all(checks.values()), "wall_seconds": round(wall, 1),
                     "config": config.describe()})
    rows = _merge(args.out / "results.json", rows)
    (args.out / "results.json").write_text(json.dumps(rows, indent=1) + "\n")
    (args.out / "table.md").write_text(table(rows) + "\n")    # docs/scale/table.md: English, like the docs
    print(table(rows, label=tr))
    return 0


def _merge(path: Path, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Earlier results for the scenarios not rerun (`--only`), in the order of SCENARIOS."""
    known: dict[str, dict[str, Any]] = {}
    if path.exists():
        try:
            known = {r["scenario"]: r for r in json.loads(path.read_text()) if isinstance(r, dict)}
        except (ValueError, KeyError, TypeError):
            known = {}
    known.update({r["scenario"]: r for r in rows})
    return [known[s.name] for s in SCENARIOS if s.name in known]
