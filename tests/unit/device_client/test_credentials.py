from __future__ import annotations

import random
import threading
import time

import pytest
from vigil_camera.backoff import Backoff
from vigil_camera.credentials import TokenError, TokenProvider, TokenUnavailable, parse_time
from vigil_camera.protocol import HEADER_TIMESTAMP

pytestmark = pytest.mark.unit


def test_backoff_bounds_and_growth(dc_token_body):
    b = Backoff(base=0.5, cap=8.0, jitter=1.0, rng=random.Random(1))
    for n in range(12):
        low, high = b.bounds()
        assert low == 0.0
        assert high == min(8.0, 0.5 * 2**n)
        d = b.next_delay()
        assert low <= d <= high
    b.reset()
    assert b.bounds() == (0.0, 0.5)


def test_backoff_partial_jitter_and_retry_after_floor(dc_token_body):
    b = Backoff(base=1.0, cap=60.0, jitter=0.5, rng=random.Random(2))
    for _ in range(50):
        b.reset()
        d = b.next_delay()
        assert 0.5 <= d <= 1.0
    b.reset()
    for _ in range(50):
        assert b.next_delay(retry_after=30.0) >= 30.0
        b.reset()


def test_parse_time_forms(dc_token_body):
    assert parse_time("2026-11-28T10:00:00Z") == 1795860000.0
    assert parse_time(1795860000) == 1795860000.0
    assert parse_time("1795860000") == 1795860000.0


def test_skew_learned_from_response_and_used_in_next_request(dc_token_server, dc_token_body):
    url, script = dc_token_server
    local = 1_000_000.0
    server = local + 1234.0
    script.default = (200, dc_token_body(server), {})
    p = TokenProvider(url, "cam-001", "secret", wall_clock=lambda: local)
    p.fetch_once()
    assert abs(p.skew - 1234.0) < 1.0
    p.fetch_once()
    assert int(script.requests[-1][HEADER_TIMESTAMP]) == int(server)


def test_stale_timestamp_retried_once_with_corrected_time(dc_token_server, dc_token_body):
    url, script = dc_token_server
    local = 2_000_000.0
    server = local - 900.0
    stale = {"error": {"code": "stale_timestamp", "message": "x", "server_time": int(server)}}
    script.responses = [(401, stale, {}),
                        (200, dc_token_body(server), {})]
    p = TokenProvider(url, "cam-001", "secret", wall_clock=lambda: local)
    tok = p.token()
    assert tok.access_key_id == "STS.k1"
    assert len(script.requests) == 2
    assert int(script.requests[0][HEADER_TIMESTAMP]) == int(local)
    assert abs(int(script.requests[1][HEADER_TIMESTAMP]) - server) <= 1


def test_stale_timestamp_twice_is_an_error(dc_token_server, dc_token_body):
    url, script = dc_token_server
    script.default = (401, {"error": {"code": "stale_timestamp", "message": "x", "server_time": 5}}, {})
    p = TokenProvider(url, "cam-001", "secret")
    with pytest.raises(TokenError) as info:
        p.token()
    assert info.value.code == "stale_timestamp"
    assert len(script.requests) == 2


def test_refresh_at_80_percent_of_life_with_jitter(dc_token_server, dc_token_body):
    url, script = dc_token_server
    script.default = (200, dc_token_body(time.time(), life=1000), {})
    now = [100.0]
    p = TokenProvider(url, "cam-001", "secret", monotonic=lambda: now[0], rng=random.Random(3))
    tok = p.token()
    assert 750 <= tok.refresh_at - tok.fetched_at <= 850
    now[0] += 700
    assert p.token() is tok and len(script.requests) == 1
    now[0] += 160
    assert p.token() is not tok and len(script.requests) == 2


def test_invalidate_only_the_failed_token_once(dc_token_server, dc_token_body):
    url, script = dc_token_server
    script.responses = [(200, dc_token_body(time.time(), key="STS.a"), {}),
                        (200, dc_token_body(time.time(), key="STS.b"), {})]
    p = TokenProvider(url, "cam-001", "secret")
    a = p.token()
    p.invalidate(a)
    b = p.token()
    assert b.access_key_id == "STS.b"
    p.invalidate(a)            # a late refusal of the old token must not refresh again
    assert p.token() is b
    assert len(script.requests) == 2


