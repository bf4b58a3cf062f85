"""The events routes' edges through localcloud (issue 23): bad input answers a 4xx in the error shape,
review state is per user, and a camera-limited viewer reaches none of another camera's events by
any route. The day is written as the indexer leaves it (rows with the packed activity header), so
these run in seconds; tests/integration/api/test_events_api.py goes camera → indexer → api."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from vigil_camera.activity.meta import ClipActivity, pack
from vigil_fn.api.users import UserStore

from tests.activity_day import CROSSING, new_camera, write_day

from .conftest import Account, Api

pytestmark = pytest.mark.integration

ORIGIN = datetime(2026, 11, 20, 0, 0, tzinfo=timezone.utc)
DAY_MS = int(ORIGIN.timestamp() * 1000)
DAY = f"?start={DAY_MS}&end={DAY_MS + 86_400_000}"
BUSY = (360, 720, 1080)          # clips (10 s each) with a 4-second crossing: 01:00, 02:00, 03:00


def _camera(cloud: Any) -> str:
    """A camera whose day holds three events (two touching zone `gate`), written as the indexer does."""
    bucket = cloud.bucket()
    camera = new_camera(bucket, "cam-ev")
    quiet = pack(ClipActivity((0.0,) * 3 + (0.3,) * 2 + (0.0,) * 5, (None,) * 3 + ((0.5, 0.5, 0.6, 0.6),) * 2
                              + (None,) * 5, (0,) * 10, ()))
    write_day(bucket, camera, ORIGIN, clips=1200, activity={BUSY[0]: CROSSING, BUSY[1]: CROSSING, BUSY[2]: quiet})
    return camera


def _error(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text[:300]
    body = resp.json()
    assert set(body) == {"error"} and isinstance(body["error"]["code"], str) and body["error"]["message"]
    assert "Traceback" not in resp.text
    return dict(body["error"])


def test_bad_input_is_a_4xx_in_the_error_shape(cloud: Any, admin: Api) -> None:
    camera = _camera(cloud)
    base = f"/api/v1/cameras/{camera}"
    for path in (f"{base}/events?start=x&end=1", f"{base}/events?start=5&end=1",
                 f"{base}/events?start=0&end={8 * 86_400_000}",            # over the 7-day span
                 f"{base}/events{DAY}&min_score=2", f"{base}/events{DAY}&reviewed=maybe",
                 f"{base}/events{DAY}&zone=bad%2Fzone",
                 f"/api/v1/events{DAY}&camera=NOT_AN_ID",
                 f"{base}/events/near?at=abc", f"{base}/events/near?at=1&direction=sideways",
                 f"{base}/activity{DAY}&bins=0", f"{base}/activity{DAY}&bins=100000",
                 "/api/v1/cameras/NOT..valid/events" + DAY):
        _error(admin.get(path), 400)
    assert _error(admin.request("PUT", f"{base}/events/12ab/review"), 400)["code"] == "invalid_event"
    assert _error(admin.request("PUT", f"{base}/events/{'9' * 16}/review"), 400)["code"] == "invalid_event"
    assert _error(admin.request("PUT", f"{base}/events/{DAY_MS + 5}/review"), 404)["code"] == "not_found"
    bad_zone = {"zones": [{"name": "porch", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}]}
    err = _error(admin.request("PUT", f"{base}/activity-settings", json=bad_zone), 400)
    assert "porch" in err["message"]
    _error(admin.request("PUT", f"{base}/activity-settings", data=b"{not json",
                         headers={"Content-Type": "application/json"}), 400)


def test_review_state_is_per_user_and_filters(cloud: Any, make_user: Callable[..., Account],
                                              client: Callable[[Account | None], Api]) -> None:
    camera = _camera(cloud)
    base = f"/api/v1/cameras/{camera}"
    ann, bob = client(make_user("viewer")), client(make_user("viewer"))
    events = ann.get(f"{base}/events{DAY}").json()["events"]
    assert [e["start"] + 1000 for e in events] == [DAY_MS + 10_000 * i + (2000 if i != BUSY[2] else 3000)
                                                   for i in BUSY]
    assert not any(e["reviewed"] for e in events)
    first = events[0]["id"].split(":")[1]
    marked = ann.request("PUT", f"{base}/events/{first}/review")
    assert marked.status_code == 200 and marked.json() == {"id": events[0]["id"], "reviewed": True}
    assert [e["reviewed"] for e in ann.get(f"{base}/events{DAY}").json()["events"]] == [True, False, False]
    assert [e["reviewed"] for e in bob.get(f"{base}/events{DAY}").json()["events"]] == [False] * 3
    assert [e["id"] for e in ann.get(f"{base}/events{DAY}&reviewed=false").json()["events"]] == \
        [e["id"] for e in events[1:]]
    assert [e["id"] for e in ann.get(f"{base}/events{DAY}&zone=gate").json()["events"]] == \
        [e["id"] for e in events[:2]]
    assert [e["id"] for e in ann.get(f"{base}/events{DAY}&min_score=0.5").json()["events"]] == \
        [e["id"] for e in events[:2]]
    # next / previous from an instant, as the page's keys ask
    near = ann.get(f"{base}/events/near?at={events[0]['start'] + 1}&direction=next").json()["event"]
    assert near["id"] == events[1]["id"] and near["reviewed"] is False
    back = ann.get(f"{base}/events/near?at={events[1]['start']}&direction=previous").json()["event"]
    assert back["id"] == events[0]["id"] and back["reviewed"] is True
    assert ann.request("DELETE", f"{base}/events/{first}/review").json()["reviewed"] is False
    assert not any(e["reviewed"] for e in ann.get(f"{base}/events{DAY}").json()["events"])


def test_a_limited_viewer_reaches_no_other_cameras_events(cloud: Any, make_user: Callable[..., Account],
                                                          client: Callable[[Account | None], Api]) -> None:
    mine, theirs = _camera(cloud), _camera(cloud)
    viewer = client(make_user("viewer", cameras=[mine]))
    other = f"/api/v1/cameras/{theirs}"
    _, first = viewer.get(f"/api/v1/cameras/{mine}/events{DAY}").json()["events"][0]["id"].split(":")
    for resp in (viewer.get(f"{other}/events{DAY}"), viewer.get(f"{other}/events/near?at={DAY_MS}"),
                 viewer.get(f"{other}/activity{DAY}"), viewer.get(f"/api/v1/events{DAY}&camera={theirs}"),
                 viewer.request("PUT", f"{other}/events/{first}/review"),
                 viewer.request("DELETE", f"{other}/events/{first}/review"),
                 viewer.get(f"{other}/activity-settings"),
                 viewer.request("PUT", f"{other}/activity-settings", json={})):
        _error(resp, 403)
    fleet = viewer.get(f"/api/v1/events{DAY}").json()["events"]
    assert fleet and {e["camera"] for e in fleet} == {mine}
    # a viewer may not change settings of its own camera either (admin only)
    _error(viewer.request("PUT", f"/api/v1/cameras/{mine}/activity-settings", json={}), 403)


def test_an_ended_session_reads_no_events(cloud: Any, make_user: Callable[..., Account],
                                          client: Callable[[Account | None], Api]) -> None:
    """The route reads the day while the user record is read (read-ahead): a session ended by a
    password change must still get the 401, not the events."""
    camera = _camera(cloud)
    account = make_user("viewer")
    viewer = client(account)
    assert len(viewer.get(f"/api/v1/cameras/{camera}/events{DAY}").json()["events"]) == 3
    UserStore(cloud.bucket()).set_password(account.name, account.password + "-new")
    resp = viewer.get(f"/api/v1/cameras/{camera}/events{DAY}")
    assert _error(resp, 401)["code"] == "unauthenticated" and "events" not in resp.text
