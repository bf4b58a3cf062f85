"""The fleet simulator's camera asks for tokens at exactly the virtual times the real
`TokenProvider` does, for a fixed seed — through refreshes, refusals with Retry-After, failures
while the old token still works, and an outage long enough for the token to expire."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
import requests
from vigil_camera.credentials import TokenError, TokenProvider
from vigil_ops.sim.camera import Camera

pytestmark = pytest.mark.unit

LIFE = 1000
SEED = 1234


class RecordingSession(requests.Session):
    """A real HTTP session that notes the virtual time of every request it sends."""

    def __init__(self, clock: list[float]) -> None:
        super().__init__()
        self.clock = clock
        self.sent: list[float] = []

    def post(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent.append(self.clock[0])
        return super().post(*args, **kwargs)


def _script(body: Any) -> list[tuple[int, dict[str, Any], dict[str, str]]]:
    ok = (200, body(time.time(), life=LIFE), {})
    busy = (429, {"error": {"code": "sts_busy", "message": "later"}}, {"Retry-After": "7"})
    sts_down = (503, {"error": {"code": "sts_unavailable", "message": "down"}}, {"Retry-After": "5"})
    gone = (503, {"error": {"code": "service_unavailable", "message": "down"}}, {"Retry-After": "90"})
    # refresh twice; a shed and a failure while the token still works; then an outage that
    # outlives the token (Retry-After 90 s, four times past the remaining ~200 s of life)
    return [ok, ok, busy, sts_down, ok, gone, gone, gone, gone, gone, ok, ok]


def _simulated_times(script: list[tuple[int, dict[str, Any], dict[str, str]]]) -> tuple[list[float], Camera]:
    rng = random.Random(SEED)
    cam = Camera(rng, 0.0)
    t, times, gaps = 0.0, [], []
    for status, doc, headers in script:
        cam.send(t)
        times.append(t)
        if status == 200:
            gap = cam.issued(t, float(LIFE), rng)
            if gap is not None and gap[0] > 0:
                gaps.append(gap)
            t = cam.refresh_at
        else:
            ra = float(headers["Retry-After"]) if "Retry-After" in headers else None
            again = cam.failed(t, TokenError(doc["error"]["code"], "", status, ra))
            assert again is not None
            t = again
    assert len(gaps) == 1 and gaps[0][1] - gaps[0][0] > 60, "the outage must outlive the token"
    return times, cam


def test_simulated_camera_asks_exactly_when_the_provider_does(dc_token_server, dc_token_body):
    url, server = dc_token_server
    script = _script(dc_token_body)
    server.responses = list(script)
    expected, cam = _simulated_times(script)

    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    session = RecordingSession(clock)
    provider = TokenProvider(url, "cam-001", "secret", session=session, monotonic=lambda: clock[0],
                             sleep=sleep, rng=random.Random(SEED), max_wait=10_000)
    while len(session.sent) < len(expected):
        due = expected[len(session.sent)]
        before = len(session.sent)
        clock[0] = max(clock[0], due - 0.01)
        provider.token()            # a moment early: only a provider with no usable token asks (after sleeping)
        if len(session.sent) == before:
            clock[0] = due
            provider.token()
        assert len(session.sent) > before, f"the provider did not ask at {due}"
        assert session.sent == pytest.approx(expected[:len(session.sent)], abs=1e-9)

    assert session.sent == pytest.approx(expected, abs=1e-9)
    assert not server.responses, "every scripted answer was used"
    tok = provider.current()
    assert tok is not None and tok.refresh_at == pytest.approx(cam.refresh_at, abs=1e-9)
    assert tok.fetched_at + tok.lifetime == pytest.approx(cam.expiry, abs=1e-9)
    # the stretches it could not upload: the outage outlived the token, the sim saw the same
    assert provider.fetches == cam.fetches == 5 and provider.requests == cam.requests == len(expected)


def test_a_different_seed_gives_a_different_schedule(dc_token_body):
    script = _script(dc_token_body)
    first, _ = _simulated_times(script)
    rng = random.Random(SEED + 1)
    other = Camera(rng, 0.0)
    other.send(0.0)
    other.issued(0.0, float(LIFE), rng)
    assert other.refresh_at != pytest.approx(first[1])
    assert 750 <= other.refresh_at <= 850
