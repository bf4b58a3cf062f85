"""The device registry: one JSON record per device at `_system/devices/<id>.json`.

A record holds no secret: a device's secret is derived from the master key and the record's
`key_version` (`vigil_camera.protocol.device_secret`), so rotating is bumping the version and
disabling is flipping `status`. The token function only reads records; the operator CLI (and the
api function) write them. Ids are validated before they reach a key.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any, Literal

import oss2
from vigil_camera.keys import SYSTEM, device_record_key
from vigil_camera.protocol import validate_device_id

from .nonces import put_new

Status = Literal["enabled", "disabled"]
STATUSES: tuple[str, ...] = ("enabled", "disabled")
DEVICES_PREFIX = f"{SYSTEM}devices/"
MAX_NAME = 200
MAX_NOTES = 2000


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RegistryError(Exception):
    """A registry operation that cannot proceed (exists already, unknown device, corrupt record)."""


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    status: Status = "enabled"
    name: str = ""
    key_version: int = 1
    created: str = ""
    updated: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        validate_device_id(self.device_id)
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        version = self.key_version
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError("key_version must be an integer >= 1")
        if len(self.name) > MAX_NAME or len(self.notes) > MAX_NOTES:
            raise ValueError(f"name is limited to {MAX_NAME} and notes to {MAX_NOTES} characters")

    @property
    def enabled(self) -> bool:
        return self.status == "enabled"

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> DeviceRecord:
        try:
            doc = json.loads(data)
            if not isinstance(doc, dict):
                raise ValueError("record is not an object")
            fields = {k: doc[k] for k in cls.__dataclass_fields__ if k in doc}
            return cls(**fields)
        except (ValueError, TypeError) as exc:
            raise RegistryError(f"corrupt device record: {exc}") from exc

    def with_changes(self, **changes: Any) -> DeviceRecord:
        return replace(self, updated=utc_now_iso(), **changes)


class Registry:
    """Reads and writes device records through an `oss2.Bucket` (whoever's credentials it carries)."""

    def __init__(self, bucket: oss2.Bucket) -> None:
        self.bucket = bucket

    def get(self, device_id: str) -> DeviceRecord | None:
        key = device_record_key(device_id)
        try:
            data = self.bucket.get_object(key).read()
        except oss2.exceptions.NoSuchKey:
            return None
        return DeviceRecord.from_json(data)

    def require(self, device_id: str) -> DeviceRecord:
        record = self.get(device_id)
        if record is None:
            raise RegistryError(f"no such device: {device_id}")
        return record

    def create(self, record: DeviceRecord) -> DeviceRecord:
        """Write a new record; refuses to replace an existing device."""
        now = utc_now_iso()
        record = replace(record, created=record.created or now, updated=now)
        if not put_new(self.bucket, device_record_key(record.device_id), record.to_json(),
                       {"Content-Type": "application/json"}):
            raise RegistryError(f"device {record.device_id} exists already")
        return record

    def save(self, record: DeviceRecord) -> DeviceRecord:
        self.bucket.put_object(device_record_key(record.device_id), record.to_json(),
                               headers={"Content-Type": "application/json"})
        return record

    def update(self, device_id: str, **changes: Any) -> DeviceRecord:
        return self.save(self.require(device_id).with_changes(**changes))

    def rotate(self, device_id: str) -> DeviceRecord:
        record = self.require(device_id)
        return self.save(record.with_changes(key_version=record.key_version + 1))

    def delete(self, device_id: str) -> None:
        self.require(device_id)
        self.bucket.delete_object(device_record_key(device_id))

    def ids(self) -> Iterator[str]:
        """Device ids in key order (records whose name is not a valid id are skipped)."""
        for info in oss2.ObjectIteratorV2(self.bucket, prefix=DEVICES_PREFIX):
            name = info.key[len(DEVICES_PREFIX):]
            if not name.endswith(".json"):
                continue
            device_id = name[: -len(".json")]
            try:
                yield validate_device_id(device_id)
            except ValueError:
                continue
