"""Fixes of behaviour oss2 users hit: multipart listing pages, control characters in batch deletes."""

from __future__ import annotations

import uuid

import oss2
import pytest

pytestmark = pytest.mark.integration


def test_list_multipart_uploads_does_not_repeat_a_common_prefix_on_the_next_page(oss_env) -> None:
    bucket = oss_env.bucket(f"fix-{uuid.uuid4().hex[:10]}")
    bucket.create_bucket()
    for key in ("a/1", "a/2", "a/3", "b/1", "c"):
        bucket.init_multipart_upload(key)
    seen_prefixes: list[str] = []
    seen_keys: list[str] = []
    key_marker, upload_marker, pages = "", "", 0
    while True:
        page = bucket.list_multipart_uploads(delimiter="/", key_marker=key_marker,
                                             upload_id_marker=upload_marker, max_uploads=1)
        seen_prefixes += page.prefix_list
        seen_keys += [u.key for u in page.upload_list]
        pages += 1
        if not page.is_truncated:
            break
        key_marker, upload_marker = page.next_key_marker, page.next_upload_id_marker
    assert seen_prefixes == ["a/", "b/"] and seen_keys == ["c"] and pages == 3
    # every upload is reachable with iterators that page one at a time
    assert sorted(u.key for u in oss2.MultipartUploadIterator(bucket, max_uploads=1)) == \
        ["a/1", "a/2", "a/3", "b/1", "c"]


def test_batch_delete_accepts_keys_with_control_characters(oss_bucket, oss_key) -> None:
    odd = oss_key + "/tab\tand\x01soh\x1fus"
    oss_bucket.put_object(odd, b"x")
    oss_bucket.put_object(oss_key + "/plain", b"y")
    result = oss_bucket.batch_delete_objects([odd, oss_key + "/plain"])
    assert sorted(result.deleted_keys) == sorted([odd, oss_key + "/plain"])
    assert not oss_bucket.object_exists(odd) and not oss_bucket.object_exists(oss_key + "/plain")
