"""Overwrite protection (OSS OverwriteConfig): which principals may not replace which keys.

Config dict (what the HTTP layer parses `<OverwriteConfiguration>` into):
`{"rules": [{"id": str, "action": "forbid", "prefix": str, "suffix": str, "principals": [str]}]}`.
A rule matches when the key has its prefix and suffix and the writer matches one of its
principals (`*` wildcards, as in bucket policies; no principals = everyone). A matching rule
refuses the overwrite of an EXISTING object with 409 FileAlreadyExists (the code real OSS gives
for `x-oss-forbid-overwrite`; the code of overwrite-config refusals is not documented publicly).
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from typing import Any

from ..errors import InvalidArgument, OSSError

MAX_RULES = 100


def validate(doc: dict[str, Any]) -> dict[str, Any]:
    """Normalise and check a parsed config; raises InvalidArgument / MalformedXML."""
    rules = doc.get("rules")
    if not isinstance(rules, list):
        raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
    if len(rules) > MAX_RULES:
        raise InvalidArgument(f"An overwrite config holds at most {MAX_RULES} rules.", "Rule")
    out = []
    seen: set[str] = set()
    for rule in rules:
        if not isinstance(rule, dict):
            raise OSSError("MalformedXML", "The XML you provided was not well-formed.", 400)
        rid = str(rule.get("id") or uuid.uuid4())
        if rid in seen:
            raise InvalidArgument(f"Duplicate rule id {rid!r}.", "ID")
        seen.add(rid)
        action = rule.get("action", "forbid")
        if action != "forbid":
            raise InvalidArgument("Action must be forbid.", "Action")
        prefix, suffix = str(rule.get("prefix") or ""), str(rule.get("suffix") or "")
        if len(prefix) > 1023 or len(suffix) > 1023:
            raise InvalidArgument("Prefix and Suffix are at most 1023 characters.", "Prefix")
        principals = rule.get("principals") or []
        if not isinstance(principals, list) or not all(isinstance(p, str) and p for p in principals):
            raise InvalidArgument("Principals must be a list of strings.", "Principals")
        out.append({"id": rid, "action": action, "prefix": prefix, "suffix": suffix,
                    "principals": list(principals)})
    return {"rules": out}


@lru_cache(maxsize=512)
def _pattern(pattern: str) -> re.Pattern[str]:
    """`*` any run of characters, `?` one character, everything else literal."""
    return re.compile(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), re.DOTALL)


def principal_matches(pattern: str, principal_arn: str) -> bool:
    """Does a rule principal (ARN, account/user id, `*` wildcards) cover this writer?

    A role ARN (`acs:ram::<acct>:role/<name>`) also covers the sessions of that role
    (`acs:ram::<acct>:assumed-role/<name>/<session>`); a bare id matches the ARN's last part
    or the account id.
    """
    if not principal_arn:
        return pattern == "*"
    if _pattern(pattern).fullmatch(principal_arn):
        return True
    role = re.fullmatch(r"acs:ram::([^:]*):role/(.+)", pattern)
    session = re.fullmatch(r"acs:ram::([^:]*):assumed-role/([^/]+)/.*", principal_arn)
    if role and session:
        acct_ok = _pattern(role.group(1)).fullmatch(session.group(1)) is not None
        return acct_ok and _pattern(role.group(2).lower()).fullmatch(session.group(2).lower()) is not None
    if ":" not in pattern:
        parts = re.split(r"[:/]", principal_arn)
        return any(_pattern(pattern).fullmatch(p) for p in parts if p)
    return False


def forbidding_rule(config: dict[str, Any] | None, key: str, principal_arn: str) -> str | None:
    """The id of the first rule that forbids `principal_arn` to overwrite `key`, or None."""
    if not config:
        return None
    for rule in config.get("rules", []):
        if not key.startswith(rule["prefix"]) or not key.endswith(rule["suffix"]):
            continue
        principals = rule["principals"]
        if not principals or any(principal_matches(p, principal_arn) for p in principals):
            return str(rule["id"])
    return None
