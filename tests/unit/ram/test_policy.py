"""Policy evaluation: wildcards, case rules, explicit deny, conditions, session-policy intersection."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from localcloud.ram import policy
from localcloud.ram.model import Principal
from localcloud.ram.policy import PolicyGrammarError, evaluate, evaluate_documents, validate_policy

pytestmark = pytest.mark.unit

B = "acs:oss:*:*:bkt"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "1", "Statement": list(statements)}


def allow(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any, **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(
    policies: list[dict[str, Any]],
    action: str,
    resource: str,
    context: dict[str, Any] | None = None,
    session: dict[str, Any] | None = None,
) -> str:
    return evaluate_documents(policies, session, action, resource, context or {})


def test_star_matches_any_run_including_slashes() -> None:
    p = doc(allow("oss:PutObject", f"{B}/videos/*"))
    assert decide([p], "oss:PutObject", f"{B}/videos/cam-1/2026/11/28/a.ts") == "Allow"
    assert decide([p], "oss:PutObject", f"{B}/videos/") == "Allow"
    assert decide([p], "oss:PutObject", f"{B}/video/x") == "ImplicitDeny"
    assert decide([p], "oss:PutObject", f"{B}/live/x") == "ImplicitDeny"


def test_question_mark_matches_exactly_one_character() -> None:
    p = doc(allow("oss:GetObject", f"{B}/cam-?/x"))
    assert decide([p], "oss:GetObject", f"{B}/cam-1/x") == "Allow"
    assert decide([p], "oss:GetObject", f"{B}/cam-12/x") == "ImplicitDeny"
    assert decide([p], "oss:GetObject", f"{B}/cam-/x") == "ImplicitDeny"


def test_regex_metacharacters_in_patterns_are_literal() -> None:
    p = doc(allow("oss:GetObject", f"{B}/a.b+(c)[d]/*"))
    assert decide([p], "oss:GetObject", f"{B}/a.b+(c)[d]/k") == "Allow"
    assert decide([p], "oss:GetObject", f"{B}/aXb+(c)[d]/k") == "ImplicitDeny"


def test_actions_are_case_insensitive_resources_are_not() -> None:
    p = doc(allow("oss:getobject", f"{B}/Videos/*"))
    assert decide([p], "oss:GetObject", f"{B}/Videos/a") == "Allow"
    assert decide([p], "OSS:GETOBJECT", f"{B}/Videos/a") == "Allow"
    assert decide([p], "oss:GetObject", f"{B}/videos/a") == "ImplicitDeny"


def test_action_wildcards_and_lists() -> None:
    p = doc(allow(["oss:Get*", "oss:ListParts"], "*"))
    assert decide([p], "oss:GetObject", f"{B}/k") == "Allow"
    assert decide([p], "oss:GetBucketLifecycle", B) == "Allow"
    assert decide([p], "oss:ListParts", f"{B}/k") == "Allow"
    assert decide([p], "oss:PutObject", f"{B}/k") == "ImplicitDeny"
    assert decide([p], "sts:GetObject", f"{B}/k") == "ImplicitDeny"


def test_explicit_deny_wins_across_statements_and_policies() -> None:
    broad = doc(allow("oss:*", "*"))
    narrow_deny = doc(deny("oss:DeleteObject", f"{B}/videos/*"))
    assert decide([broad, narrow_deny], "oss:DeleteObject", f"{B}/videos/a") == "ExplicitDeny"
    assert decide([narrow_deny, broad], "oss:DeleteObject", f"{B}/videos/a") == "ExplicitDeny"
    assert decide([broad, narrow_deny], "oss:DeleteObject", f"{B}/index/a") == "Allow"
    same = doc(allow("oss:*", "*"), deny("oss:PutObject", f"{B}/_system/*"))
    assert decide([same], "oss:PutObject", f"{B}/_system/devices/x.json") == "ExplicitDeny"


def test_not_action_and_not_resource() -> None:
    p = doc(
        {"Effect": "Allow", "NotAction": "oss:DeleteObject", "Resource": f"{B}/*"},
        {"Effect": "Deny", "Action": "oss:*", "NotResource": [f"{B}/videos/*", f"{B}/live/*"]},
    )
    assert decide([p], "oss:GetObject", f"{B}/videos/a") == "Allow"
    assert decide([p], "oss:DeleteObject", f"{B}/videos/a") == "ImplicitDeny"
    assert decide([p], "oss:GetObject", f"{B}/index/a") == "ExplicitDeny"


def test_session_policy_intersects_identity_policies() -> None:
    role = doc(allow(["oss:PutObject", "oss:ListParts"], [f"{B}/videos/*", f"{B}/live/*"]))
    session = doc(allow(["oss:PutObject", "oss:GetObject"], f"{B}/videos/cam-1/*"))
    assert decide([role], "oss:PutObject", f"{B}/videos/cam-1/a", session=session) == "Allow"
    # allowed by the role only
    assert decide([role], "oss:PutObject", f"{B}/videos/cam-2/a", session=session) == "ImplicitDeny"
    assert decide([role], "oss:ListParts", f"{B}/videos/cam-1/a", session=session) == "ImplicitDeny"
    # allowed by the session policy only
    assert decide([role], "oss:GetObject", f"{B}/videos/cam-1/a", session=session) == "ImplicitDeny"


def test_deny_in_session_policy_denies() -> None:
    role = doc(allow("oss:*", "*"))
    session = doc(allow("oss:*", "*"), deny("oss:PutObject", f"{B}/index/*"))
    assert decide([role], "oss:PutObject", f"{B}/index/a", session=session) == "ExplicitDeny"
    assert decide([role], "oss:PutObject", f"{B}/videos/a", session=session) == "Allow"


def test_no_policies_is_implicit_deny() -> None:
    assert decide([], "oss:GetObject", f"{B}/a") == "ImplicitDeny"


@pytest.mark.parametrize(
    ("op", "values", "value", "expected"),
    [
        ("StringEquals", ["a", "b"], "b", True),
        ("StringEquals", "a", "A", False),
        ("StringNotEquals", ["a"], "b", True),
        ("StringNotEquals", ["a"], "a", False),
        ("StringEqualsIgnoreCase", "ABC", "abc", True),
        ("StringNotEqualsIgnoreCase", "ABC", "abc", False),
        ("StringLike", ["index/*", "videos/*"], "videos/cam-1/", True),
        ("StringLike", "index/*", "_system/x", False),
        ("StringLike", "cam-?", "cam-12", False),
        ("StringNotLike", "_system/*", "videos/", True),
        ("StringNotLike", "_system/*", "_system/nonces/", False),
        ("NumericLessThan", "10", "9", True),
        ("NumericLessThan", "10", "10", False),
        ("NumericGreaterThanEquals", "10", "10", True),
        ("Bool", "true", "true", True),
        ("Bool", "true", "false", False),
        ("IpAddress", ["10.0.0.0/8", "127.0.0.1"], "127.0.0.1", True),
        ("IpAddress", "10.0.0.0/8", "192.168.1.1", False),
        ("IpAddress", "10.0.0.0/8", "not-an-ip", False),
        ("NotIpAddress", "10.0.0.0/8", "192.168.1.1", True),
        ("NotIpAddress", "10.0.0.0/8", "10.1.2.3", False),
        ("DateLessThan", "2026-12-01T00:00:00Z", "2026-11-28T15:00:00Z", True),
        ("DateLessThan", "2026-12-01T00:00:00Z", "2026-12-01T00:00:01Z", False),
        ("DateGreaterThan", "2026-11-28T23:00:00+08:00", "2026-11-28T15:00:01Z", True),
        ("DateGreaterThan", "2026-11-28T23:00:00+08:00", "2026-11-28T14:59:59Z", False),
    ],
)
def test_condition_operators(op: str, values: Any, value: str, expected: bool) -> None:
    p = doc(allow("oss:ListObjects", B, Condition={op: {"test:Key": values}}))
    got = decide([p], "oss:ListObjects", B, {"test:Key": value})
    assert got == ("Allow" if expected else "ImplicitDeny")


@pytest.mark.parametrize("op", ["StringEquals", "StringNotEquals", "StringNotLike", "NotIpAddress", "Bool"])
def test_condition_with_missing_key_does_not_match(op: str) -> None:
    values = "true" if op == "Bool" else ("10.0.0.0/8" if "Ip" in op else "x")
    p = doc(allow("oss:ListObjects", B, Condition={op: {"oss:Prefix": values}}))
    assert decide([p], "oss:ListObjects", B, {"oss:Delimiter": "/"}) == "ImplicitDeny"


def test_condition_keys_are_case_insensitive_and_blocks_are_anded() -> None:
    p = doc(
        allow(
            "oss:ListObjects",
            B,
            Condition={
                "StringLike": {"oss:Prefix": "index/*"},
                "IpAddress": {"acs:SourceIp": "127.0.0.0/8"},
            },
        )
    )
    assert decide([p], "oss:ListObjects", B, {"OSS:prefix": "index/", "acs:sourceip": "127.0.0.1"}) == "Allow"
    assert (
        decide([p], "oss:ListObjects", B, {"oss:Prefix": "index/", "acs:SourceIp": "10.0.0.1"})
        == "ImplicitDeny"
    )
    assert (
        decide([p], "oss:ListObjects", B, {"oss:Prefix": "videos/", "acs:SourceIp": "127.0.0.1"})
        == "ImplicitDeny"
    )


def test_deny_with_condition_only_applies_when_condition_holds() -> None:
    p = doc(allow("oss:*", "*"), deny("oss:*", "*", Condition={"Bool": {"acs:SecureTransport": "false"}}))
    assert decide([p], "oss:GetObject", f"{B}/a", {"acs:SecureTransport": "false"}) == "ExplicitDeny"
    assert decide([p], "oss:GetObject", f"{B}/a", {"acs:SecureTransport": "true"}) == "Allow"
    assert decide([p], "oss:GetObject", f"{B}/a", {"acs:SecureTransport": True}) == "Allow"


def test_current_time_condition() -> None:
    p = doc(
        allow("oss:GetObject", "*", Condition={"DateLessThan": {"acs:CurrentTime": "2030-01-01T00:00:00Z"}})
    )
    assert decide([p], "oss:GetObject", f"{B}/a", {"acs:CurrentTime": "2029-12-31T23:59:59Z"}) == "Allow"
    assert (
        decide([p], "oss:GetObject", f"{B}/a", {"acs:CurrentTime": "2030-01-01T00:00:00Z"}) == "ImplicitDeny"
    )


@pytest.mark.parametrize(
    "bad",
    [
        [],
        {"Version": "2", "Statement": [allow("oss:*", "*")]},
        {"Version": "1", "Statement": []},
        {"Version": "1"},
        {"Version": "1", "Statement": [{"Effect": "Maybe", "Action": "oss:*", "Resource": "*"}]},
        {"Version": "1", "Statement": [{"Effect": "Allow", "Resource": "*"}]},
        {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*"}]},
        {
            "Version": "1",
            "Statement": [{"Effect": "Allow", "Action": "oss:*", "NotAction": "x:y", "Resource": "*"}],
        },
        {"Version": "1", "Statement": [allow("oss PutObject", "*")]},
        {"Version": "1", "Statement": [allow("oss:*", [])]},
        {"Version": "1", "Statement": [allow("oss:*", 5)]},
        {"Version": "1", "Statement": [allow("oss:*", "*", Condition={"StringSortOf": {"k": "v"}})]},
        {
            "Version": "1",
            "Statement": [allow("oss:*", "*", Condition={"IpAddress": {"acs:SourceIp": "nope"}})],
        },
        {
            "Version": "1",
            "Statement": [allow("oss:*", "*", Condition={"Bool": {"acs:SecureTransport": "yes"}})],
        },
        {
            "Version": "1",
            "Statement": [allow("oss:*", "*", Condition={"DateLessThan": {"acs:CurrentTime": "soon"}})],
        },
        {"Version": "1", "Statement": [allow("oss:*", "*", Extra=1)]},
        {"Version": "1", "Statement": [allow("oss:*", "*")], "Id": "x"},
    ],
)
def test_grammar_errors(bad: Any) -> None:
    with pytest.raises(PolicyGrammarError):
        validate_policy(bad)


def test_compiled_form_is_cached_by_identity_and_recompiled_for_a_new_dict() -> None:
    p = doc(allow("oss:GetObject", "*"))
    first = policy.compiled(p)
    assert policy.compiled(p) is first
    q = doc(allow("oss:GetObject", "*"))
    assert policy.compiled(q) is not first


def test_evaluate_reads_principal_policies_and_session_policy() -> None:
    principal = Principal(
        access_key_id="STS.x",
        secret="s",
        arn="arn",
        principal_id="1:s",
        kind="assumed-role",
        policies=(doc(allow("oss:*", f"{B}/*")),),
        session_policy=doc(allow("oss:GetObject", f"{B}/a")),
        expiration=None,
    )
    assert evaluate(principal, "oss:GetObject", f"{B}/a", {}) == "Allow"
    assert evaluate(principal, "oss:GetObject", f"{B}/b", {}) == "ImplicitDeny"
    assert evaluate(principal, "oss:PutObject", f"{B}/a", {}) == "ImplicitDeny"


def reference_match(pattern: str, value: str) -> bool:
    """Textbook dynamic-programming wildcard match (`*` any run, `?` one char), the oracle."""
    rows, cols = len(pattern), len(value)
    dp = [[False] * (cols + 1) for _ in range(rows + 1)]
    dp[0][0] = True
    for i in range(1, rows + 1):
        dp[i][0] = dp[i - 1][0] and pattern[i - 1] == "*"
        for j in range(1, cols + 1):
            if pattern[i - 1] == "*":
                dp[i][j] = dp[i - 1][j] or dp[i][j - 1]
            else:
                dp[i][j] = dp[i - 1][j - 1] and pattern[i - 1] in ("?", value[j - 1])
    return dp[rows][cols]


_ALPHABET = "ab/.*?+(\n"


@settings(max_examples=400, deadline=None)
@given(
    patterns=st.lists(st.text(alphabet=_ALPHABET, min_size=1, max_size=8), min_size=1, max_size=3),
    value=st.text(alphabet="ab/.+(\n", max_size=10),
)
def test_compiled_matcher_agrees_with_the_reference(patterns: list[str], value: str) -> None:
    p = doc(allow("oss:GetObject", patterns))
    expected = any(reference_match(pat, value) for pat in patterns)
    assert (decide([p], "oss:GetObject", value) == "Allow") == expected
