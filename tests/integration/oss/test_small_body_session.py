"""The token function's oss2 transport (`core.transport.SmallBodySession`: keep-alive `http.client`
connections, answers read whole) answers as oss2's own requests-based session does, through
localcloud with the real oss2: bodies, headers, metadata, OSS's error codes with request ids, the
create-once 409, listings with odd prefixes, HEADs and errors leaving the connections usable,
non-bytes bodies on the fallback, and a refused connection as oss2's RequestError."""

from __future__ import annotations

import io
import secrets
from dataclasses import replace
from typing import Any

import oss2
import pytest
from vigil_fn.core.clients import FunctionCredentials, oss_bucket
from vigil_fn.core.config import Settings
from vigil_fn.core.nonces import put_new
from vigil_fn.core.transport import BufferedAnswer, LeanSession, SmallBodySession
from vigil_fn.token.service import build_service

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def buckets(cloud: Any) -> tuple[oss2.Bucket, oss2.Bucket]:
    """(small-body, requests) on the same bucket, both without oss2's CRC as the token function's."""
    return (cloud.bucket(session=SmallBodySession(), enable_crc=False),
            cloud.bucket(session=oss2.Session(), enable_crc=False))


def _prefix() -> str:
    return f"small-{secrets.token_hex(4)}/"


def test_put_get_head_and_errors_match_requests(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    small, plain = buckets
    key = _prefix() + "rec 1 +ü~%.json"
    data = b'{"status": "enabled", "name": "Front door \xe2\x80\x94"}'
    put = small.put_object(key, data, headers={"x-oss-meta-vigil": "1", "Content-Type": "application/json"})
    assert isinstance(put.resp, BufferedAnswer) and put.status == 200
    assert put.etag == plain.head_object(key).etag and put.request_id
    got = small.get_object(key)
    assert isinstance(got.resp, BufferedAnswer)
    assert got.read() == data == plain.get_object(key).read()
    assert got.headers["X-OSS-META-VIGIL"] == "1" and got.headers["content-type"] == "application/json"
    got.close()
    partial = small.get_object(key)
    assert partial.read(5) + partial.read() == data
    assert small.head_object(key).content_length == len(data)
    assert put_new(small, key, b"again") is False                 # 409 FileAlreadyExists: the nonce check
    assert put_new(small, key + "-new", b"") is True
    with pytest.raises(oss2.exceptions.NoSuchKey) as missing:
        small.get_object(key + "-none")
    assert missing.value.status == 404 and missing.value.request_id
    with pytest.raises(oss2.exceptions.NotFound):
        small.head_object(key + "-none")
    denied = oss2.Bucket(oss2.Auth("nobody", "wrong"), small.endpoint, small.bucket_name, session=SmallBodySession())
    with pytest.raises(oss2.exceptions.OssError) as refused:
        denied.get_object(key)
    assert refused.value.status == 403 and refused.value.code == "InvalidAccessKeyId"


def test_connections_survive_heads_errors_and_many_calls(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    small, _ = buckets
    key = _prefix() + "pool"
    small.put_object(key, b"x" * 5000)
    for _ in range(30):   # a connection left with unread bytes would answer the next call wrongly
        small.head_object(key)
        assert small.get_object(key).read(10) == b"x" * 10      # abandoned mid-body: it was read whole
        with pytest.raises(oss2.exceptions.NoSuchKey):
            small.get_object(key + "-none")
        small.delete_object(key + "-none")                       # 204, no body
    assert small.get_object(key).read() == b"x" * 5000


def test_listing_with_params_and_odd_prefixes(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    small, plain = buckets
    prefix = _prefix() + "a b&c=d/rl-"
    keys = [f"{prefix}{i:06d}" for i in range(7)]
    for key in keys:
        assert put_new(small, key, b"")
    page = small.list_objects_v2(prefix=prefix, start_after=keys[1], max_keys=3)
    assert [o.key for o in page.object_list] == keys[2:5] and page.is_truncated
    assert [o.key for o in oss2.ObjectIteratorV2(small, prefix=prefix, max_keys=2)] == keys == \
        [o.key for o in oss2.ObjectIteratorV2(plain, prefix=prefix)]


def test_file_bodies_take_the_fallback(buckets: tuple[oss2.Bucket, oss2.Bucket]) -> None:
    small, _ = buckets
    key = _prefix() + "file"
    small.put_object(key, io.BytesIO(b"from a file"))
    assert small.get_object(key).read() == b"from a file"


def test_connection_refused_is_a_request_error() -> None:
    gone = oss2.Bucket(oss2.Auth("a", "b"), "http://127.0.0.1:9", "vigil", session=SmallBodySession(),
                       connect_timeout=2)
    with pytest.raises(oss2.exceptions.RequestError):
        gone.get_object("k")


def test_the_token_function_uses_it_and_other_functions_do_not(cloud: Any) -> None:
    settings = replace(Settings.from_env({}), bucket=cloud.bucket_name, oss_endpoint=cloud.oss_endpoint,
                       region=cloud.region, master_key=cloud.master_key)
    creds = FunctionCredentials(cloud.access_key_id, cloud.access_key_secret, None)
    service = build_service(settings, creds)
    assert isinstance(service.registry.bucket.session, SmallBodySession)
    assert service.nonces.bucket is service.limiter.bucket is service.registry.bucket
    general = oss_bucket(settings, creds)
    assert isinstance(general.session, LeanSession) and not isinstance(general.session, SmallBodySession)
    assert oss_bucket(settings, creds, small_bodies=True) is oss_bucket(settings, creds, small_bodies=True)
    assert oss_bucket(settings, creds) is general                 # both kinds kept for the same credentials
