"""Activity settings validation (plain-words errors) and the packed clip header (round trip, limits)."""

from __future__ import annotations

import pytest
from vigil_camera.activity.meta import MAX_HEADER, ActivityMetaError, ClipActivity, pack, unpack
from vigil_camera.activity.settings import ActivitySettings, ActivitySettingsError

SQUARE = [[0.1, 0.1], [0.4, 0.1], [0.4, 0.4], [0.1, 0.4]]


def test_settings_round_trip() -> None:
    doc = {"sensitivity": 0.7, "min_object": 0.01, "ignore_zones": [SQUARE],
           "zones": [{"name": "driveway", "points": SQUARE}]}
    s = ActivitySettings.from_dict(doc)
    assert s.zone_names == ("driveway",)
    assert ActivitySettings.from_dict(s.to_dict()) == s


@pytest.mark.parametrize(("zone", "words"), [
    ({"name": "porch", "points": [[0.1, 0.1], [0.2, 0.2]]}, 'zone "porch" must have between 3'),
    ({"name": "porch", "points": [[0.1, 0.1], [0.5, 0.5], [0.9, 0.9]]}, 'zone "porch" has no area'),
    ({"name": "porch", "points": [[0, 0], [1, 1], [1, 0], [0, 1]]}, 'zone "porch" crosses itself'),
    ({"name": "porch", "points": [[0, 0], [1.5, 0], [1, 1]]}, 'zone "porch": point 2 (1.5, 0) is outside'),
    ({"name": "porch", "points": [[0, 0], ["a", 0], [1, 1]]}, 'zone "porch": point 2 must be a pair'),
    ({"name": "a;b", "points": SQUARE}, "zone 1 has the name 'a;b'"),
])
def test_bad_zone_is_named_in_plain_words(zone: dict, words: str) -> None:
    with pytest.raises(ActivitySettingsError) as err:
        ActivitySettings.from_dict({"zones": [zone]})
    assert words in str(err.value)


def test_duplicate_and_range_errors() -> None:
    with pytest.raises(ActivitySettingsError, match='zone "gate" is named twice'):
        ActivitySettings.from_dict({"zones": [{"name": "gate", "points": SQUARE}] * 2})
    with pytest.raises(ActivitySettingsError, match="sensitivity must be between 0 and 1"):
        ActivitySettings.from_dict({"sensitivity": 3})
    with pytest.raises(ActivitySettingsError, match="unknown activity setting"):
        ActivitySettings.from_dict({"sensitivty": 0.5})


def _activity(n: int) -> ClipActivity:
    scores = tuple((i % 3) / 2 for i in range(n))
    boxes = tuple((0.1, 0.2, 0.5, 0.9) if s > 0 else None for s in scores)
    masks = tuple(0b10 if s > 0 else 0 for s in scores)
    return ClipActivity(scores, boxes, masks, ("gate", "porch"))


def test_pack_round_trip() -> None:
    a = _activity(10)
    b = unpack(pack(a), max_seconds=10)
    assert all(abs(x - y) <= 1 / 126 for x, y in zip(b.scores, a.scores, strict=True))
    assert b.zones_at(1) == ("porch",) and b.zones_at(0) == ()
    assert b.boxes[1] is not None and abs(b.boxes[1][3] - 0.9) < 1 / 63


def test_unpack_refuses_what_cannot_be_trusted() -> None:
    good = pack(_activity(10))
    with pytest.raises(ActivityMetaError, match="claims 10 seconds in a clip of at most 4"):
        unpack(good, max_seconds=4)
    with pytest.raises(ActivityMetaError, match="version 1"):
        unpack("2;" + good[2:], max_seconds=10)
    with pytest.raises(ActivityMetaError, match="do not match"):
        unpack(good[:-1], max_seconds=10)
    with pytest.raises(ActivityMetaError, match="not a base-64 digit"):
        unpack("1;0!;;;", max_seconds=10)
    with pytest.raises(ActivityMetaError, match="over"):
        unpack("1;" + "0" * MAX_HEADER + ";;;", max_seconds=10 ** 6)
    with pytest.raises(ActivityMetaError, match="names a zone"):
        unpack("1;V;0000;gate;00F", max_seconds=1)


def test_pack_over_budget_refuses() -> None:
    with pytest.raises(ActivityMetaError, match="budget"):
        pack(_activity(1200))
