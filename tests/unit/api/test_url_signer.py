"""Presigned URLs never outlive the credentials that signed them, nor 15 minutes."""

from __future__ import annotations

from datetime import datetime, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
from vigil_fn.api.presign import UrlSigner
from vigil_fn.core.sts import IssuedCredentials

pytestmark = pytest.mark.unit
NOW = 1_800_000_000.0


def issued(expires_at: float) -> IssuedCredentials:
    iso = datetime.fromtimestamp(expires_at, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return IssuedCredentials("STS.id", "secret", "token", iso)


def test_urls_expire_within_the_ttl_and_before_the_session() -> None:
    sessions: list[float] = []

    def assume(duration: int) -> IssuedCredentials:
        sessions.append(duration)
        return issued(NOW + duration)

    signer = UrlSigner("http://127.0.0.1:9", "vigil-test", 900, assume, clock=lambda: NOW)
    signed = signer.sign("videos/cam-a/x.ts", now=NOW)
    assert signed.expires == int(NOW) + 900
    assert parse_qs(urlsplit(signed.url).query)["security-token"] == ["token"]
    urls, expires = signer.sign_many(["a", "b"])
    assert len(urls) == 2 and expires == int(NOW) + 900 and sessions == [3600]
    # near the session's end a new session is assumed, so no URL outlives the one that signed it
    late = NOW + 3600 - 900
    assert signer.sign("k", now=late).expires <= late + 900 and len(sessions) == 2


def test_ttl_is_capped_at_15_minutes_and_by_short_sessions() -> None:
    signer = UrlSigner("http://127.0.0.1:9", "vigil-test", 86_400, lambda d: issued(NOW + d), clock=lambda: NOW)
    assert signer.url_ttl == 900
    short = UrlSigner("http://127.0.0.1:9", "vigil-test", 900, lambda d: issued(NOW + 300), clock=lambda: NOW)
    assert short.sign("k", now=NOW).expires <= NOW + 300
