"""Session cookie signing, CSRF tokens and instant parsing (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vigil_fn.api import sessions, times
from vigil_fn.api.sessions import SessionError, SessionSigner

pytestmark = pytest.mark.unit
KEY = b"k" * 32


def test_issue_verify_roundtrip_and_expiry() -> None:
    signer = SessionSigner(KEY)
    cookie, token = signer.issue("alice", 3, 1000.0)
    assert signer.verify(cookie, 1000.0 + sessions.SESSION_SECONDS - 1) == token
    with pytest.raises(SessionError, match="expired"):
        signer.verify(cookie, 1000.0 + sessions.SESSION_SECONDS)
    with pytest.raises(SessionError):
        SessionSigner(b"x" * 32).verify(cookie, 1000.0)


@given(st.text(max_size=300))
def test_garbage_never_verifies(value: str) -> None:
    with pytest.raises(SessionError):
        SessionSigner(KEY).verify(value, 0)


def test_csrf_token_is_bound_to_the_session() -> None:
    signer = SessionSigner(KEY)
    _, a = signer.issue("alice", 1, 0)
    _, b = signer.issue("alice", 1, 0)
    assert signer.csrf_ok(a, signer.csrf_token(a))
    assert not signer.csrf_ok(a, signer.csrf_token(b)) and not signer.csrf_ok(a, None) and not signer.csrf_ok(a, "")


def test_short_keys_are_refused() -> None:
    with pytest.raises(ValueError):
        SessionSigner(b"short")


def test_cookie_header_parsing() -> None:
    assert sessions.read_cookie("a=1; vigil_session=abc.def; b=2") == "abc.def"
    assert sessions.read_cookie("vigil_sessionx=1") is None and sessions.read_cookie(None) is None


@pytest.mark.parametrize(("text", "ms"), [("2026-12-01T10:00:00Z", 1_796_119_200_000),
                                          ("2026-12-01T18:00:00+08:00", 1_796_119_200_000),
                                          ("1796119200000", 1_796_119_200_000), (1_796_119_200_000, 1_796_119_200_000)])
def test_instants(text: object, ms: int) -> None:
    assert times.parse_instant(text) == ms


@pytest.mark.parametrize("bad", ["2026-12-01T10:00:00", "yesterday", "", True, None, 1.5, "-5", "99999999999999999"])
def test_bad_instants(bad: object) -> None:
    with pytest.raises(ValueError):
        times.parse_instant(bad)
