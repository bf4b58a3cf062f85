"""`vigil-viewer-read`, the role that signs presigned URLs: assumable by the api function's role only,
and it may read recordings and nothing else (real STS + oss2 against localcloud)."""

from __future__ import annotations

import uuid
from typing import Any

import oss2
import pytest
import requests
from vigil_fn.core.sts import StsClient, StsUnavailable


def session_of(cloud: Any, role: str) -> StsClient:
    ram = cloud.stack.ram
    c = ram.issue_session(ram.role_arn(role), "fc-test", 900, None, None, "fc.aliyuncs.com")
    return StsClient(c.access_key_id, c.access_key_secret, c.security_token, cloud.region, cloud.sts_endpoint)


def test_viewer_role_reads_recordings_only(cloud: Any) -> None:
    viewer_arn = cloud.stack.ram.role_arn("vigil-viewer-read")
    creds = session_of(cloud, "vigil-api-fn").assume_role(viewer_arn, "vigil-api-viewer", None, 900)
    viewer = cloud.bucket(auth=oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token))
    operator = cloud.bucket()
    key = f"videos/cam-{uuid.uuid4().hex[:6]}/2026/11/30/100000000Z-1.ts"
    operator.put_object(key, b"clip")
    operator.put_object("_system/users/role-test.json", b"{}")
    assert viewer.get_object(key).read() == b"clip"
    refused = [
        lambda: viewer.put_object(key + ".x", b"x"),
        lambda: viewer.delete_object(key),
        lambda: viewer.get_object("_system/users/role-test.json"),
        lambda: viewer.list_objects_v2(prefix="videos/"),
        lambda: viewer.get_bucket_lifecycle(),
    ]
    for call in refused:
        with pytest.raises(oss2.exceptions.AccessDenied):
            call()
    # a URL it presigns for another prefix is refused too; one for a recording works
    assert requests.get(viewer.sign_url("GET", "_system/users/role-test.json", 300), timeout=30).status_code == 403
    assert requests.get(viewer.sign_url("GET", key, 300, slash_safe=True), timeout=30).content == b"clip"
    operator.delete_object("_system/users/role-test.json")   # not a user record: no other test should meet it


@pytest.mark.parametrize("role", ["vigil-token-fn", "vigil-indexer-fn"])
def test_other_functions_cannot_assume_it(cloud: Any, role: str) -> None:
    with pytest.raises(StsUnavailable) as err:
        session_of(cloud, role).assume_role(cloud.stack.ram.role_arn("vigil-viewer-read"), "sneaky", None, 900)
    assert err.value.code == "NoPermission"
