"""Device registry records: strict ids, round-trip JSON, refusal of corrupt records."""

from __future__ import annotations

import json

import pytest
from vigil_fn.core.devices import DeviceRecord, RegistryError

pytestmark = pytest.mark.unit


def test_record_round_trip() -> None:
    rec = DeviceRecord("cam-1", "enabled", "Front door", 3, "2026-01-01T00:00:00Z", "", "n")
    assert DeviceRecord.from_json(rec.to_json()) == rec
    assert json.loads(rec.to_json())["key_version"] == 3


@pytest.mark.parametrize("kwargs", [{"device_id": "a*"}, {"device_id": "cam-1", "status": "gone"},
                                    {"device_id": "cam-1", "key_version": 0},
                                    {"device_id": "cam-1", "key_version": True},
                                    {"device_id": "cam-1", "name": "x" * 201}])
def test_invalid_records_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        DeviceRecord(**kwargs)


@pytest.mark.parametrize("data", [b"not json", b"[]", b'{"device_id": "../x"}', b'{"status": "enabled"}'])
def test_corrupt_json_is_a_registry_error(data: bytes) -> None:
    with pytest.raises(RegistryError):
        DeviceRecord.from_json(data)


def test_rotation_changes_only_version_and_updated() -> None:
    rec = DeviceRecord("cam-1", created="2026-01-01T00:00:00Z")
    rotated = rec.with_changes(key_version=rec.key_version + 1)
    assert rotated.key_version == 2 and rotated.created == rec.created and rotated.updated
