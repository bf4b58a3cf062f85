"""Reads `infra/ram/` (policies, roles, users) with `${AccountID}` / `${Bucket}` substituted.

The same JSON files are what the cloud deployment creates (`vigil ram render`), so they are parsed
strictly: an unknown placeholder, a policy RAM would refuse, or a role naming a missing policy
fails the load with the file name in the message.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .policy import PolicyGrammarError, validate_policy

MIN_SESSION = 900
MAX_SESSION_LIMIT = 43200
DEFAULT_MAX_SESSION = 3600
_NAME_RE = re.compile(r"^[A-Za-z0-9.\-]{1,64}$")
_PLACEHOLDER_RE = re.compile(r"\$\{([A-Za-z]+)\}")


class RamConfigError(ValueError):
    """A file under infra/ram/ is not valid."""


@dataclass(frozen=True)
class RoleDoc:
    name: str
    description: str
    max_session_duration: int
    trust: dict[str, Any]
    policy_names: tuple[str, ...]


@dataclass(frozen=True)
class UserDoc:
    name: str
    policy_names: tuple[str, ...]


@dataclass(frozen=True)
class RamDocs:
    policies: dict[str, dict[str, Any]]
    roles: dict[str, RoleDoc]
    users: dict[str, UserDoc]


def substitute(text: str, account_id: str, bucket: str, source: str = "<text>") -> str:
    """Replace `${AccountID}` and `${Bucket}`; any other `${...}` is an error (a typo widens nothing)."""
    values = {"AccountID": account_id, "Bucket": bucket}

    def repl(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise RamConfigError(f"{source}: unknown placeholder ${{{name}}}")
        return values[name]

    return _PLACEHOLDER_RE.sub(repl, text)


def _read(path: Path, account_id: str, bucket: str) -> dict[str, Any]:
    try:
        doc = json.loads(substitute(path.read_text(encoding="utf-8"), account_id, bucket, str(path)))
    except json.JSONDecodeError as exc:
        raise RamConfigError(f"{path}: not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise RamConfigError(f"{path}: must hold a JSON object")
    return doc


def _names(doc: dict[str, Any], path: Path) -> tuple[str, ...]:
    names = doc.get("Policies", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise RamConfigError(f"{path}: Policies must be a list of policy names")
    return tuple(names)


def validate_trust(doc: Any) -> None:
    """An AssumeRolePolicyDocument: Allow sts:AssumeRole to RAM principals and/or services."""
    if not isinstance(doc, dict) or doc.get("Version") != "1" or not isinstance(doc.get("Statement"), list):
        raise PolicyGrammarError('trust policy needs Version "1" and a Statement list')
    for stmt in doc["Statement"]:
        if not isinstance(stmt, dict) or stmt.get("Effect") not in ("Allow", "Deny"):
            raise PolicyGrammarError("trust statement needs Effect Allow/Deny")
        principal = stmt.get("Principal")
        if not isinstance(principal, dict) or not set(principal) <= {"RAM", "Service", "Federated"} \
                or not principal:
            raise PolicyGrammarError("trust statement needs Principal with RAM and/or Service")
        for value in principal.values():
            values = value if isinstance(value, list) else [value]
            if not all(isinstance(v, str) and v for v in values):
                raise PolicyGrammarError("trust Principal values must be strings")


def load_docs(ram_dir: Path, account_id: str, bucket: str) -> RamDocs:
    """Parse and cross-check every file under `ram_dir`."""
    policies: dict[str, dict[str, Any]] = {}
    for path in sorted((ram_dir / "policies").glob("*.json")):
        doc = _read(path, account_id, bucket)
        try:
            validate_policy(doc)
        except PolicyGrammarError as exc:
            raise RamConfigError(f"{path}: {exc}") from exc
        policies[path.stem] = doc

    roles: dict[str, RoleDoc] = {}
    for path in sorted((ram_dir / "roles").glob("*.json")):
        doc = _read(path, account_id, bucket)
        name = doc.get("RoleName")
        if not isinstance(name, str) or not _NAME_RE.match(name) or name != path.stem:
            raise RamConfigError(f"{path}: RoleName must match the file name and [A-Za-z0-9.-]{{1,64}}")
        max_s = doc.get("MaxSessionDuration", DEFAULT_MAX_SESSION)
        if not isinstance(max_s, int) or not 3600 <= max_s <= MAX_SESSION_LIMIT:
            raise RamConfigError(f"{path}: MaxSessionDuration must be 3600..{MAX_SESSION_LIMIT}")
        try:
            validate_trust(doc.get("AssumeRolePolicyDocument"))
        except PolicyGrammarError as exc:
            raise RamConfigError(f"{path}: {exc}") from exc
        names = _names(doc, path)
        missing = [n for n in names if n not in policies]
        if missing:
            raise RamConfigError(f"{path}: unknown policies {missing}")
        roles[name.lower()] = RoleDoc(name, str(doc.get("Description", "")), max_s,
                                      doc["AssumeRolePolicyDocument"], names)

    users: dict[str, UserDoc] = {}
    for path in sorted((ram_dir / "users").glob("*.json")):
        doc = _read(path, account_id, bucket)
        name = doc.get("UserName")
        if not isinstance(name, str) or name != path.stem:
            raise RamConfigError(f"{path}: UserName must match the file name")
        names = _names(doc, path)
        missing = [n for n in names if n not in policies]
        if missing:
            raise RamConfigError(f"{path}: unknown policies {missing}")
        users[name] = UserDoc(name, names)
    return RamDocs(policies, roles, users)
