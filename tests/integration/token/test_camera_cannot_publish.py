"""Issue 27 item 1, the attack as found: a camera's upload-only token PUTs its clip with
`x-oss-object-acl: public-read`, then anyone GETs it without credentials. On main the PUT answered
200 and the anonymous GET 200. Now the PUT needs oss:PutObjectAcl (the upload role has none) and
the stack's bucket has Block Public Access on (`vigil bucket setup` / `vigil local up`)."""

from __future__ import annotations

from typing import Any

import oss2
import pytest
import requests

pytestmark = pytest.mark.integration


def test_camera_token_cannot_make_its_upload_public(token_client: Any, cloud: Any) -> None:
    device = token_client.provision()
    token = token_client.token(device)
    camera = token_client.device_bucket(token)
    key = f"videos/{device.device_id}/2026/12/07/attack.ts"

    with pytest.raises(oss2.exceptions.OssError) as info:
        camera.put_object(key, b"\x47" * 188, headers={"x-oss-object-acl": "public-read"})
    assert (info.value.status, info.value.code) == (403, "AccessDenied")
    for acl in ("public-read-write", "default", "private"):  # any ACL on the upload needs PutObjectAcl
        with pytest.raises(oss2.exceptions.AccessDenied):
            camera.put_object(key, b"x", headers={"x-oss-object-acl": acl})
    anonymous = requests.get(f"{token['endpoint']}/{token['bucket']}/{key}", timeout=10)
    assert anonymous.status_code in (403, 404)
    assert not cloud.bucket().object_exists(key)

    camera.put_object(key, b"\x47" * 188)  # the plain upload still works
    with pytest.raises(oss2.exceptions.AccessDenied):
        camera.put_object_acl(key, oss2.OBJECT_ACL_PUBLIC_READ)
    assert requests.get(f"{token['endpoint']}/{token['bucket']}/{key}", timeout=10).status_code == 403


def test_stack_bucket_blocks_public_access(cloud: Any) -> None:
    """Even the operator cannot publish a recording: Block Public Access is on for the bucket."""
    bucket = cloud.bucket()
    assert bucket.get_bucket_public_access_block().block_public_access is True
    key = "videos/pab-check/clip.ts"
    bucket.put_object(key, b"x")
    try:
        with pytest.raises(oss2.exceptions.AccessDenied):
            bucket.put_object_acl(key, oss2.OBJECT_ACL_PUBLIC_READ)
        with pytest.raises(oss2.exceptions.AccessDenied):
            bucket.put_bucket_acl(oss2.BUCKET_ACL_PUBLIC_READ)
        assert requests.get(f"{cloud.oss_endpoint}/{cloud.bucket_name}/{key}", timeout=10).status_code == 403
    finally:
        bucket.delete_object(key)
