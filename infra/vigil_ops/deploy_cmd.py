"""`vigil deploy check`: the real `s preview` of s.yaml, its schema and parity checks, and the code packages.

The logic lives in `deploy_check`; this module only parses arguments and prints what a person reads.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from . import deploy_check as dc
from .i18n import _, ljust, ngettext, rjust, say


def register(sub: Any) -> None:
    deploy = sub.add_parser("deploy", help=_("check the deployment with the real Serverless Devs CLI (s)"))
    deploy_sub = deploy.add_subparsers(dest="deploy_command", metavar="COMMAND")
    deploy_sub.required = True
    check = deploy_sub.add_parser(
        "check",
        help=_("s preview + fc3 schema + localcloud parity + the code package each function would ship"),
        description=_("Render s.yaml with the pinned `s` CLI (placeholder credentials, throwaway s home), validate "
        "every resource's props against the fc3 schema, compare with localcloud's rendering, then run the "
        "pre-deploy actions and the layer builds into a temporary folder and list what each function ships "
        "(code package and layers, unzipped and zipped, against FC's package size limit). "
        "`s deploy` itself is yours to run (it needs the network)."),
    )
    check.add_argument("--spec", type=Path, default=dc.SPEC_PATH, help=_("the s.yaml to check (default: %(default)s)"))
    check.add_argument("--out", type=Path, default=None,
                       help=_("folder for the packaged copy and the zips (default: a temporary folder, removed)"))
    check.add_argument("--no-package", action="store_true",
                       help=_("skip the pre-deploy packaging and layer builds (default: run them)"))
    check.add_argument("--json", action="store_true", help=_("print one JSON document instead of the table"))
    check.set_defaults(func=run_check)


def _check(args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    env = dc.representative_env(args.spec)
    preview = dc.s_preview(args.spec, env)
    result: dict[str, Any] = {
        "spec": str(args.spec),
        "functions": {r: res["props"].get("functionName") for r, res in sorted(preview["resources"].items())},
        "schema": str(dc.schema_path()),
        "schema_errors": dc.schema_errors(preview) + dc.limit_errors(preview),
        "parity_differences": dc.parity_differences(preview, args.spec, env, dc.PLACEHOLDER_ACCOUNT_ID),
        "pre_deploy": [],
        "packages": [],
    }
    if not args.no_package:
        ran, reports = dc.check_packages(preview, out_dir)
        result["pre_deploy"] = ran
        result["packages"] = [r.to_dict() for r in reports]
    result["ok"] = not (result["schema_errors"] or result["parity_differences"]
                        or any(p["problems"] for p in result["packages"]))
    return result


def _print(result: dict[str, Any]) -> None:
    print(ngettext("s preview of %(spec)s: %(n)s resource (%(resources)s)",
                   "s preview of %(spec)s: %(n)s resources (%(resources)s)", len(result["functions"]))
          % {"spec": result["spec"], "n": len(result["functions"]),
             "resources": ", ".join(f"{r}={n}" for r, n in result["functions"].items())})
    errors = len(result["schema_errors"])
    print(_("fc3 props schema (%(schema)s): %(verdict)s")
          % {"schema": result["schema"],
             "verdict": _("ok") if not errors else ngettext("%(n)s error", "%(n)s errors", errors) % {"n": errors}})
    for line in result["schema_errors"]:
        print(f"  {say(line)}")
    diffs = len(result["parity_differences"])
    print(_("localcloud renders the same document: %(verdict)s")
          % {"verdict": _("yes") if not diffs else
             ngettext("no, %(n)s difference", "no, %(n)s differences", diffs) % {"n": diffs}})
    for line in result["parity_differences"]:
        print(f"  {say(line)}")
    for command in result["pre_deploy"]:
        print(_("pre-deploy ran: %(command)s") % {"command": command})
    if result["packages"]:
        print(_("what each function ships (FC 3.0 limit: a %(limit)s MB zip per code package or layer through "
                "s deploy / OSS, %(api_limit)s MB through the OpenAPI)")
              % {"limit": dc.FC_ZIP_LIMIT_BYTES // 2**20, "api_limit": dc.FC_API_ZIP_LIMIT_BYTES // 2**20})
        print(f"{ljust(_('function'), 16)} {ljust(_('part'), 22)} {rjust(_('files'), 6)} "
              f"{rjust(_('unzipped'), 10)} {rjust(_('zip'), 10)}  {_('problems')}")
        for p in result["packages"]:
            print(f"{p['function']:<16} {'code ' + p['code_dir']:<22} {p['files']:>6} {p['bytes'] / 1e6:>8.1f}MB "
                  f"{p['zip_bytes'] / 1e6:>8.1f}MB  " + ("; ".join(map(say, p["problems"])) or _("none")))
            for layer in p["layers"]:
                print(f"{'':<16} {layer['name']:<22} {layer['files']:>6} {layer['bytes'] / 1e6:>8.1f}MB "
                      f"{layer['zip_bytes'] / 1e6:>8.1f}MB")
            if p["layers"]:
                print(f"{'':<16} {ljust(_('total'), 22)} {'':>6} {p['total_bytes'] / 1e6:>8.1f}MB "
                      f"{p['total_zip_bytes'] / 1e6:>8.1f}MB")
    print(_("deploy check: %(verdict)s") % {"verdict": _("ok") if result["ok"] else _("FAILED")})


def run_check(args: argparse.Namespace) -> int:
    try:
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            result = _check(args, args.out)
        else:
            with tempfile.TemporaryDirectory(prefix="vigil-deploy-check-") as tmp:
                result = _check(args, Path(tmp))
    except dc.DeployCheckError as exc:
        print(_("vigil deploy check: %(error)s") % {"error": say(exc.args[0] if exc.args else exc)}, file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print(result)
    return 0 if result["ok"] else 1
