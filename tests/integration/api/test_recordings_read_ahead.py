"""The timeline and the calendar start their reads while the caller's user record is read (issue 30,
read-ahead): what they read reaches nobody the route would refuse (an ended session: 401, another
camera of a camera-limited viewer: 403, bad input: 400), and a good answer is the same as before."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from vigil_fn.api.users import UserStore

from tests.activity_day import new_camera, write_day

from .conftest import Account, Api

pytestmark = pytest.mark.integration

ORIGIN = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)
DAY_MS = int(ORIGIN.timestamp() * 1000)
DAY = f"?start={DAY_MS}&end={DAY_MS + 86_400_000}"
MONTH = "?month=2026-11&tz=UTC"


def _camera(cloud: Any) -> str:
    bucket = cloud.bucket()
    camera = new_camera(bucket, "cam-ra")
    write_day(bucket, camera, ORIGIN, clips=30, activity={})
    return camera


def _error(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text[:300]
    return dict(resp.json()["error"])


def test_read_ahead_answers_only_whom_the_route_lets_in(cloud: Any, make_user: Callable[..., Account],
                                                         client: Callable[[Account | None], Api]) -> None:
    mine, theirs = _camera(cloud), _camera(cloud)
    account = make_user("viewer", cameras=[mine])
    viewer = client(account)
    items = viewer.get(f"/api/v1/cameras/{mine}/timeline{DAY}").json()["items"]
    assert len([i for i in items if i["type"] == "clip"]) == 30
    assert viewer.get(f"/api/v1/cameras/{mine}/calendar{MONTH}").json()["days"] == [
        {"day": "2026-11-20", "clips": 30, "recorded_ms": 300_000}]
    # another camera: 403 and nothing of its recordings
    for path in (f"/api/v1/cameras/{theirs}/timeline{DAY}", f"/api/v1/cameras/{theirs}/calendar{MONTH}"):
        resp = viewer.get(path)
        assert _error(resp, 403)["code"] == "forbidden" and "items" not in resp.text and "days" not in resp.text
    # bad input is refused as before: too long a span, a bad month, a bad id
    assert _error(viewer.get(f"/api/v1/cameras/{mine}/timeline?start={DAY_MS}&end={DAY_MS + 8 * 86_400_000}"),
                  400)["code"] == "invalid_range"
    _error(viewer.get(f"/api/v1/cameras/{mine}/calendar?month=2026-13&tz=UTC"), 400)
    _error(viewer.get(f"/api/v1/cameras/{mine}/calendar?month=2026-11&tz=Mars/Base"), 400)
    _error(viewer.get(f"/api/v1/cameras/Bad!/timeline{DAY}"), 400)
    # a session ended by a password change: 401, not the recordings
    UserStore(cloud.bucket()).set_password(account.name, account.password + "-new")
    for path in (f"/api/v1/cameras/{mine}/timeline{DAY}", f"/api/v1/cameras/{mine}/calendar{MONTH}"):
        resp = viewer.get(path)
        assert _error(resp, 401)["code"] == "unauthenticated" and "items" not in resp.text and "days" not in resp.text
