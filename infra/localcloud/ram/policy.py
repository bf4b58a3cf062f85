"""RAM policy grammar and evaluation, as OSS and STS apply it.

`evaluate` runs for every OSS request, so documents are compiled once (wildcards → one regex per
statement field, exact strings → set lookups) and the compiled form is cached by the identity of the
policy dict. Semantics: explicit Deny wins; with a session policy the effective permission is the
intersection of the identity policies and the session policy; a condition whose key is missing
from the request context does not match.
"""

from __future__ import annotations

import ipaddress
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal

from .principal import Principal

Decision = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]

ALLOW: Decision = "Allow"
EXPLICIT_DENY: Decision = "ExplicitDeny"
IMPLICIT_DENY: Decision = "ImplicitDeny"


class PolicyGrammarError(ValueError):
    """A policy document RAM would refuse (STS answers `InvalidParameter.PolicyGrammar`)."""


# ---------------------------------------------------------------------------------------------
# wildcard patterns


class _Matcher:
    """Matches a string against a set of RAM wildcard patterns (`*` any run, `?` one character)."""

    __slots__ = ("_any", "_exact", "_regex", "_fold")

    def __init__(self, patterns: Iterable[str], fold_case: bool) -> None:
        self._fold = fold_case
        self._any = False
        exact: set[str] = set()
        wild: list[str] = []
        for raw in patterns:
            pat = raw.lower() if fold_case else raw
            if pat == "*":
                self._any = True
            elif "*" in pat or "?" in pat:
                wild.append("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pat))
            else:
                exact.add(pat)
        self._exact = frozenset(exact)
        self._regex = re.compile("(?:" + "|".join(wild) + r")\Z", re.DOTALL) if wild else None

    def __call__(self, value: str) -> bool:
        if self._any:
            return True
        if self._fold:
            value = value.lower()
        if value in self._exact:
            return True
        return self._regex is not None and self._regex.match(value) is not None


def wildcard_match(pattern: str, value: str, fold_case: bool = False) -> bool:
    """One-off wildcard match (trust policies, tests); evaluation uses compiled matchers."""
    return _Matcher([pattern], fold_case)(value)


# ---------------------------------------------------------------------------------------------
# conditions

_STRING_OPS = {
    "StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase",
    "StringLike", "StringNotLike",
}
_NUMERIC_OPS = {
    "NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericLessThanEquals",
    "NumericGreaterThan", "NumericGreaterThanEquals",
}
_DATE_OPS = {
    "DateEquals", "DateNotEquals", "DateLessThan", "DateLessThanEquals", "DateGreaterThan",
    "DateGreaterThanEquals",
}
_OTHER_OPS = {"Bool", "IpAddress", "NotIpAddress"}
CONDITION_OPERATORS = frozenset(_STRING_OPS | _NUMERIC_OPS | _DATE_OPS | _OTHER_OPS)

_CMP: dict[str, Callable[[float, float], bool]] = {
    "Equals": lambda a, b: a == b,
    "NotEquals": lambda a, b: a != b,
    "LessThan": lambda a, b: a < b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThan": lambda a, b: a > b,
    "GreaterThanEquals": lambda a, b: a >= b,
}


def parse_date(value: str) -> float:
    """ISO 8601 (`2026-11-28T15:00:00Z`, with offset or fraction) or unix seconds → unix seconds."""
    text = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return float(text)
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


def _as_strings(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in values:
        if isinstance(item, bool):
            out.append("true" if item else "false")
        elif isinstance(item, (str, int, float)):
            out.append(str(item))
        else:
            raise PolicyGrammarError(f"condition value must be a string, number or boolean: {item!r}")
    return out


def _compile_condition(op: str, key: str, raw: Any) -> Callable[[str], bool]:
    """A predicate over ONE context value; values listed in the policy are OR-ed."""
    values = _as_strings(raw)
    if not values:
        raise PolicyGrammarError(f"condition {op} {key} has no values")
    if op in ("StringEquals", "StringNotEquals"):
        exact = frozenset(values)
        return (lambda v: v in exact) if op == "StringEquals" else (lambda v: v not in exact)
    if op in ("StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase"):
        folded = frozenset(v.lower() for v in values)
        if op == "StringEqualsIgnoreCase":
            return lambda v: v.lower() in folded
        return lambda v: v.lower() not in folded
    if op in ("StringLike", "StringNotLike"):
        matcher = _Matcher(values, fold_case=False)
        return matcher if op == "StringLike" else (lambda v: not matcher(v))
    if op == "Bool":
        wanted = {v.lower() for v in values}
        if not wanted <= {"true", "false"}:
            raise PolicyGrammarError(f"Bool condition {key} needs true/false")
        return lambda v: v.lower() in wanted
    if op in ("IpAddress", "NotIpAddress"):
        try:
            nets = [ipaddress.ip_network(v, strict=False) for v in values]
        except ValueError as exc:
            raise PolicyGrammarError(f"bad IP address in {op} {key}: {exc}") from exc

        def in_nets(v: str) -> bool:
            try:
                addr = ipaddress.ip_address(v)
            except ValueError:
                return False
            return any(addr in net for net in nets)

        return in_nets if op == "IpAddress" else (lambda v: not in_nets(v))
    if op in _NUMERIC_OPS or op in _DATE_OPS:
        conv = float if op in _NUMERIC_OPS else parse_date
        try:
            bounds = [conv(v) for v in values]
        except ValueError as exc:
            raise PolicyGrammarError(f"bad value in {op} {key}: {exc}") from exc
        cmp = _CMP[op[len("Numeric"):] if op in _NUMERIC_OPS else op[len("Date"):]]
        negated = op.endswith("NotEquals")

        def compare(v: str) -> bool:
            try:
                got = conv(v)
            except ValueError:
                return False
            if negated:
                return all(cmp(got, b) for b in bounds)
            return any(cmp(got, b) for b in bounds)

        return compare
    raise PolicyGrammarError(f"unknown condition operator: {op}")


@dataclass(frozen=True)
class _Condition:
    key: str  # lower-cased: RAM condition keys are case-insensitive
    test: Callable[[str], bool]

    def holds(self, context: Mapping[str, Any]) -> bool:
        value = context.get(self.key)
        if value is None:
            return False
        if isinstance(value, (list, tuple)):
            return any(self.test(str(v)) for v in value)
        if isinstance(value, bool):
            value = "true" if value else "false"
        return self.test(str(value))


# ---------------------------------------------------------------------------------------------
# statements and documents


@dataclass(frozen=True)
class _Statement:
    allow: bool
    actions: _Matcher
    not_action: bool
    resources: _Matcher
    not_resource: bool
    conditions: tuple[_Condition, ...]

    def applies(self, action: str, resource: str, context: Mapping[str, Any]) -> bool:
        if self.actions(action) == self.not_action:
            return False
        if self.resources(resource) == self.not_resource:
            return False
        return all(c.holds(context) for c in self.conditions)


@dataclass(frozen=True)
class CompiledPolicy:
    statements: tuple[_Statement, ...]

    def decide(self, action: str, resource: str, context: Mapping[str, Any]) -> Decision:
        allowed = False
        for st in self.statements:
            if st.applies(action, resource, context):
                if not st.allow:
                    return EXPLICIT_DENY
                allowed = True
        return ALLOW if allowed else IMPLICIT_DENY


def _string_list(stmt: Mapping[str, Any], field: str) -> list[str]:
    value = stmt[field]
    values = value if isinstance(value, list) else [value]
    if not values or not all(isinstance(v, str) and v for v in values):
        raise PolicyGrammarError(f"{field} must be a non-empty string or list of strings")
    return values


def compile_policy(doc: Any) -> CompiledPolicy:
    """Validate a policy document and compile it; raises PolicyGrammarError on anything RAM refuses."""
    if not isinstance(doc, dict):
        raise PolicyGrammarError("policy must be a JSON object")
    unknown = set(doc) - {"Version", "Statement"}
    if unknown:
        raise PolicyGrammarError(f"unknown policy field(s): {', '.join(sorted(unknown))}")
    if doc.get("Version") != "1":
        raise PolicyGrammarError('policy Version must be "1"')
    raw_statements = doc.get("Statement")
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise PolicyGrammarError("policy Statement must be a non-empty list")
    statements: list[_Statement] = []
    for stmt in raw_statements:
        if not isinstance(stmt, dict):
            raise PolicyGrammarError("each Statement must be an object")
        extra = set(stmt) - {"Effect", "Action", "NotAction", "Resource", "NotResource", "Condition", "Sid"}
        if extra:
            raise PolicyGrammarError(f"unknown statement field(s): {', '.join(sorted(extra))}")
        effect = stmt.get("Effect")
        if effect not in ("Allow", "Deny"):
            raise PolicyGrammarError('Effect must be "Allow" or "Deny"')
        if ("Action" in stmt) == ("NotAction" in stmt):
            raise PolicyGrammarError("a statement needs exactly one of Action / NotAction")
        if ("Resource" in stmt) == ("NotResource" in stmt):
            raise PolicyGrammarError("a statement needs exactly one of Resource / NotResource")
        action_field = "Action" if "Action" in stmt else "NotAction"
        resource_field = "Resource" if "Resource" in stmt else "NotResource"
        actions = _string_list(stmt, action_field)
        for action in actions:
            if action != "*" and not re.fullmatch(r"[A-Za-z0-9*?-]+:[A-Za-z0-9*?]+", action):
                raise PolicyGrammarError(f"malformed action: {action!r}")
        resources = _string_list(stmt, resource_field)
        conditions: list[_Condition] = []
        raw_conditions = stmt.get("Condition", {})
        if not isinstance(raw_conditions, dict):
            raise PolicyGrammarError("Condition must be an object")
        for op, block in raw_conditions.items():
            if op not in CONDITION_OPERATORS:
                raise PolicyGrammarError(f"unknown condition operator: {op}")
            if not isinstance(block, dict) or not block:
                raise PolicyGrammarError(f"condition {op} must map keys to values")
            for key, values in block.items():
                conditions.append(_Condition(key.lower(), _compile_condition(op, key, values)))
        statements.append(_Statement(
            allow=effect == "Allow",
            actions=_Matcher(actions, fold_case=True),
            not_action=action_field == "NotAction",
            resources=_Matcher(resources, fold_case=False),
            not_resource=resource_field == "NotResource",
            conditions=tuple(conditions),
        ))
    return CompiledPolicy(tuple(statements))


def validate_policy(doc: Any) -> None:
    """Raise PolicyGrammarError unless `doc` is a policy RAM accepts."""
    compile_policy(doc)


# ---------------------------------------------------------------------------------------------
# the per-request entry point

_CACHE_MAX = 4096
_cache: dict[int, tuple[dict[str, Any], CompiledPolicy]] = {}
_cache_lock = threading.Lock()


def compiled(doc: dict[str, Any]) -> CompiledPolicy:
    """The compiled form of `doc`, cached by object identity (the dict is kept alive by the cache,
    so an id cannot be reused while its entry exists)."""
    hit = _cache.get(id(doc))
    if hit is not None and hit[0] is doc:
        return hit[1]
    result = compile_policy(doc)
    with _cache_lock:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[id(doc)] = (doc, result)
    return result


def _normalise_context(context: Mapping[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in context.items()}


def evaluate_documents(policies: Iterable[dict[str, Any]], session_policy: dict[str, Any] | None,
                       action: str, resource: str, context: Mapping[str, Any]) -> Decision:
    """Decision for a set of identity policies, optionally intersected with a session policy."""
    ctx = _normalise_context(context)
    identity = IMPLICIT_DENY
    for doc in policies:
        decision = compiled(doc).decide(action, resource, ctx)
        if decision == EXPLICIT_DENY:
            return EXPLICIT_DENY
        if decision == ALLOW:
            identity = ALLOW
    if session_policy is not None:
        session = compiled(session_policy).decide(action, resource, ctx)
        if session == EXPLICIT_DENY:
            return EXPLICIT_DENY
        if session != ALLOW:
            return IMPLICIT_DENY
    return identity


def evaluate(principal: Principal, action: str, resource: str, context: Mapping[str, Any]) -> Decision:
    """Allow / ExplicitDeny / ImplicitDeny for `principal` doing `action` on `resource`.

    context keys: "acs:SourceIp", "acs:CurrentTime" (ISO), "acs:SecureTransport" ("true"/"false"),
    "oss:Prefix", "oss:Delimiter" (case-insensitive).
    """
    return evaluate_documents(principal.policies, principal.session_policy, action, resource, context)
