from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


def test_token_fetch_and_small_put(dc_client, cloud, tmp_path):
    tok = dc_client.tokens.token()
    assert tok.bucket == cloud.bucket_name
    assert tok.prefixes["videos"].startswith("videos/")
    clip = tmp_path / "20261128T101010123Z-000007.ts"
    clip.write_bytes(b"x" * 5000)
    res = dc_client.uploader.upload_file(clip, f"{tok.prefixes['videos']}a.ts")
    assert not res.existed
    assert int(cloud.bucket().head_object(f"{tok.prefixes['videos']}a.ts").server_crc) == res.crc64
