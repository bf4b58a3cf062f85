"""Disabling, rotating or removing a camera makes its outstanding 1-hour token useless within 5 s.

The camera gets its token from the token function (HTTP trigger, signed like firmware), uploads
with `oss2.StsAuth`; the operator disables it through the registry (what `vigil devices` and the
api function call). Every write with the old token is then refused — PutObject, UploadPart,
CompleteMultipartUpload, InitiateMultipartUpload, AppendObject — while other cameras keep working,
and a re-enabled camera gets a working token at once (its sessions carry a new epoch).
"""

from __future__ import annotations

import json
from typing import Any

import oss2
import pytest
from vigil_fn.core.devices import Registry
from vigil_fn.core.revocation import MAX_POLICY_BYTES, RevocationError, RevocationFull, Revoker

from tests.waiting import wait_for as wait_until

pytestmark = pytest.mark.integration

PART = 100 * 1024
DAY = "2026/12/01"


def _registry(cloud: Any) -> Registry:
    bucket = cloud.bucket()
    return Registry(bucket, Revoker(bucket, f"acs:ram::{cloud.account_id}:role/vigil-device-upload", 3600))


def _refused(call: Any) -> bool:
    try:
        call()
    except oss2.exceptions.AccessDenied:
        return True
    return False


def test_disable_revokes_the_outstanding_token_and_enable_issues_a_working_one(cloud: Any, cameras: Any) -> None:
    registry = _registry(cloud)
    thief, bystander = cameras.provision(), cameras.provision()
    token = cameras.token(thief, ttl=3600)
    stolen = cameras.bucket(token)
    other = cameras.bucket(cameras.token(bystander))
    d = thief.device_id
    stolen.put_object(f"videos/{d}/{DAY}/100000000Z-1.ts", b"before")
    key = f"videos/{d}/{DAY}/100100000Z-2.ts"
    upload_id = stolen.init_multipart_upload(key).upload_id
    part1 = stolen.upload_part(key, upload_id, 1, b"a" * PART)
    live = f"live/{d}/{DAY}/10.ts"
    first = stolen.append_object(live, 0, b"seg1")

    session = registry.require(d).session_name  # what the token function named the token's session
    registry.update(d, status="disabled")
    revoked = registry.last_revocation
    assert revoked is not None and revoked.session == session

    def writes_refused() -> bool:
        return _refused(lambda: stolen.put_object(f"videos/{d}/{DAY}/100200000Z-3.ts", b"after"))

    wait_until(writes_refused, timeout=5.0, what="the stolen token's PutObject to be refused")
    assert _refused(lambda: stolen.upload_part(key, upload_id, 2, b"b" * 10))
    assert _refused(lambda: stolen.complete_multipart_upload(key, upload_id, [oss2.models.PartInfo(1, part1.etag)]))
    assert _refused(lambda: stolen.init_multipart_upload(f"videos/{d}/{DAY}/100300000Z-4.ts"))
    assert _refused(lambda: stolen.append_object(live, first.next_position, b"seg2"))
    assert _refused(lambda: stolen.abort_multipart_upload(key, upload_id))
    operator = cloud.bucket()
    assert operator.get_object(live).read() == b"seg1"

    b = bystander.device_id
    other.put_object(f"videos/{b}/{DAY}/100000000Z-1.ts", b"fine")  # other cameras are unaffected
    assert cameras.request(thief).status_code == 403  # and no new token while disabled

    registry.update(d, status="enabled")
    assert registry.require(d).session_name != session  # a new epoch: no wait for the deny to lapse
    fresh = cameras.bucket(cameras.token(thief))
    fresh.put_object(f"videos/{d}/{DAY}/100400000Z-5.ts", b"back")
    fresh.append_object(f"live/{d}/{DAY}/11.ts", 0, b"seg")
    assert _refused(lambda: stolen.put_object(f"videos/{d}/{DAY}/100500000Z-6.ts", b"still no"))


def test_rotate_and_remove_revoke_too(cloud: Any, cameras: Any) -> None:
    registry = _registry(cloud)
    rotated, removed = cameras.provision(), cameras.provision()
    old_rotated = cameras.bucket(cameras.token(rotated))
    old_removed = cameras.bucket(cameras.token(removed))
    registry.rotate(rotated.device_id)
    registry.delete(removed.device_id)
    r, m = rotated.device_id, removed.device_id
    wait_until(lambda: _refused(lambda: old_rotated.put_object(f"videos/{r}/{DAY}/1.ts", b"x")), 5.0, "rotate")
    wait_until(lambda: _refused(lambda: old_removed.put_object(f"videos/{m}/{DAY}/1.ts", b"x")), 5.0, "remove")
    renewed = cameras.bucket(cameras.token(cameras.rekey(rotated)))  # the new secret works at once
    renewed.put_object(f"videos/{r}/{DAY}/2.ts", b"y")


def _fill(revoker: Revoker, clock: list[float], step: float, limit: int = 1000) -> int:
    """Revoke distinct 24-character device ids, `step` seconds apart, until the policy is full."""
    count = 0
    while count < limit:
        try:
            done = revoker.revoke(f"cam-{count:05d}-lobby-doors", 1_700_000_000_000 + count)
        except RevocationFull:
            return count
        assert done.policy_bytes <= MAX_POLICY_BYTES
        count += 1
        clock[0] += step
    return count