def test_single_flight_under_concurrency(dc_token_server, dc_token_body):
    url, script = dc_token_server
    script.default = (200, dc_token_body(time.time()), {})
    script.delay = 0.2
    p = TokenProvider(url, "cam-001", "secret")
    got = []
    threads = [threading.Thread(target=lambda: got.append(p.token())) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 8 and len({id(t) for t in got}) == 1
    assert len(script.requests) == 1


def test_backs_off_honours_retry_after_then_recovers(dc_token_server, dc_token_body):
    url, script = dc_token_server
    script.responses = [(429, {"error": {"code": "rate_limited", "message": "slow"}}, {"Retry-After": "7"}),
                        (503, {"error": {"code": "sts_unavailable", "message": "down"}}, {}),
                        (200, dc_token_body(time.time()), {})]
    slept: list[float] = []
    clock = [0.0]

    def sleep(s: float) -> None:
        slept.append(s)
        clock[0] += s

    p = TokenProvider(url, "cam-001", "secret", sleep=sleep, monotonic=lambda: clock[0], max_wait=120)
    tok = p.token()
    assert tok.access_key_id == "STS.k1"
    assert slept[0] >= 7.0
    assert len(slept) == 2


def test_refusal_is_not_retried(dc_token_server, dc_token_body):
    url, script = dc_token_server
    script.default = (403, {"error": {"code": "device_disabled", "message": "no"}}, {})
    p = TokenProvider(url, "cam-001", "secret")
    with pytest.raises(TokenError) as info:
        p.token()
    assert info.value.code == "device_disabled" and not info.value.retryable
    assert len(script.requests) == 1


def test_unreachable_gives_up_after_max_wait(dc_token_body):
    clock = [0.0]

    def sleep(s: float) -> None:
        clock[0] += s

    p = TokenProvider("http://127.0.0.1:9", "cam-001", "secret", sleep=sleep, monotonic=lambda: clock[0],
                      max_wait=5, timeout=1)
    with pytest.raises(TokenUnavailable):
        p.token()
    assert clock[0] <= 5.0


def test_describe_never_shows_secrets(dc_token_server, dc_token_body):
    url, script = dc_token_server
    script.default = (200, dc_token_body(time.time()), {})
    tok = TokenProvider(url, "cam-001", "secret").token()
    shown = repr(tok) + str(tok.describe())
    assert "sek" not in shown and "tok" * 10 not in shown


def test_oss_requests_are_dated_with_the_corrected_clock():
    import oss2
    from vigil_camera.credentials import StaticTokens
    from vigil_camera.ossclient import DeviceCredentialsProvider, SkewCorrectedAuth

    tokens = StaticTokens("STS.abc", "secret", endpoint="http://127.0.0.1:1", bucket="b",
                          security_token="tok")
    auth = SkewCorrectedAuth(DeviceCredentialsProvider(tokens), lambda: 1795860000.0)   # type: ignore[arg-type]
    req = oss2.http.Request("PUT", "http://127.0.0.1:1/b/k", headers={"Content-Type": "video/mp2t"})
    auth._sign_request(req, "b", "k")
    assert req.headers["date"] == "Sat, 28 Nov 2026 10:00:00 GMT"
    assert req.headers["x-oss-security-token"] == "tok"
    assert req.headers["authorization"].startswith("OSS STS.abc:")
    plain = oss2.ProviderAuth(DeviceCredentialsProvider(tokens))   # type: ignore[arg-type]
    req2 = oss2.http.Request("PUT", "http://127.0.0.1:1/b/k", headers={"Content-Type": "video/mp2t"})
    plain._sign_request(req2, "b", "k")
    req2.headers["date"] = req.headers["date"]
    plain_sig = plain._ProviderAuth__make_signature(req2, "b", "k", tokens.token_credentials())
    assert req.headers["authorization"] == f"OSS STS.abc:{plain_sig}"    # same string to sign as oss2
