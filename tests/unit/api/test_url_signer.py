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


def test_the_camera_list_outlives_a_signer_that_cannot_sign() -> None:
    """/cameras carries each tile's still: when the viewer role cannot be assumed, the tile goes
    without its still instead of the whole list answering 503."""
    from types import SimpleNamespace

    from vigil_fn.api.routes.cameras import tile_still
    from vigil_fn.core.sts import StsUnavailable
    from vigil_fn.indexer.log import Clip

    def refused(duration: int) -> IssuedCredentials:
        raise StsUnavailable("NoPermission", "not today")

    clip = Clip("videos/cam-a/2026/12/01/100000000Z-0.ts", "e", 10, 1_796_119_200_000, 10_000, "h264", 320, 180,
                True, "ok", None, 0)
    broken = SimpleNamespace(urls=UrlSigner("http://127.0.0.1:9", "vigil-test", 900, refused, clock=lambda: NOW))
    assert tile_still(broken, "cam-a", clip) is None  # type: ignore[arg-type]
    working = SimpleNamespace(urls=UrlSigner("http://127.0.0.1:9", "vigil-test", 900, lambda d: issued(NOW + d),
                                             clock=lambda: NOW))
    doc = tile_still(working, "cam-a", clip)  # type: ignore[arg-type]
    assert doc is not None and doc["shows"] == clip.start and doc["clip_end"] == clip.start + 10_000
    assert "/stills/cam-a/2026/12/01/100000000Z-0.jpg" in doc["url"] and doc["expires"] == (int(NOW) + 900) * 1000
    assert tile_still(working, "cam-a", None) is None  # type: ignore[arg-type]
