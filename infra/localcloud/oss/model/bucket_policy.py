"""OSS bucket policies (PutBucketPolicy): grammar, size limit and evaluation — free of HTTP.

A bucket policy is a RAM-style document whose statements name a `Principal`::

    {"Version": "1", "Statement": [{"Effect": "Allow" | "Deny", "Action": [...],
      "Principal": ["*" | "<account or RAM user id>" |
                    "arn:sts::<account>:assumed-role/<role name or id>/<session>"],
      "Resource": ["acs:oss:*:<account>:<bucket>[/<key pattern>]"], "Condition": {...}}]}

Action, Resource and Condition mean what they mean in RAM policies (`localcloud.ram.policy`
compiles them; the same condition operators and keys). `Principal` may be a string or a list; an
empty list means `*`; `*` wildcards are allowed in a principal (a role's sessions: `.../<role>/*`);
role and session names are compared case-sensitively, as OSS documents. A statement without a
`Principal` is accepted (as OSS does) and binds the identities of the bucket owner's account: its
RAM users and its roles' sessions, never an anonymous request (localcloud's reading of the
owner-account scope; it is never "public" for Block Public Access).
Every resource must lie in the bucket the policy is attached to. Size limits as on OSS: 16 KB for
the document, 4095 bytes for one statement.

Evaluation (`combine`): an explicit Deny in the bucket policy or in RAM wins; otherwise an Allow
from either grants. So a bucket policy can open the bucket to a principal it names, and a Deny
naming an STS session shuts that session out at once, whatever its RAM policies say — the
revocation Vigil builds on (`functions/vigil_fn/core/revocation.py`).

Not modelled: the bucket-owner exception (real OSS does not apply a `"*"` statement without a
Condition to the owner account itself; localcloud has no root identity, only RAM users and
sessions), anonymous access (localcloud refuses unsigned requests before any policy), and
`acs:SourceVpc`.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...ram import policy as ram_policy
from ..errors import OSSError

if TYPE_CHECKING:
    from ...ram.model import Principal

MAX_POLICY_BYTES = 16 * 1024
"""The largest policy document OSS accepts (16 KB, measured on the JSON text as sent; EC 0030-00000001)."""
MAX_STATEMENT_BYTES = 4095
"""The largest single item OSS accepts in a policy, in practice a statement (EC 0030-00000003);
localcloud measures each statement serialised compactly."""

_STATEMENT_FIELDS = {"Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Principal",
                     "Sid"}
_RESOURCE_RE = re.compile(r"acs:oss:([^:]*):([^:]*):(.+)")
_ACCOUNT_RE = re.compile(r"acs:ram::(\d+):")
_SESSION_RE = re.compile(r"acs:ram::([^:]*):assumed-role/([^/]+)/(.+)")


def invalid(message: str) -> OSSError:
    """The error OSS answers for a policy it refuses."""
    return OSSError("InvalidPolicyDocument", f"Invalid policy document: {message}", 400)


def missing() -> OSSError:
    return OSSError("NoSuchBucketPolicy", "The bucket policy does not exist.", 404)


def parse(text: bytes) -> dict[str, Any]:
    """The JSON body of a PutBucketPolicy → a validated document (400 on anything OSS refuses)."""
    if len(text) > MAX_POLICY_BYTES:
        raise invalid(f"the policy is {len(text)} bytes; at most {MAX_POLICY_BYTES} are allowed")
    try:
        doc = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise invalid("the policy is not valid JSON") from None
    return validate(doc)


def _principals(stmt: dict[str, Any]) -> list[str]:
    """The names a statement's Principal lists (none when it has no Principal: the owner account's)."""
    if "Principal" not in stmt:
        return []
    raw = stmt["Principal"]
    values = raw if isinstance(raw, list) else [raw]
    if not all(isinstance(v, str) and v for v in values):
        raise invalid("Principal must be a string or a list of non-empty strings")
    return values or ["*"]


def validate(doc: Any) -> dict[str, Any]:
    """Check the grammar and return the normalised document (Statement always a list)."""
    if not isinstance(doc, dict):
        raise invalid("the policy must be a JSON object")
    unknown = set(doc) - {"Version", "Statement"}
    if unknown:
        raise invalid(f"unknown field(s) {', '.join(sorted(unknown))}")
    statements = doc.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if doc.get("Version") != "1" or not isinstance(statements, list) or not statements:
        raise invalid('Version must be "1" and Statement a non-empty list')
    out = []
    for stmt in statements:
        if not isinstance(stmt, dict):
            raise invalid("each Statement must be an object")
        extra = set(stmt) - _STATEMENT_FIELDS
        if extra:
            raise invalid(f"unknown statement field(s) {', '.join(sorted(extra))}")
        size = len(json.dumps(stmt, separators=(",", ":"), ensure_ascii=False).encode())
        if size > MAX_STATEMENT_BYTES:
            raise invalid(f"a statement is {size} bytes; at most {MAX_STATEMENT_BYTES} are allowed")
        _principals(stmt)
        out.append(dict(stmt))
    try:
        _compile_ram_part(out)
    except ram_policy.PolicyGrammarError as exc:
        raise invalid(str(exc)) from None
    return {"Version": "1", "Statement": out}


def check_resources(doc: dict[str, Any], bucket: str, account_id: str) -> None:
    """Every Resource must be this bucket or an object pattern in it (OSS refuses others)."""
    for stmt in doc["Statement"]:
        field = "Resource" if "Resource" in stmt else "NotResource"
        raw = stmt[field]
        for resource in raw if isinstance(raw, list) else [raw]:
            m = _RESOURCE_RE.fullmatch(resource)
            ok = m is not None and m.group(2) in ("*", account_id) and (
                m.group(3) == bucket or m.group(3).startswith(bucket + "/"))
            if not ok:
                raise invalid(f"resource {resource!r} is not in bucket {bucket}")


def _compile_ram_part(statements: list[dict[str, Any]]) -> list[ram_policy.CompiledPolicy]:
    """Action / Resource / Condition of each statement, compiled by the RAM policy engine."""
    compiled = []
    for stmt in statements:
        ram_stmt = {k: v for k, v in stmt.items() if k != "Principal"}
        compiled.append(ram_policy.compile_policy({"Version": "1", "Statement": [ram_stmt]}))
    return compiled


# ---------------------------------------------------------------------------------------------
# evaluation


class _Principals:
    """A statement's principals: `*`, exact names (a set lookup: a revocation policy holds ~170) and
    wildcard patterns (one regex). Case-sensitive: OSS compares role and session names exactly."""

    def __init__(self, names: list[str], owner_only: bool = False) -> None:
        self.owner_only = owner_only
        self.any = "*" in names
        self.exact = frozenset(n for n in names if "*" not in n and "?" not in n)
        wild = ["".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in n)
                for n in names if n != "*" and ("*" in n or "?" in n)]
        self.regex = re.compile("(?:" + "|".join(wild) + ")", re.DOTALL) if wild else None

    def name(self, identities: tuple[str, ...], owner: str = "") -> bool:
        if self.owner_only:
            return bool(owner) and owner in identities
        if self.any:
            return True
        if any(i in self.exact for i in identities):
            return True
        return self.regex is not None and any(self.regex.fullmatch(i) for i in identities)


@dataclass(frozen=True)
class _Statement:
    principals: _Principals
    policy: ram_policy.CompiledPolicy

    def names(self, identities: tuple[str, ...], owner: str = "") -> bool:
        return self.principals.name(identities, owner)


@dataclass(frozen=True)
class CompiledBucketPolicy:
    statements: tuple[_Statement, ...]

    def decide(self, identities: tuple[str, ...], action: str, resource: str,
               context: dict[str, Any], owner: str = "") -> ram_policy.Decision:
        allowed = False
        for st in self.statements:
            if not st.names(identities, owner):
                continue
            decision = st.policy.decide(action, resource, context)
            if decision == ram_policy.EXPLICIT_DENY:
                return ram_policy.EXPLICIT_DENY
            allowed = allowed or decision == ram_policy.ALLOW
        return ram_policy.ALLOW if allowed else ram_policy.IMPLICIT_DENY


# Condition keys that make a "*" statement non-public when given fixed values (OSS's Block Public
# Access guide lists the VPC and AccessKey keys; localcloud also counts a source-IP range that is not
# the whole Internet, as the network restriction it is).
_RESTRICTING_KEYS = frozenset(("acs:sourcevpcid", "acs:sourcevpc", "acs:accessid", "acs:sourceip"))
_WHOLE_INTERNET = frozenset(("0.0.0.0/0", "::/0"))


def _restricting(condition: Any) -> bool:
    """Does a Condition pin the request to fixed VPCs, AccessKeys or source networks?"""
    if not isinstance(condition, dict):
        return False
    for operands in condition.values():
        if not isinstance(operands, dict):
            continue
        for key, raw in operands.items():
            values = raw if isinstance(raw, list) else [raw]
            if key.lower() in _RESTRICTING_KEYS and values and all(
                    isinstance(v, str) and "*" not in v and v not in _WHOLE_INTERNET for v in values):
                return True
    return False


def is_public(stmt: dict[str, Any]) -> bool:
    """OSS's rule for "this statement grants public access": an Allow whose Principal holds a `*`
    wildcard (or is empty) and whose Condition does not restrict it (`_restricting`). Action and
    Resource do not matter; a Deny is never public."""
    if stmt.get("Effect") != "Allow":
        return False
    if not any("*" in p for p in _principals(stmt)):
        return False
    return not _restricting(stmt.get("Condition"))


def is_public_document(doc: dict[str, Any]) -> bool:
    return any(is_public(stmt) for stmt in doc["Statement"])


def compile_document(doc: dict[str, Any], *, ignore_public: bool = False) -> CompiledBucketPolicy:
    statements = doc["Statement"]
    out = []
    for stmt, compiled in zip(statements, _compile_ram_part(statements), strict=True):
        if ignore_public and is_public(stmt):
            continue  # Block Public Access: existing public grants are ignored
        out.append(_Statement(_Principals(_principals(stmt), owner_only="Principal" not in stmt), compiled))
    return CompiledBucketPolicy(tuple(out))


_cache: dict[tuple[int, bool], tuple[dict[str, Any], CompiledBucketPolicy]] = {}
_cache_lock = threading.Lock()


def compiled(doc: dict[str, Any], *, ignore_public: bool = False) -> CompiledBucketPolicy:
    """Compiled once per stored document (the store keeps the dict until it is replaced)."""
    key = (id(doc), ignore_public)
    hit = _cache.get(key)
    if hit is not None and hit[0] is doc:
        return hit[1]
    result = compile_document(doc, ignore_public=ignore_public)
    with _cache_lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = (doc, result)
    return result


def owner_identity(account_id: str) -> str:
    """The identity every principal of `account_id` carries: what a Principal-less statement names."""
    return f"account:{account_id}"


def identities(principal: Principal) -> tuple[str, ...]:
    """The names a bucket-policy Principal can use for `principal` (and its account's, last)."""
    m = _ACCOUNT_RE.match(principal.arn)
    account = (owner_identity(m.group(1)),) if m else ()
    if principal.kind == "assumed-role":
        m = _SESSION_RE.fullmatch(principal.arn)
        if m is None:
            return (principal.arn, *account)
        acct, role, session = m.groups()
        role_id = principal.principal_id.split(":", 1)[0]
        return (f"arn:sts::{acct}:assumed-role/{role}/{session}",
                f"arn:sts::{acct}:assumed-role/{role_id}/{session}", *account)
    return (principal.principal_id, principal.arn, *account)


def _resource_for_policy(resource: str, region: str, account_id: str) -> str:
    """`acs:oss:*:*:b/k` (how checks name resources) → with the region and owner filled in, so that a
    policy naming `acs:oss:*:<account>:b/*` matches as on OSS."""
    if resource.startswith("acs:oss:*:*:"):
        return f"acs:oss:{region}:{account_id}:{resource[len('acs:oss:*:*:'):]}"
    return resource


def combine(principal: Principal, doc: dict[str, Any] | None, action: str, resource: str,
            context: dict[str, Any], region: str, account_id: str, *,
            ignore_public: bool = False) -> ram_policy.Decision:
    """The decision for one request: RAM and the bucket policy, explicit deny first
    (`ignore_public`: Block Public Access is on, public Allow statements do not count)."""
    ram = ram_policy.evaluate(principal, action, resource, context)
    if ram == ram_policy.EXPLICIT_DENY or doc is None:
        return ram
    ctx = {k.lower(): v for k, v in context.items()}
    bucket = compiled(doc, ignore_public=ignore_public).decide(
        identities(principal), action, _resource_for_policy(resource, region, account_id), ctx,
        owner_identity(account_id))
    if bucket == ram_policy.EXPLICIT_DENY:
        return bucket
    return ram_policy.ALLOW if ram_policy.ALLOW in (ram, bucket) else ram_policy.IMPLICIT_DENY