def test_capacity_and_what_happens_at_the_limit(cloud: Any) -> None:
    """How many denies fit in 16 KB, the merge of per-minute statements, and the refusal past it."""
    operator = cloud.bucket("sec-revoke-capacity")
    operator.create_bucket()
    try:
        role = f"acs:ram::{cloud.account_id}:role/vigil-device-upload"
        clock = [1_800_000_000.0]
        revoker = Revoker(operator, role, 3600, clock=lambda: clock[0])
        burst = _fill(revoker, clock, 0.0)  # all in one minute: one statement, one principal each
        assert len(revoker.denies()) == burst  # nothing was lost at the refusal
        clock[0] += 3600 + 121 + 600  # every deny is past the last moment its tokens could be valid
        assert revoker.prune() == burst
        with pytest.raises(oss2.exceptions.NoSuchBucketPolicy):
            operator.get_bucket_policy()
        spread = _fill(revoker, clock, 60.0, limit=150)  # one a minute for 2.5 h: pruning keeps up
        live = len(revoker.denies())
        print(f"\n16 KB bucket policy, 24-character device ids: {burst} denies fit at once; "
              f"one revocation a minute: {spread} done, {live} denies live (expired ones pruned)")
        assert burst >= 100
        assert spread == 150 and live <= (3600 + 120 + 600) // 60 + 1
    finally:
        operator.delete_bucket_policy()
        for info in oss2.ObjectIteratorV2(operator):
            operator.delete_object(info.key)
        operator.delete_bucket()


@pytest.mark.parametrize(("role", "may"), [("vigil-api-fn", True), ("vigil-token-fn", False),
                                           ("vigil-indexer-fn", False)])
def test_only_the_api_role_may_write_the_bucket_policy(cloud: Any, role: str, may: bool) -> None:
    ram = cloud.stack.ram
    c = ram.issue_session(ram.role_arn(role), "fc-" + role, 900, None, None, "fc.aliyuncs.com")
    bucket = oss2.Bucket(oss2.StsAuth(c.access_key_id, c.access_key_secret, c.security_token),
                         cloud.oss_endpoint, cloud.bucket_name)
    revoker = Revoker(bucket, f"acs:ram::{cloud.account_id}:role/vigil-device-upload", 3600)
    if may:
        assert revoker.revoke("sec-api-probe", 1).denies >= 1
    else:
        with pytest.raises(RevocationError, match="AccessDenied"):
            revoker.revoke("sec-api-probe", 1)


def test_the_cli_revokes_and_lists_denies(cloud: Any, cameras: Any, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    from vigil_ops.cli import main

    monkeypatch.setenv("VIGIL_LOCAL_DATA", str(cloud.data_dir))
    for name in ("VIGIL_OSS_ENDPOINT", "VIGIL_BUCKET", "VIGIL_MASTER_KEY", "ALIBABA_CLOUD_ACCESS_KEY_ID",
                 "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "VIGIL_TOKEN_URL", "VIGIL_UPLOAD_ROLE_ARN"):
        monkeypatch.delenv(name, raising=False)
    camera = cameras.provision()
    stolen = cameras.bucket(cameras.token(camera))
    session = cameras.registry.require(camera.device_id).session_name
    assert main(["devices", "disable", camera.device_id]) == 0
    _, err = capsys.readouterr()
    assert f"session {session}) denied until" in err
    d = camera.device_id
    wait_until(lambda: _refused(lambda: stolen.put_object(f"videos/{d}/{DAY}/1.ts", b"x")), 5.0, "the CLI deny")
    assert main(["devices", "revocations", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert any(item["principal"].endswith("/" + session) for item in listed["denies"])
    assert 0 < listed["policy_bytes"] <= listed["limit_bytes"] == 16 * 1024


def test_concurrent_revocations_lose_no_deny(cloud: Any) -> None:
    """Eight operators (or api instances) revoking at once: PutBucketPolicy is read-modify-write, and
    none of the eight denies may be lost to another writer's stale copy."""
    from concurrent.futures import ThreadPoolExecutor

    name = "sec-revoke-race"
    cloud.bucket(name).create_bucket()
    role = f"acs:ram::{cloud.account_id}:role/vigil-device-upload"
    try:
        def revoke(i: int) -> str:
            return Revoker(cloud.bucket(name), role, 3600).revoke(f"cam-race-{i:02d}", 1_700_000_000_000 + i).session

        with ThreadPoolExecutor(8) as pool:
            sessions = set(pool.map(revoke, range(8)))
        denied = {p.rsplit("/", 1)[1] for p, _ in Revoker(cloud.bucket(name), role, 3600).denies()}
        assert denied == sessions and len(sessions) == 8
    finally:
        bucket = cloud.bucket(name)
        bucket.delete_bucket_policy()
        for info in oss2.ObjectIteratorV2(bucket):
            bucket.delete_object(info.key)
        bucket.delete_bucket()
