"""Admin routes: cameras (through `vigil_fn.core.device_admin`, the code `vigil devices` runs), users, audit."""

from __future__ import annotations

from ...core import device_admin
from ...core.devices import DeviceRecord
from ...core.http import ApiError
from ...core.logging import get_logger
from ..app_support import audit, camera_param
from ..models import (
    AuditPage,
    CameraConfig,
    CameraCreate,
    CameraDetail,
    CameraWithConfig,
    UserCreate,
    UserList,
    UserOut,
    UserPatch,
)
from ..queries import AuditQuery
from ..router import Call, Handler, Route, RouteTable
from ..users import validate_name
from .cameras import camera_doc

log = get_logger("vigil.api.admin")


def _require_master_key(call: Call) -> None:
    """Checked before any write: a camera is never registered without a usable config being shown."""
    if not call.svc.settings.master_key:
        raise ApiError(503, "unavailable", "the master key is not configured on the api function")
    if not call.svc.api.token_url:
        raise ApiError(503, "unavailable", "VIGIL_TOKEN_URL is not configured on the api function")


def _with_config(call: Call, record: DeviceRecord) -> CameraWithConfig:
    svc = call.svc
    config = device_admin.device_config(svc.settings.master_key, svc.api.token_url, record)
    detail = CameraDetail(**camera_doc(svc, record.device_id, record))
    return CameraWithConfig(camera=detail, config=CameraConfig(**config))


def add_camera(call: Call) -> CameraWithConfig:
    body = call.body_as(CameraCreate)
    _require_master_key(call)
    record = device_admin.add(call.svc.registry, body.id, name=body.name)
    audit(call, "camera_add", target=record.device_id)
    return _with_config(call, record)


def _status(status: str) -> Handler:
    def run(call: Call) -> CameraDetail:
        camera = camera_param(call)
        record = device_admin.set_status(call.svc.registry, camera, status)
        audit(call, f"camera_{'enable' if status == 'enabled' else 'disable'}", target=camera)
        return CameraDetail(**camera_doc(call.svc, camera, record))
    return run


def rotate_camera(call: Call) -> CameraWithConfig:
    camera = camera_param(call)
    _require_master_key(call)
    record = device_admin.rotate(call.svc.registry, camera)
    audit(call, "camera_rotate", target=camera, detail=f"key version {record.key_version}")
    return _with_config(call, record)


def remove_camera(call: Call) -> None:
    camera = camera_param(call)
    device_admin.remove(call.svc.registry, camera)
    audit(call, "camera_remove", target=camera)


def list_users(call: Call) -> UserList:
    users, unreadable = call.svc.users.readable()
    if unreadable:
        log.warning("unreadable user records", extra={"users": unreadable})
    return UserList(users=[UserOut(**u.public()) for u in users], unreadable=unreadable)


def create_user(call: Call) -> UserOut:
    body = call.body_as(UserCreate)
    user = call.svc.users.create(body.name, body.password, body.role, body.cameras)
    audit(call, "user_add", target=user.name, detail=f"role {user.role}")
    return UserOut(**user.public())


def patch_user(call: Call) -> UserOut:
    name = validate_name(call.params["name"])
    body = call.body_as(UserPatch)
    users = call.svc.users
    user = users.require(name)
    if name == call.user.name and body.role == "viewer":  # refused before anything is written
        raise ApiError(409, "conflict", "you cannot take the admin role from yourself")
    if body.password is not None:
        user = users.set_password(name, body.password)
        audit(call, "user_passwd", target=name)
    if body.role is not None or body.cameras is not None or body.all_cameras:
        user = users.set_role(name, body.role, body.cameras, body.all_cameras)
        audit(call, "user_role", target=name, detail=f"role {user.role}, cameras "
              f"{'all' if user.cameras is None else ','.join(user.cameras)}"[:300])
    return UserOut(**user.public())


def delete_user(call: Call) -> None:
    name = validate_name(call.params["name"])
    if name == call.user.name:
        raise ApiError(409, "conflict", "you cannot remove yourself")
    call.svc.users.remove(name)
    audit(call, "user_remove", target=name)


def audit_page(call: Call) -> AuditPage:
    q = call.query_as(AuditQuery)
    entries, nxt = call.svc.audit.page(q.limit, q.before)
    return AuditPage(entries=entries, next=nxt)


def register(table: RouteTable) -> None:
    table.add(Route("POST", "/api/v1/cameras", add_camera, "admin",
                    "register a camera; answers its config (with the secret) once", body=CameraCreate,
                    response=CameraWithConfig, status=201, tag="admin", errors=(400, 403, 409)))
    table.add(Route("POST", "/api/v1/cameras/{id}/disable", _status("disabled"), "admin",
                    "refuse new tokens to a camera", response=CameraDetail, tag="admin", errors=(403, 404)))
    table.add(Route("POST", "/api/v1/cameras/{id}/enable", _status("enabled"), "admin",
                    "allow a disabled camera again", response=CameraDetail, tag="admin", errors=(403, 404)))
    table.add(Route("POST", "/api/v1/cameras/{id}/rotate", rotate_camera, "admin",
                    "new key version; answers the new config once", response=CameraWithConfig, tag="admin",
                    errors=(403, 404)))
    table.add(Route("DELETE", "/api/v1/cameras/{id}", remove_camera, "admin",
                    "remove a camera's registration (recordings stay)", status=204, tag="admin", errors=(403, 404)))
    table.add(Route("GET", "/api/v1/users", list_users, "admin", "all users", response=UserList, tag="admin"))
    table.add(Route("POST", "/api/v1/users", create_user, "admin", "create a user", body=UserCreate,
                    response=UserOut, status=201, tag="admin", errors=(400, 403, 409)))
    table.add(Route("PATCH", "/api/v1/users/{name}", patch_user, "admin",
                    "change password (ends their sessions), role or camera limit", body=UserPatch,
                    response=UserOut, tag="admin", errors=(400, 403, 404, 409)))
    table.add(Route("DELETE", "/api/v1/users/{name}", delete_user, "admin", "remove a user (ends their sessions)",
                    status=204, tag="admin", errors=(403, 404, 409)))
    table.add(Route("GET", "/api/v1/audit", audit_page, "admin", "the audit trail, newest first", query=AuditQuery,
                    response=AuditPage, tag="admin"))
