"""Login, sessions and CSRF through real HTTP against the api function on localcloud."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

import requests
from vigil_fn.api.sessions import SessionSigner
from vigil_fn.api.users import UserStore
from vigil_fn.core.ratelimit import slot_key


def test_login_me_logout(make_user: Callable[..., Any], client: Callable[..., Any]) -> None:
    account = make_user("viewer", cameras=["cam-abc"])
    api = client()
    resp = api.login(account.name, account.password)
    assert resp.status_code == 200, resp.text
    doc = resp.json()
    assert doc["user"] == {"name": account.name, "role": "viewer", "cameras": ["cam-abc"]}
    cookie = resp.headers["Set-Cookie"]
    assert "vigil_session=" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Path=/" in cookie and "Secure" not in cookie  # plain http on localcloud
    me = api.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["csrf_token"] == doc["csrf_token"]
    assert api.post("/api/v1/logout").status_code == 204
    assert api.get("/api/v1/me").status_code == 401


def test_logout_ends_a_copied_cookie_too(make_user: Callable[..., Any], client: Callable[..., Any],
                                         cloud: Any) -> None:
    account = make_user()
    api = client(account)
    stolen = requests.Session()
    stolen.cookies.update(api.http.cookies)
    base = api.base
    assert stolen.get(f"{base}/api/v1/me", timeout=30).status_code == 200
    assert api.post("/api/v1/logout").status_code == 204
    assert stolen.get(f"{base}/api/v1/me", timeout=30).status_code == 401


def test_wrong_password_and_unknown_user_are_the_same_401(make_user: Callable[..., Any],
                                                          client: Callable[..., Any]) -> None:
    account = make_user()
    for name, password in ((account.name, "not-the-password!"), ("nobody-here", "whatever-password")):
        resp = client().login(name, password)
        assert resp.status_code == 401
        assert resp.json()["error"]["code"] == "invalid_credentials"
        assert "Set-Cookie" not in resp.headers


def test_login_rate_limit_per_user(make_user: Callable[..., Any], client: Callable[..., Any], cloud: Any) -> None:
    account = make_user()
    api = client()
    # ten wrong attempts never exceed the limit of any one-minute window: all plain 401s
    assert [api.login(account.name, "wrong-password-xx").status_code for _ in range(10)] == [401] * 10
    # a window already full (another instance took the slots) refuses at once, even the right password
    now = time.time()
    subject = "lu-" + hashlib.sha256(account.name.encode()).hexdigest()[:40]
    bucket = cloud.bucket()
    for window in (int(now // 60), int(now // 60) + 1):
        for slot in range(10):
            bucket.put_object(slot_key(subject, window, slot), b"")
    resp = api.login(account.name, account.password)
    assert resp.status_code == 429
    assert resp.json()["error"]["code"] == "rate_limited" and "Set-Cookie" not in resp.headers
    assert 1 <= int(resp.headers["Retry-After"]) <= 60
    other = make_user()
    assert client().login(other.name, other.password).status_code == 200  # per user: others are not affected


def test_forged_and_expired_cookies_are_refused(make_user: Callable[..., Any], client: Callable[..., Any],
                                                session_key: bytes) -> None:
    account = make_user()
    api = client(account)
    good = api.http.cookies["vigil_session"]
    base = api.base

    def me(cookie: str) -> requests.Response:
        return requests.get(f"{base}/api/v1/me", headers={"Cookie": f"vigil_session={cookie}"}, timeout=30)

    assert me(good).status_code == 200
    payload, mac = good.split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + mac
    forged, _ = SessionSigner(b"another-key-entirely-0123456789").issue(account.name, 1, time.time())
    expired, _ = SessionSigner(session_key).issue(account.name, 1, time.time() - 13 * 3600)
    for bad in (tampered, forged, expired, "garbage", "a.b", ""):
        resp = me(bad)
        assert resp.status_code == 401, bad
        assert resp.json()["error"]["code"] == "unauthenticated"
    valid, _ = SessionSigner(session_key).issue(account.name, 1, time.time())
    assert me(valid).status_code == 200  # the test's own signing is right: the refusals are real


def test_password_change_ends_sessions_at_once(make_user: Callable[..., Any], client: Callable[..., Any],
                                               cloud: Any) -> None:
    account = make_user()
    api = client(account)
    assert api.get("/api/v1/me").status_code == 200
    UserStore(cloud.bucket()).set_password(account.name, "a-brand-new-password")
    assert api.get("/api/v1/me").status_code == 401
    assert client().login(account.name, "a-brand-new-password").status_code == 200


def test_state_changes_need_the_csrf_header(make_user: Callable[..., Any], client: Callable[..., Any]) -> None:
    api = client(make_user("admin"))
    for headers in ({}, {"X-Vigil-CSRF": "wrong"}):
        resp = api.request("PUT", "/api/v1/settings/retention", json={"days": 30}, csrf=False, headers=headers)
        assert resp.status_code == 403
        assert resp.json()["error"]["code"] == "csrf_required"
    assert api.post("/api/v1/logout", csrf=False).status_code == 403


def test_bad_login_bodies(client: Callable[..., Any]) -> None:
    api = client()
    base = api.base
    cases: list[tuple[Any, dict[str, str], int]] = [
        (b"{not json", {"Content-Type": "application/json"}, 400),
        (b'{"username": "x"}', {"Content-Type": "application/json"}, 400),
        (b'{"username": "x", "password": "y", "extra": 1}', {"Content-Type": "application/json"}, 400),
        (b'["x", "y"]', {"Content-Type": "application/json"}, 400),
        (b"username=x&password=y", {"Content-Type": "application/x-www-form-urlencoded"}, 415),
        (b"", {"Content-Type": "application/json"}, 400),
        (b'{"username": "x", "password": "' + b"p" * 70000 + b'"}', {"Content-Type": "application/json"}, 413),
    ]
    for body, headers, status in cases:
        resp = requests.post(f"{base}/api/v1/login", data=body, headers=headers, timeout=30)
        assert resp.status_code == status, (body[:40], resp.text)
        err = resp.json()["error"]
        assert err["code"] and err["message"]
        assert "Traceback" not in resp.text
    secret = "hunter2-is-my-password"
    resp = requests.post(f"{base}/api/v1/login", json={"username": "x", "password": secret, "oops": True}, timeout=30)
    assert resp.status_code == 400 and secret not in resp.text  # never echo a password


def test_unknown_routes_and_methods(client: Callable[..., Any]) -> None:
    api = client()
    assert api.get("/api/v1/nope").status_code == 404
    resp = api.request("DELETE", "/api/v1/login")
    assert resp.status_code == 405 and "POST" in resp.headers["Allow"]
    assert api.get("/api/v1/cameras").status_code == 401


def test_used_sessions_slide_and_keep_their_csrf_token(make_user: Callable[..., Any], client: Callable[..., Any],
                                                       session_key: bytes) -> None:
    account = make_user()
    base = client().base
    signer = SessionSigner(session_key)
    old, token = signer.issue(account.name, 1, time.time() - 3600)
    resp = requests.get(f"{base}/api/v1/me", headers={"Cookie": f"vigil_session={old}"}, timeout=30)
    assert resp.status_code == 200
    fresh = resp.headers["Set-Cookie"].split(";")[0].split("=", 1)[1]
    renewed = signer.verify(fresh, time.time())
    assert renewed.sid == token.sid and renewed.expires_at > token.expires_at + 3000
    assert resp.json()["csrf_token"] == signer.csrf_token(token)
    recent, _ = signer.issue(account.name, 1, time.time())
    quiet = requests.get(f"{base}/api/v1/me", headers={"Cookie": f"vigil_session={recent}"}, timeout=30)
    assert quiet.status_code == 200 and "Set-Cookie" not in quiet.headers
