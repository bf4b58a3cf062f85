"""Retention by importance on a stack of its own (its clock is moved): a camera session tags the
clips that hold activity (its own prefix only), and the lifecycle `vigil bucket setup` and the api
write keeps tagged clips `activity_days` and quiet ones `retention_days`; the index outlives both."""

from __future__ import annotations

from pathlib import Path

import oss2
import pytest
from vigil_camera.activity.meta import TAGGING, ClipActivity, pack, upload_headers
from vigil_fn.api import retention
from vigil_fn.core.sts import StsClient
from vigil_fn.token.policy import device_upload_policy
from vigil_ops.bucket_setup import BucketSettings, apply_bucket_setup

pytestmark = pytest.mark.integration

QUIET = pack(ClipActivity((0.0, 0.0), (None, None), (0, 0), ()))
BUSY = pack(ClipActivity((0.0, 0.8), (None, (0.1, 0.1, 0.2, 0.2)), (0, 0), ()))


def test_tagged_clips_are_kept_longer_and_cameras_tag_only_their_own(tmp_path: Path) -> None:
    from localcloud.stack import LocalCloud

    stack = LocalCloud(tmp_path / "data", port=0, spec_path=None)
    info = stack.start()
    try:
        operator = oss2.Bucket(oss2.Auth(info.access_key_id, info.access_key_secret), info.oss_endpoint, info.bucket)
        apply_bucket_setup(operator, BucketSettings(account_id=info.account_id, retention_days=7, activity_days=30))
        assert retention.get_retention(operator) == 7 and retention.get_activity_retention(operator) == 30
        ram = stack.ram
        fn = ram.issue_session(ram.role_arn("vigil-token-fn"), "fc-test", 900, None, None, "fc.aliyuncs.com")
        sts = StsClient(fn.access_key_id, fn.access_key_secret, fn.security_token, info.region, info.sts_endpoint)
        creds = sts.assume_role(ram.role_arn("vigil-device-upload"), "cam-a",
                                device_upload_policy(info.bucket, "cam-a"), 900)
        camera = oss2.Bucket(oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token),
                             info.oss_endpoint, info.bucket)
        quiet, busy = "videos/cam-a/2026/10/01/000000000Z-0.ts", "videos/cam-a/2026/10/01/000010000Z-1.ts"
        assert "x-oss-tagging" not in upload_headers(QUIET) and upload_headers(BUSY)["x-oss-tagging"] == TAGGING
        camera.put_object(quiet, b"q", headers=upload_headers(QUIET))
        camera.put_object(busy, b"b", headers=upload_headers(BUSY))
        operator.put_object("index/cam-a/2026-10-01.jsonl", b"{}\n")
        assert dict(operator.get_object_tagging(busy).tag_set.tagging_rule) == {"vigil-activity": "1"}
        assert dict(operator.get_object_tagging(quiet).tag_set.tagging_rule) == {}
        # another camera's prefix: neither a tagged upload nor a tagging call
        other = "videos/cam-b/2026/10/01/000000000Z-0.ts"
        operator.put_object(other, b"x")
        with pytest.raises(oss2.exceptions.AccessDenied):
            camera.put_object(other.replace("0Z-0", "0Z-5"), b"x", headers=upload_headers(BUSY))
        tags = oss2.models.Tagging()
        tags.tag_set.add("vigil-activity", "1")
        with pytest.raises(oss2.exceptions.AccessDenied):
            camera.put_object_tagging(other, tags)

        def keys_after(days: float) -> set[str]:
            stack.clock.advance(days * 86400)
            stack.store.sweep_lifecycle()
            return {o.key for o in oss2.ObjectIteratorV2(operator, prefix="")}

        keys = keys_after(8)
        assert quiet not in keys and busy in keys and "index/cam-a/2026-10-01.jsonl" in keys
        keys = keys_after(23)
        assert busy not in keys and "index/cam-a/2026-10-01.jsonl" not in keys
        # the api's retention screen changes both periods through the same rule builder
        retention.set_retention(operator, 3, 60)
        assert retention.get_retention(operator) == 3 and retention.get_activity_retention(operator) == 60
        index_rule = next(r for r in operator.get_bucket_lifecycle().rules if r.id == "vigil-index")
        assert index_rule.expiration.days == 60
    finally:
        stack.stop()
