"""`vigil users add|list|passwd|role|remove`: viewer accounts (`_system/users/`), with the operator's key.

The same `vigil_fn.api.users.UserStore` the api function uses: argon2id hashes, ≥ 12 characters,
and `passwd` / `remove` end the user's sessions at once. Passwords come from a prompt, from stdin
(`--password-stdin`, for scripts) or are generated (`--generate`, printed once) — never from argv,
where other users of the machine could read them.
"""

from __future__ import annotations

import argparse
import getpass
import json
import secrets
import sys
from typing import Any

import oss2
from vigil_fn.api.users import ROLES, UserError, UserStore

from . import oplog
from .guard import command_name, guarded
from .i18n import _, table_lines
from .settings import OpsSettings, SettingsError

DEMO_ADMIN = "admin"


def register(sub: Any) -> None:
    users = sub.add_parser("users", help=_("viewer accounts: add, list, passwd, role, remove"),
                           description=_("Accounts of the web viewer (_system/users/). Targets the local stack "
                                       "or the VIGIL_* / ALIBABA_CLOUD_* variables."))
    usub = users.add_subparsers(dest="users_command", metavar="COMMAND")
    usub.required = True

    add = usub.add_parser("add", help=_("create a user"))
    _name(add)
    add.add_argument("--role", choices=ROLES, default="viewer", help=_("admin or viewer (default %(default)s)"))
    add.add_argument("--camera", action="append", default=None, metavar="ID",
                     help=_("limit a viewer to this camera (repeatable; default: every camera)"))
    _password_source(add)
    add.set_defaults(func=run_add)

    lst = usub.add_parser("list", help=_("all users (table, or --json)"))
    lst.add_argument("--json", action="store_true", help=_("one JSON array"))
    lst.set_defaults(func=run_list)

    passwd = usub.add_parser("passwd", help=_("set a new password (ends the user's sessions)"))
    _name(passwd)
    _password_source(passwd)
    passwd.set_defaults(func=run_passwd)

    role = usub.add_parser("role", help=_("change role and camera limit"))
    _name(role)
    role.add_argument("role", choices=ROLES, help=_("admin or viewer"))
    limit = role.add_mutually_exclusive_group()
    limit.add_argument("--camera", action="append", default=None, metavar="ID",
                       help=_("limit to this camera (repeatable, replaces the limit; default: keep it)"))
    limit.add_argument("--all-cameras", action="store_true", help=_("lift any camera limit"))
    role.set_defaults(func=run_role)

    remove = usub.add_parser("remove", help=_("delete a user (ends their sessions)"))
    _name(remove)
    remove.set_defaults(func=run_remove)


def _name(p: argparse.ArgumentParser) -> None:
    p.add_argument("name", metavar="NAME", help=_("login name: 2-64 of a-z 0-9 . _ -"))


def _password_source(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--password-stdin", action="store_true", help=_("read the password from stdin (one line)"))
    g.add_argument("--generate", action="store_true", help=_("generate a random password and print it once"))


def _password(args: argparse.Namespace) -> tuple[str, bool]:
    if args.generate:
        return secrets.token_urlsafe(15), True
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    first = getpass.getpass("password (12+ characters): ")
    if first != getpass.getpass("again: "):
        raise UserError("the passwords do not match")
    return first, False


def _store() -> UserStore:
    return UserStore(OpsSettings.load().bucket_client())


def _audit(action: str, name: str, detail: str | None = None) -> None:
    oplog.record(OpsSettings.load(), action, target=name, detail=detail)


_guard = guarded(command_name("users_command"), usage=(SettingsError,), refused=(UserError,))


@_guard
def run_add(args: argparse.Namespace) -> int:
    password, generated = _password(args)
    user = _store().create(args.name, password, args.role, args.camera)
    _audit("user_add", user.name, f"role {user.role}")
    if user.cameras is None:
        print(_("user %(user)s added (%(role)s)") % {"user": user.name, "role": user.role})
    else:
        print(_("user %(user)s added (%(role)s, cameras %(cameras)s)")
              % {"user": user.name, "role": user.role, "cameras": ", ".join(user.cameras)})
    if generated:
        print(_("password: %(password)s") % {"password": password})
        print(_("The password is shown once."))
    return 0


@_guard
def run_list(args: argparse.Namespace) -> int:
    users, unreadable = _store().readable()
    for name in unreadable:   # named, never a reason to hide the others; `vigil users remove` deletes one
        print(_("warning: the record of user %(user)s cannot be read (corrupt)") % {"user": name}, file=sys.stderr)
    if args.json:
        print(json.dumps([u.public() | {"created": u.created} for u in users], indent=1))
        return 0
    rows = [(u.name, u.role, _("all") if u.cameras is None else ",".join(u.cameras), u.created) for u in users]
    header = (_("NAME"), _("ROLE"), _("CAMERAS"), _("CREATED"))
    print("\n".join(table_lines(header, rows)))
    if not rows:
        print(_("(no users)"))
    return 0


@_guard
def run_passwd(args: argparse.Namespace) -> int:
    store = _store()
    store.require(args.name)
    password, generated = _password(args)
    store.set_password(args.name, password)
    _audit("user_passwd", args.name)
    print(_("password of %(user)s changed; their sessions have ended") % {"user": args.name})
    if generated:
        print(_("password: %(password)s") % {"password": password})
    return 0


@_guard
def run_role(args: argparse.Namespace) -> int:
    user = _store().set_role(args.name, args.role, args.camera, args.all_cameras)
    _audit("user_role", user.name, f"role {user.role}, cameras "
           f"{'all' if user.cameras is None else ', '.join(user.cameras)}")
    if user.cameras is None:
        print(_("user %(user)s: %(role)s, all cameras") % {"user": user.name, "role": user.role})
    else:
        print(_("user %(user)s: %(role)s, cameras %(cameras)s")
              % {"user": user.name, "role": user.role, "cameras": ", ".join(user.cameras)})
    return 0


@_guard
def run_remove(args: argparse.Namespace) -> int:
    _store().remove(args.name)
    _audit("user_remove", args.name)
    print(_("user %(user)s removed; their sessions have ended") % {"user": args.name})
    return 0


def ensure_demo_admin(bucket: oss2.Bucket) -> str | None:
    """Create the demo's `admin` with a random password on first start; the password (once) or None."""
    store = UserStore(bucket)
    if store.get(DEMO_ADMIN) is not None:
        return None
    password = secrets.token_urlsafe(15)
    store.create(DEMO_ADMIN, password, "admin")
    return password
