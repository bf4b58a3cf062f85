"""Least privilege, proven through localcloud OSS with real oss2 + StsAuth: what each role may and
may not do. Every denied call must come back as OSS `AccessDenied`, every allowed one must work."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import oss2
import pytest

pytestmark = pytest.mark.integration

DENIED = "AccessDenied"
OK = "ok"


def outcome(fn: Callable[[], Any]) -> str:
    try:
        fn()
    except oss2.exceptions.OssError as exc:
        return str(exc.code)
    return OK


def fresh(operator: oss2.Bucket, prefix: str) -> str:
    """A key under `prefix` that the operator has just written (for deletes and reads)."""
    key = f"{prefix}{uuid.uuid4().hex[:8]}"
    operator.put_object(key, b"seed")
    return key


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def op_put(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    return b.put_object(unique(target), b"data")


def op_put_no_overwrite(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    return b.put_object(unique(target), b"", headers={"x-oss-forbid-overwrite": "true"})


def op_get(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    return b.get_object(fresh(op, target)).read()


def op_head(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    return b.head_object(fresh(op, target))


def op_delete(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    key = fresh(op, target)
    b.delete_object(key)
    assert not op.object_exists(key)


def op_append(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    key = unique(target)
    first = b.append_object(key, 0, b"line-1\n")
    return b.append_object(key, first.next_position, b"line-2\n")


def op_multipart(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    key = unique(target)
    upload_id = b.init_multipart_upload(key).upload_id
    part = b.upload_part(key, upload_id, 1, b"part-1")
    b.list_parts(key, upload_id)
    return b.complete_multipart_upload(key, upload_id, [oss2.models.PartInfo(1, part.etag)])


def op_abort_own(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    key = unique(target)
    upload_id = b.init_multipart_upload(key).upload_id
    return b.abort_multipart_upload(key, upload_id)


def op_list_parts_of_operator_upload(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    key = unique(target)
    upload_id = op.init_multipart_upload(key).upload_id
    return b.list_parts(key, upload_id)


def op_abort_operator_upload(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    key = unique(target)
    upload_id = op.init_multipart_upload(key).upload_id
    return b.abort_multipart_upload(key, upload_id)


def op_list(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    return b.list_objects(prefix=target, max_keys=10)


def op_list_v2(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    return b.list_objects_v2(prefix=target, delimiter="/", max_keys=10)


def op_get_lifecycle(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    return b.get_bucket_lifecycle()


def op_delete_bucket(b: oss2.Bucket, op: oss2.Bucket, target: str) -> Any:
    return b.delete_bucket()


OPS: dict[str, Callable[[oss2.Bucket, oss2.Bucket, str], Any]] = {
    "put": op_put,
    "put-no-overwrite": op_put_no_overwrite,
    "get": op_get,
    "head": op_head,
    "delete": op_delete,
    "append": op_append,
    "multipart": op_multipart,
    "abort-own": op_abort_own,
    "list-parts-of-operator-upload": op_list_parts_of_operator_upload,
    "abort-operator-upload": op_abort_operator_upload,
    "list": op_list,
    "list-v2": op_list_v2,
    "get-lifecycle": op_get_lifecycle,
    "delete-bucket": op_delete_bucket,
}

# (who, operation, key or prefix, expected): "device" is cam-1 with the token function's session
# policy; "upload-role" is the upload role with no session policy (its own cap only).
CASES = [
    # -- a device session: writes to its own videos/ and live/, nothing else
    ("device", "put", "videos/cam-1/2026/11/28/", OK),
    ("device", "put", "live/cam-1/", OK),
    ("device", "append", "live/cam-1/", OK),
    ("device", "multipart", "videos/cam-1/2026/11/28/", OK),
    ("device", "abort-own", "videos/cam-1/2026/11/28/", OK),
    ("device", "put", "videos/cam-2/2026/11/28/", DENIED),
    ("device", "put", "live/cam-2/", DENIED),
    ("device", "put", "videos/cam-10/", DENIED),
    ("device", "put", "index/cam-1/", DENIED),
    ("device", "put", "_system/devices/", DENIED),
    ("device", "put", "_system/nonces/cam-1/", DENIED),
    ("device", "multipart", "videos/cam-2/", DENIED),
    ("device", "abort-operator-upload", "videos/cam-2/", DENIED),
    ("device", "list-parts-of-operator-upload", "videos/cam-2/", DENIED),
    ("device", "get", "videos/cam-1/", DENIED),
    ("device", "head", "videos/cam-1/", DENIED),
    ("device", "delete", "videos/cam-1/", DENIED),
    ("device", "list", "videos/cam-1/", DENIED),
    ("device", "get-lifecycle", "", DENIED),
    # -- the upload role alone caps every session at videos/* and live/* writes
    ("upload-role", "put", "videos/cam-2/", OK),
    ("upload-role", "put", "live/cam-9/", OK),
    ("upload-role", "list-parts-of-operator-upload", "videos/cam-2/", OK),
    ("upload-role", "abort-operator-upload", "videos/cam-2/", OK),
    ("upload-role", "put", "index/cam-1/", DENIED),
    ("upload-role", "put", "_system/devices/", DENIED),
    ("upload-role", "put", "other/", DENIED),
    ("upload-role", "get", "videos/cam-1/", DENIED),
    ("upload-role", "delete", "videos/cam-1/", DENIED),
    ("upload-role", "list", "videos/", DENIED),
    # -- token function: device registry read, nonce write/list, nothing else
    ("vigil-token-fn", "get", "_system/devices/", OK),
    ("vigil-token-fn", "head", "_system/devices/", OK),
    ("vigil-token-fn", "put-no-overwrite", "_system/nonces/cam-1/", OK),
    ("vigil-token-fn", "list", "_system/nonces/cam-1/", OK),
    ("vigil-token-fn", "list-v2", "_system/nonces/", OK),
    ("vigil-token-fn", "put", "_system/devices/", DENIED),
    ("vigil-token-fn", "delete", "_system/devices/", DENIED),
    ("vigil-token-fn", "delete", "_system/nonces/cam-1/", DENIED),
    ("vigil-token-fn", "get", "_system/nonces/cam-1/", DENIED),
    ("vigil-token-fn", "get", "_system/users/", DENIED),
    ("vigil-token-fn", "get", "videos/cam-1/", DENIED),
    ("vigil-token-fn", "put", "videos/cam-1/", DENIED),
    ("vigil-token-fn", "list", "", DENIED),
    ("vigil-token-fn", "list", "_system/devices/", DENIED),
    ("vigil-token-fn", "list", "videos/", DENIED),
    # -- indexer: read clips, read/append/write the index
    ("vigil-indexer-fn", "get", "videos/cam-1/2026/11/28/", OK),
    ("vigil-indexer-fn", "head", "videos/cam-2/", OK),
    ("vigil-indexer-fn", "get", "index/cam-1/", OK),
    ("vigil-indexer-fn", "put", "index/cam-1/", OK),
    ("vigil-indexer-fn", "append", "index/cam-1/", OK),
    ("vigil-indexer-fn", "list", "index/cam-1/", OK),
    ("vigil-indexer-fn", "list-v2", "videos/cam-1/", OK),
    ("vigil-indexer-fn", "put", "videos/cam-1/", DENIED),
    ("vigil-indexer-fn", "delete", "videos/cam-1/", DENIED),
    ("vigil-indexer-fn", "delete", "index/cam-1/", DENIED),
    ("vigil-indexer-fn", "get", "live/cam-1/", DENIED),
    ("vigil-indexer-fn", "get", "_system/devices/", DENIED),
    ("vigil-indexer-fn", "put", "_system/devices/", DENIED),
    ("vigil-indexer-fn", "list", "", DENIED),
    ("vigil-indexer-fn", "list", "_system/", DENIED),
    ("vigil-indexer-fn", "get-lifecycle", "", DENIED),
    # -- api: read/delete recordings, read the index, manage _system/{devices,users,audit}, login limiter slots
    ("vigil-api-fn", "get", "videos/cam-1/", OK),
    ("vigil-api-fn", "head", "videos/cam-2/", OK),
    ("vigil-api-fn", "get", "index/cam-1/", OK),
    ("vigil-api-fn", "delete", "videos/cam-2/", OK),
    ("vigil-api-fn", "list-v2", "index/", OK),
    ("vigil-api-fn", "list-v2", "_system/devices/", OK),
    ("vigil-api-fn", "put", "_system/devices/", OK),
    ("vigil-api-fn", "get", "_system/users/", OK),
    ("vigil-api-fn", "put", "_system/users/", OK),
    ("vigil-api-fn", "delete", "_system/users/", OK),
    ("vigil-api-fn", "put", "_system/audit/", OK),
    ("vigil-api-fn", "append", "_system/audit/", OK),
    ("vigil-api-fn", "put-no-overwrite", "_system/nonces/lu-0123abcd/", OK),
    ("vigil-api-fn", "list-v2", "_system/nonces/lc-0123abcd/", OK),
    ("vigil-api-fn", "get-lifecycle", "", "NoSuchLifecycle"),  # allowed: the bucket just has none
    ("vigil-api-fn", "put", "videos/cam-1/", DENIED),
    ("vigil-api-fn", "put", "index/cam-1/", DENIED),
    ("vigil-api-fn", "delete", "index/cam-1/", DENIED),
    ("vigil-api-fn", "delete", "_system/audit/", DENIED),
    ("vigil-api-fn", "get", "live/cam-1/", DENIED),
    ("vigil-api-fn", "list", "videos/cam-1/", DENIED),
    ("vigil-api-fn", "get", "_system/nonces/cam-1/", DENIED),
    ("vigil-api-fn", "put", "_system/nonces/cam-1/", DENIED),
    ("vigil-api-fn", "list", "_system/nonces/", DENIED),
    ("vigil-api-fn", "list", "", DENIED),
    ("vigil-api-fn", "delete-bucket", "", DENIED),
    # -- alerts (issue 25): health and registry reads, its own _system/alerts/, bucket settings read-only
    ("vigil-alerts-fn", "get", "index/cam-1/", OK),
    ("vigil-alerts-fn", "get", "_system/devices/", OK),
    ("vigil-alerts-fn", "get", "_system/users/", OK),
    ("vigil-alerts-fn", "put", "_system/alerts/outbox/", OK),
    ("vigil-alerts-fn", "put-no-overwrite", "_system/alerts/marks/", OK),
    ("vigil-alerts-fn", "delete", "_system/alerts/outbox/", OK),
    ("vigil-alerts-fn", "list-v2", "_system/alerts/", OK),
    ("vigil-alerts-fn", "list-v2", "_system/devices/", OK),
    ("vigil-alerts-fn", "get-lifecycle", "", "NoSuchLifecycle"),  # allowed: the bucket just has none
    ("vigil-alerts-fn", "get", "videos/cam-1/", DENIED),
    ("vigil-alerts-fn", "put", "index/cam-1/", DENIED),
    ("vigil-alerts-fn", "put", "_system/devices/", DENIED),
    ("vigil-alerts-fn", "put", "_system/users/", DENIED),
    ("vigil-alerts-fn", "get", "_system/nonces/cam-1/", DENIED),
    ("vigil-alerts-fn", "list", "", DENIED),
    ("vigil-alerts-fn", "list", "videos/", DENIED),
    ("vigil-api-fn", "put", "_system/alerts/rules/", OK),
    ("vigil-api-fn", "list-v2", "_system/alerts/dead/", OK),
    ("vigil-api-fn", "put", "_system/alerts/state", DENIED),     # the tick's alone
    ("vigil-api-fn", "put-no-overwrite", "_system/alerts/marks/", DENIED),
    # -- operator parity tokens (vigil token get/from-policy): object calls on the bucket only
    ("operator-token", "get", "videos/cam-1/", OK),
    ("operator-token", "put", "_system/devices/", OK),
    ("operator-token", "append", "live/cam-1/", OK),
    ("operator-token", "delete", "index/cam-1/", OK),
    ("operator-token", "list", "", OK),
    ("operator-token", "multipart", "videos/cam-3/", OK),
    ("operator-token", "get-lifecycle", "", DENIED),
    ("operator-token", "delete-bucket", "", DENIED),
]


@pytest.mark.parametrize(("who", "operation", "target", "expected"), CASES)
def test_role_permission(
    roles: Any,
    roles_session_bucket: Callable[[str], oss2.Bucket],
    who: str,
    operation: str,
    target: str,
    expected: str,
) -> None:
    bucket = roles_session_bucket(who)
    got = outcome(lambda: OPS[operation](bucket, roles.operator(), target))
    assert got == expected, f"{who} {operation} {target!r}: expected {expected}, got {got}"


def test_every_role_is_covered_both_ways() -> None:
    for who in {c[0] for c in CASES}:
        results = {c[3] for c in CASES if c[0] == who}
        assert OK in results or "NoSuchLifecycle" in results, who
        assert DENIED in results, who


def test_only_the_operator_may_assume_the_parity_token_role(roles: Any) -> None:
    from aliyunsdkcore.acs_exception.exceptions import ServerException
    from aliyunsdkcore.auth.credentials import StsTokenCredential
    from aliyunsdkcore.client import AcsClient
    from aliyunsdksts.request.v20150401.AssumeRoleRequest import AssumeRoleRequest

    for role in ("vigil-token-fn", "vigil-api-fn"):
        c = roles.ram.issue_session(roles.ram.role_arn(role), "fc-x", 900, None, None, "fc.aliyuncs.com")
        client = AcsClient(
            region_id="cn-hangzhou",
            timeout=10,
            credential=StsTokenCredential(c.access_key_id, c.access_key_secret, c.security_token),
        )
        req = AssumeRoleRequest()
        req.set_endpoint(f"127.0.0.1:{roles.sts_port}")
        req.set_protocol_type("http")
        req.set_RoleArn(roles.ram.role_arn("vigil-operator-token"))
        req.set_RoleSessionName("sneaky")
        with pytest.raises(ServerException) as err:
            client.do_action_with_exception(req)
        assert (err.value.get_error_code(), err.value.get_http_status()) == ("NoPermission", 403), role


def test_denial_is_the_policy_refusal(roles: Any, roles_session_bucket: Callable[[str], oss2.Bucket]) -> None:
    with pytest.raises(oss2.exceptions.AccessDenied) as err:
        roles_session_bucket("device").get_object("videos/cam-1/2026/11/28/120000000Z-1.ts")
    assert err.value.status == 403
    assert "authorizer's policy" in err.value.message


def test_device_token_expires_at_the_shared_clock(
    roles: Any, roles_device_policy: Callable[[str], Any]
) -> None:
    bucket = roles.device_bucket("cam-1", roles_device_policy("cam-1"))
    bucket.put_object("videos/cam-1/before-expiry.ts", b"x")
    roles.clock.advance(901)
    with pytest.raises(oss2.exceptions.OssError) as err:
        bucket.put_object("videos/cam-1/after-expiry.ts", b"x")
    assert (err.value.status, err.value.code) == (403, "SecurityTokenExpired")
