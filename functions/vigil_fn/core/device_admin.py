"""Camera administration — the one code path behind `vigil devices` and the api's camera routes.

Adding, disabling, enabling, rotating and removing a camera go through these functions only, so
whatever must happen on such a change (e.g. revoking outstanding tokens) is hooked in here once and
applies to the operator CLI and the web admin alike. The secret is derived, never stored; the
config (with the secret) is returned by `add` and `rotate` only, for the caller to show once.
"""

from __future__ import annotations

from typing import Any

from vigil_camera.protocol import device_secret, validate_device_id

from .devices import DeviceRecord, Registry


def device_config(master_key: bytes, token_url: str, record: DeviceRecord) -> dict[str, Any]:
    """The vigil-camera config for a record's current key version (holds the secret)."""
    if not master_key:
        raise ValueError("the master key is not configured")
    return {"token_url": token_url, "device_id": record.device_id,
            "device_secret": device_secret(master_key, record.device_id, record.key_version)}


def add(registry: Registry, device_id: str, name: str = "", notes: str = "",
        cameras: tuple[str, ...] = ()) -> DeviceRecord:
    """Register a new device (refuses an existing id); with `cameras`, a gateway uploading for them."""
    return registry.create(DeviceRecord(validate_device_id(device_id), name=name, notes=notes,
                                        cameras=tuple(cameras)))


def set_cameras(registry: Registry, gateway_id: str, *, add: tuple[str, ...] = (),
                remove: tuple[str, ...] = ()) -> DeviceRecord:
    """Add and remove a gateway's cameras; a removal revokes the gateway's outstanding token."""
    record = registry.require(validate_device_id(gateway_id))
    if add:
        record = registry.add_cameras(gateway_id, [validate_device_id(c) for c in add])
    for camera in remove:
        record = registry.remove_camera(gateway_id, validate_device_id(camera))
    return record


def set_status(registry: Registry, device_id: str, status: str) -> DeviceRecord:
    """Enable or disable: a disabled device gets no new token from the next request on."""
    return registry.update(validate_device_id(device_id), status=status)


def rotate(registry: Registry, device_id: str) -> DeviceRecord:
    """Bump the key version: the old secret stops working at once."""
    return registry.rotate(validate_device_id(device_id))


def remove(registry: Registry, device_id: str) -> None:
    """Delete the record (recordings stay until retention removes them)."""
    registry.delete(validate_device_id(device_id))
