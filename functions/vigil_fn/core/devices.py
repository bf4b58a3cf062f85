"""The device registry: one JSON record per device at `_system/devices/<id>.json`.

A record holds no secret: a device's secret is derived from the master key and the record's
`key_version` (`vigil_camera.protocol.device_secret`), so rotating is bumping the version and
disabling is flipping `status`. The token function only reads records; the operator CLI (and the
api function) write them. Ids are validated before they reach a key.

Disabling, rotating and removing also revoke the device's outstanding tokens (`revocation.py`): the
record's `session_epoch` names its STS sessions, the old epoch's sessions get a bucket-policy deny,
and the record moves to a new epoch so that a re-enabled or rotated device gets working tokens at
once. Every caller (the `vigil devices` CLI, the api function) goes through these methods.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal

import oss2
from vigil_camera.activity.settings import ActivitySettings
from vigil_camera.keys import SYSTEM, camera_owner_key, device_record_key
from vigil_camera.protocol import validate_device_id

from . import safejson
from .errors import Refused
from .nonces import put_new
from .revocation import Revoked, Revoker, new_epoch, session_name

Status = Literal["enabled", "disabled"]
STATUSES: tuple[str, ...] = ("enabled", "disabled")
DEVICES_PREFIX = f"{SYSTEM}devices/"
MAX_NAME = 200
MAX_NOTES = 2000
# A gateway's cameras: STS takes at most 2048 characters of session policy (three prefixes per camera),
# so a gateway holds one token per group of cameras that fits (`token.policy.cameras_that_fit`; ~9
# cameras with 15-character ids and a 20-character bucket). The bound keeps the record and a token
# request naming every camera (48 x 63-character ids) under the token function's 4 KB body limit.
MAX_GATEWAY_CAMERAS = 48
# A gateway's per-camera activity settings live in its record and ride in its token answers. One
# camera's settings can reach ~40 KB (32 polygons x 32 points); the bound keeps the record the token
# function reads per token, and each token answer, small: ~30 cameras' worth of a few drawn zones.
MAX_CAMERA_ACTIVITY_BYTES = 64 * 1024


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class RegistryError(Refused):
    """A registry operation that cannot proceed (a corrupt record, or one of the subclasses)."""


class UnknownDevice(RegistryError):
    """No such device."""

    status, code = 404, "not_found"


class DeviceExists(RegistryError):
    """Creating a device that is registered already."""

    status, code = 409, "conflict"


class CameraTaken(RegistryError):
    """A gateway camera id that another gateway owns, or that is a registered device itself."""

    status, code = 409, "conflict"


class NotItsCamera(RegistryError):
    """Removing a camera the gateway does not have."""

    status, code = 404, "not_found"


class SettingsTooLarge(RegistryError):
    """A gateway's cameras' activity settings together past `MAX_CAMERA_ACTIVITY_BYTES`."""

    status, code = 413, "payload_too_large"


@dataclass(frozen=True)
class DeviceRecord:
    device_id: str
    status: Status = "enabled"
    name: str = ""
    key_version: int = 1
    created: str = ""
    updated: str = ""
    notes: str = ""
    session_epoch: int = 0  # names the device's STS sessions (revocation.session_name); 0 = legacy
    cameras: tuple[str, ...] = ()   # a gateway's cameras: its token uploads under their prefixes too
    activity: dict[str, Any] | None = None   # activity settings (vigil_camera.activity.settings), to the camera
    # a gateway's cameras' activity settings by camera id (they have no record of their own): each
    # camera's analyzer gets its own with the gateway's token
    camera_activity: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_device_id(self.device_id)
        cameras = tuple(self.cameras)
        object.__setattr__(self, "cameras", cameras)
        if len(cameras) > MAX_GATEWAY_CAMERAS:
            raise ValueError(f"a gateway has at most {MAX_GATEWAY_CAMERAS} cameras (register a second gateway)")
        for camera in cameras:
            validate_device_id(camera)
        if len(set(cameras)) != len(cameras) or self.device_id in cameras:
            raise ValueError("camera ids must be distinct and differ from the gateway's own id")
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}")
        version = self.key_version
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise ValueError("key_version must be an integer >= 1")
        if len(self.name) > MAX_NAME or len(self.notes) > MAX_NOTES:
            raise ValueError(f"name is limited to {MAX_NAME} and notes to {MAX_NOTES} characters")
        epoch = self.session_epoch
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
            raise ValueError("session_epoch must be an integer >= 0")
        if self.activity is not None:
            ActivitySettings.from_dict(self.activity)       # ActivitySettingsError is a ValueError
        self._check_camera_activity()

    def _check_camera_activity(self) -> None:
        per_camera = self.camera_activity
        if not isinstance(per_camera, dict):
            raise ValueError("camera_activity must be an object")
        if not per_camera:
            return
        if any(camera not in self.cameras for camera in per_camera):
            raise ValueError("camera_activity names a camera the gateway does not have")
        for settings in per_camera.values():
            ActivitySettings.from_dict(settings)
        if camera_activity_size(per_camera) > MAX_CAMERA_ACTIVITY_BYTES:
            raise ValueError(f"the cameras' activity settings exceed {MAX_CAMERA_ACTIVITY_BYTES} bytes")

    @property
    def enabled(self) -> bool:
        return self.status == "enabled"

    @property
    def session_name(self) -> str:
        """The RoleSessionName the token function gives this device's tokens."""
        return session_name(self.device_id, self.session_epoch)

    def to_json(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> DeviceRecord:
        try:
            doc = safejson.loads(data)
            if not isinstance(doc, dict):
                raise ValueError("record is not an object")
            fields = {k: doc[k] for k in cls.__dataclass_fields__ if k in doc}
            return cls(**fields)
        except (ValueError, TypeError) as exc:
            raise RegistryError("corrupt device record: {reason}", reason=exc) from exc

    def with_changes(self, **changes: Any) -> DeviceRecord:
        return replace(self, updated=utc_now_iso(), **changes)


def camera_activity_size(per_camera: dict[str, Any]) -> int:
    """The bytes a gateway's per-camera settings take in its record and token answers (compact JSON)."""
    return len(json.dumps(per_camera, separators=(",", ":")))


class Registry:
    """Reads and writes device records through an `oss2.Bucket` (whoever's credentials it carries).

    `revoker` records the session denies; by default one built from `Settings.from_env()` (the upload
    role ARN and the maximum token life), which is what the functions run with.
    """

    def __init__(self, bucket: oss2.Bucket, revoker: Revoker | None = None) -> None:
        self.bucket = bucket
        self._revoker = revoker
        self.last_revocation: Revoked | None = None
        self._seen: dict[str, tuple[str, DeviceRecord]] = {}   # id -> (ETag, record): `records()`'s

    @property
    def revoker(self) -> Revoker:
        if self._revoker is None:
            from .config import Settings

            settings = Settings.from_env()
            self._revoker = Revoker(self.bucket, settings.upload_role_arn, settings.token_ttl_max)
        return self._revoker

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
            raise UnknownDevice("no such device: {device}", device=device_id)
        return record

    def create(self, record: DeviceRecord) -> DeviceRecord:
        """Write a new record; refuses to replace an existing device. A gateway's cameras are
        claimed first (each camera id has one owner, and is not itself a registered device)."""
        self._claim(record.device_id, record.cameras)
        now = utc_now_iso()
        record = replace(record, created=record.created or now, updated=now,
                         session_epoch=record.session_epoch or new_epoch())
        if not put_new(self.bucket, device_record_key(record.device_id), record.to_json(),
                       {"Content-Type": "application/json"}):
            raise DeviceExists("device {device} exists already", device=record.device_id)
        return record

    def save(self, record: DeviceRecord) -> DeviceRecord:
        self.bucket.put_object(device_record_key(record.device_id), record.to_json(),
                               headers={"Content-Type": "application/json"})
        return record

    def update(self, device_id: str, **changes: Any) -> DeviceRecord:
        """Change fields; a change to `status="disabled"` revokes the device's outstanding tokens."""
        record = self.require(device_id)
        if record.enabled and changes.get("status") == "disabled":
            changes["session_epoch"] = new_epoch(record.session_epoch)
            saved = self.save(record.with_changes(**changes))
            self._revoke(record)
            return saved
        return self.save(record.with_changes(**changes))

    def rotate(self, device_id: str) -> DeviceRecord:
        """Bump the key version (the old secret stops working) and revoke tokens issued under it."""
        record = self.require(device_id)
        saved = self.save(record.with_changes(key_version=record.key_version + 1,
                                              session_epoch=new_epoch(record.session_epoch)))
        if record.enabled:
            self._revoke(record)
        return saved

    def activity_of(self, camera_id: str) -> dict[str, Any] | None:
        """A camera's activity settings: a device's from its record, a gateway camera's from its
        gateway's; None when none were set. Raises UnknownDevice for neither."""
        record = self.get(camera_id)
        if record is not None:
            return record.activity
        return self._camera_gateway(camera_id).camera_activity.get(camera_id)

    def set_activity(self, camera_id: str, settings: dict[str, Any]) -> None:
        """Store a camera's activity settings where its token function reads them: a device's
        record, or its gateway's (delivered with the gateway's next token for that camera)."""
        if self.get(camera_id) is not None:
            self.update(camera_id, activity=settings)
            return
        gateway = self._camera_gateway(camera_id)
        per_camera = {**gateway.camera_activity, camera_id: settings}
        if camera_activity_size(per_camera) > MAX_CAMERA_ACTIVITY_BYTES:
            raise SettingsTooLarge("the activity settings of gateway {gateway}'s cameras would exceed {limit} "
                                   "bytes; draw fewer or simpler zones", gateway=gateway.device_id,
                                   limit=MAX_CAMERA_ACTIVITY_BYTES)
        self.save(gateway.with_changes(camera_activity=per_camera))

    def _camera_gateway(self, camera_id: str) -> DeviceRecord:
        owner = self.owner(camera_id)
        gateway = self.get(owner) if owner else None
        if gateway is None or camera_id not in gateway.cameras:
            raise UnknownDevice("no such camera: {camera}", camera=camera_id)
        return gateway

    def owner(self, camera_id: str) -> str | None:
        """The gateway that uploads for `camera_id`, or None."""
        try:
            doc = safejson.loads(self.bucket.get_object(camera_owner_key(camera_id)).read())
        except oss2.exceptions.NoSuchKey:
            return None
        return str(doc.get("gateway")) if isinstance(doc, dict) else None

    def _claim(self, gateway_id: str, cameras: tuple[str, ...]) -> None:
        if self.get(gateway_id) is None and self.owner(gateway_id) is not None:
            raise CameraTaken("{device} is a camera of gateway {gateway}", device=gateway_id,
                              gateway=self.owner(gateway_id))
        claimed: list[str] = []
        for camera in cameras:
            if self.get(camera) is not None:
                self._release(claimed)
                raise CameraTaken("camera {camera} is a registered device itself", camera=camera)
            body = json.dumps({"gateway": gateway_id}).encode()
            if not put_new(self.bucket, camera_owner_key(camera), body, {"Content-Type": "application/json"}):
                if self.owner(camera) == gateway_id:
                    continue
                self._release(claimed)
                raise CameraTaken("camera {camera} belongs to gateway {gateway} already", camera=camera,
                                  gateway=self.owner(camera))
            claimed.append(camera)

    def _release(self, cameras: list[str] | tuple[str, ...]) -> None:
        for camera in cameras:
            self.bucket.delete_object(camera_owner_key(camera))

    def add_cameras(self, gateway_id: str, cameras: list[str]) -> DeviceRecord:
        """Give a gateway more cameras (its next token covers them)."""
        record = self.require(gateway_id)
        new = tuple(c for c in cameras if c not in record.cameras)
        changed = record.with_changes(cameras=record.cameras + new)   # validates count and ids first
        self._claim(gateway_id, new)
        return self.save(changed)

    def remove_camera(self, gateway_id: str, camera_id: str) -> DeviceRecord:
        """Take a camera from its gateway and revoke the gateway's outstanding token, which covered
        it (the gateway's next token covers only the cameras it still has)."""
        record = self.require(gateway_id)
        if camera_id not in record.cameras:
            raise NotItsCamera("camera {camera} is not a camera of gateway {gateway}", camera=camera_id,
                               gateway=gateway_id)
        saved = self.save(record.with_changes(cameras=tuple(c for c in record.cameras if c != camera_id),
                                              camera_activity={c: a for c, a in record.camera_activity.items()
                                                               if c != camera_id},
                                              session_epoch=new_epoch(record.session_epoch)))
        self._release([camera_id])
        if record.enabled:
            self._revoke(record)
        return saved

    def delete(self, device_id: str) -> None:
        """Remove the record and revoke the device's outstanding tokens (its recordings stay)."""
        record = self.require(device_id)
        self.bucket.delete_object(device_record_key(device_id))
        self._release(record.cameras)
        if record.enabled:
            self._revoke(record)

    def _revoke(self, record: DeviceRecord) -> None:
        """Deny the sessions of the record's (old) epoch. Raises `RevocationError` after the record
        change is saved: no new token is issued either way, the caller learns the old one lives on."""
        self.last_revocation = self.revoker.revoke(record.device_id, record.session_epoch)

    def prune_revocations(self) -> int:
        """Drop denies no token can need any more; returns how many were dropped."""
        return self.revoker.prune()

    def ids(self) -> Iterator[str]:
        """Device ids in key order (records whose name is not a valid id are skipped)."""
        for device_id, _ in self._listed():
            yield device_id

    def _listed(self) -> Iterator[tuple[str, str]]:
        """(device id, record ETag) in key order, from one listing."""
        for info in oss2.ObjectIteratorV2(self.bucket, prefix=DEVICES_PREFIX):
            name = info.key[len(DEVICES_PREFIX):]
            if not name.endswith(".json"):
                continue
            try:
                yield validate_device_id(name[: -len(".json")]), info.etag
            except ValueError:
                continue

    def records(self, get_many: Callable[..., Iterable[Any]] | None = None) -> dict[str, DeviceRecord]:
        """Every record, in id order, from one listing plus a GET of each record whose ETag the listing
        shows changed since this instance last read it.

        Why: the cameras grid asks for every record on each refresh; a GET per camera was most of its
        time. The listing is as fresh as a GET (OSS lists strongly consistently) and names each
        object's ETag, so a record is re-read exactly when it changed. `get_many(fn, ids)` maps `fn`
        over ids (a thread pool's `map`) for the records that must be read."""
        listed = list(self._listed())
        stale = [d for d, etag in listed if self._seen.get(d, ("", None))[0] != etag]
        for device_id, got in zip(stale, (get_many or map)(self._get_tagged, stale), strict=True):
            if got is not None:
                self._seen[device_id] = got
        ids = {d for d, _ in listed}
        self._seen = {d: v for d, v in self._seen.items() if d in ids}   # bounded by the registry
        return {d: self._seen[d][1] for d, _ in listed if d in self._seen}

    def _get_tagged(self, device_id: str) -> tuple[str, DeviceRecord] | None:
        try:
            result = self.bucket.get_object(device_record_key(device_id))
        except oss2.exceptions.NoSuchKey:
            return None   # removed between the listing and the GET
        return result.etag, DeviceRecord.from_json(result.read())
