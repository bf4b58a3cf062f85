"""Issue 29: the OSS that SDK users expect, round two — one test per item, each driven with the
unmodified SDK the issue used (oss2, and alibabacloud-oss-v2 where named), raw HTTP only where
no SDK has the call."""

from __future__ import annotations

import base64
import gzip
import json
import socket
import threading
import time
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import quote

import alibabacloud_oss_v2 as oss_v2
import oss2
import pytest
import requests
from oss2.models import BucketLifecycle, LifecycleExpiration, LifecycleRule, StorageTransition, Tagging, TaggingRule

from .conftest import ACCOUNT, REGION

pytestmark = pytest.mark.integration


def _error(call: Any) -> oss2.exceptions.OssError:
    with pytest.raises(oss2.exceptions.OssError) as info:
        call()
    return info.value


def _v2_client(oss_env: Any) -> oss_v2.Client:
    ak, sk = oss_env.key()
    cfg = oss_v2.config.load_default()
    cfg.credentials_provider = oss_v2.credentials.StaticCredentialsProvider(ak, sk)
    cfg.region = REGION
    cfg.endpoint = oss_env.endpoint
    cfg.use_path_style = True
    return oss_v2.Client(cfg)


# 1 ---------------------------------------------------------------------------------------------

def test_1_v2_signature_signs_date_and_checks_skew_on_x_oss_date(oss_env: Any, oss_key: str) -> None:
    ak, sk = oss_env.key()
    bucket = oss2.Bucket(oss2.AuthV2(ak, sk), oss_env.endpoint, oss_env.bucket_name)
    bucket.put_object(oss_key, b"v2", headers={"x-oss-date": formatdate(time.time(), usegmt=True)})
    skewed = formatdate(time.time() - 3600, usegmt=True)
    err = _error(lambda: bucket.put_object(oss_key, b"v2", headers={"x-oss-date": skewed}))
    assert (err.status, err.code) == (403, "RequestTimeTooSkewed")


# 2 ---------------------------------------------------------------------------------------------

def test_2_tags_unicode_append_partial_delete_and_list_filter(oss_env: Any, fresh: oss2.Bucket) -> None:
    fresh.put_object("u", b"x", headers={"x-oss-tagging": f"{quote('项目')}={quote('中文')}"})
    assert fresh.get_object_tagging("u").tag_set.tagging_rule == {"项目": "中文"}

    fresh.append_object("log", 0, b"a", headers={"x-oss-tagging": "kind=log"})
    assert fresh.get_object_tagging("log").tag_set.tagging_rule == {"kind": "log"}
    eleven = "&".join(f"k{i}=v" for i in range(11))
    err = _error(lambda: fresh.append_object("log2", 0, b"a", headers={"x-oss-tagging": eleven}))
    assert (err.status, err.code) == (400, "InvalidTag")
    assert not fresh.object_exists("log2")

    rule = TaggingRule()
    for k, v in (("team", "video"), ("env", "dev"), ("keep", "yes")):
        rule.add(k, v)
    fresh.put_bucket_tagging(Tagging(rule))
    fresh.delete_bucket_tagging(params={"tagging": "env,keep"})
    assert fresh.get_bucket_tagging().tag_set.tagging_rule == {"team": "video"}

    service = oss_env.service()
    tagged = service.list_buckets(params={"tag-key": "team", "tag-value": "video"}).buckets
    assert [b.name for b in tagged] == [fresh.bucket_name]
    assert service.list_buckets(params={"tag-key": "team", "tag-value": "other"}).buckets == []
    assert fresh.bucket_name in [b.name for b in service.list_buckets(params={"tag-key": "team"}).buckets]


# 3 ---------------------------------------------------------------------------------------------

def test_3_lifecycle_validation_as_oss(fresh: oss2.Bucket) -> None:
    many = {f"t{i}": "v" for i in range(19)}
    fresh.put_bucket_lifecycle(BucketLifecycle([LifecycleRule(
        "tags19", "a/", status=LifecycleRule.ENABLED, expiration=LifecycleExpiration(days=30), tagging=Tagging(
            _rule(many)))]))
    assert len(fresh.get_bucket_lifecycle().rules[0].tagging.tag_set.tagging_rule) == 19

    overlap = [LifecycleRule(r, p, status=LifecycleRule.ENABLED, expiration=LifecycleExpiration(days=3))
               for r, p in (("r1", "x/"), ("r2", "x/y/"))]
    err = _error(lambda: fresh.put_bucket_lifecycle(BucketLifecycle(overlap)))
    assert (err.code, err.message) == ("InvalidArgument", "Overlap for same action type Expiration.")

    bad_tag = Tagging(_rule({"k?y": "v"}))
    err = _error(lambda: fresh.put_bucket_lifecycle(BucketLifecycle([LifecycleRule(
        "bad", "b/", status=LifecycleRule.ENABLED, expiration=LifecycleExpiration(days=3), tagging=bad_tag)])))
    assert (err.status, err.code) == (400, "InvalidTag")

    mixed = [LifecycleRule("m", "m/", status=LifecycleRule.ENABLED, storage_transitions=[
        StorageTransition(days=30, storage_class=oss2.BUCKET_STORAGE_CLASS_IA),
        StorageTransition(created_before_date=_date(2020), storage_class=oss2.BUCKET_STORAGE_CLASS_ARCHIVE)])]
    err = _error(lambda: fresh.put_bucket_lifecycle(BucketLifecycle(mixed)))
    assert (err.status, err.code) == (400, "InvalidArgument")
    across = [LifecycleRule("p1", "p/", status=LifecycleRule.ENABLED, storage_transitions=[
                  StorageTransition(days=30, storage_class=oss2.BUCKET_STORAGE_CLASS_IA)]),
              LifecycleRule("p2", "p/log", status=LifecycleRule.ENABLED, storage_transitions=[
                  StorageTransition(created_before_date=_date(2021),
                                    storage_class=oss2.BUCKET_STORAGE_CLASS_ARCHIVE)])]
    err = _error(lambda: fresh._Bucket__do_bucket(
        "PUT", data=_lifecycle_xml(across), params={"lifecycle": ""},
        headers={"x-oss-allow-same-action-overlap": "true"}))
    assert (err.status, err.code) == (400, "InvalidArgument")


def _rule(pairs: dict[str, str]) -> TaggingRule:
    rule = TaggingRule()
    for k, v in pairs.items():
        rule.add(k, v)
    return rule


def _date(year: int) -> Any:
    import datetime

    return datetime.date(year, 12, 30)


def _lifecycle_xml(rules: list[LifecycleRule]) -> bytes:
    from oss2 import xml_utils

    return xml_utils.to_put_bucket_lifecycle(BucketLifecycle(rules))


# 4 ---------------------------------------------------------------------------------------------

def test_4_policy_statement_without_principal_binds_the_owner_account(oss_env: Any, fresh: oss2.Bucket) -> None:
    name = fresh.bucket_name
    fresh.put_object("doc", b"d")
    reader = oss_env.bucket(name, user="reader")
    assert _error(lambda: reader.get_object("doc")).code == "AccessDenied"
    policy = {"Version": "1", "Statement": [{
        "Effect": "Allow", "Action": ["oss:GetObject"], "Resource": [f"acs:oss:*:{ACCOUNT}:{name}/*"]}]}
    fresh.put_bucket_policy(json.dumps(policy))
    assert reader.get_object("doc").read() == b"d"  # a RAM user of the owner account
    assert "Principal" not in json.loads(fresh.get_bucket_policy().policy)["Statement"][0]
    anonymous = requests.get(f"{oss_env.endpoint}/{name}/doc", timeout=10)
    assert anonymous.status_code == 403  # not the public: the account's own identities only
    fresh.delete_bucket_policy()


# 5 ---------------------------------------------------------------------------------------------

def test_5_owner_recreates_bucket_and_restore_is_validated(oss_env: Any, fresh: oss2.Bucket) -> None:
    fresh.create_bucket()  # the owner, on its own bucket: 200, nothing changes
    fresh.put_object("cold", b"c", headers={"x-oss-storage-class": "Archive"})
    client = _v2_client(oss_env)

    def restore(tier: str | None, days: int = 1) -> Any:
        job = oss_v2.models.JobParameters(tier=tier) if tier else None
        return client.restore_object(oss_v2.models.RestoreObjectRequest(
            bucket=fresh.bucket_name, key="cold",
            restore_request=oss_v2.models.RestoreRequest(days=days, job_parameters=job)))

    with pytest.raises(oss_v2.exceptions.OperationError) as info:
        restore("Instant")
    assert "InvalidArgument" in str(info.value)
    with pytest.raises(oss_v2.exceptions.OperationError) as info:
        restore("Standard", days=8)  # Archive: 1 to 7 days
    assert "InvalidArgument" in str(info.value)
    assert restore("Expedited").status_code == 202
    head = fresh.head_object("cold").headers
    assert head["x-oss-restore"].startswith('ongoing-request="false", expiry-date="')
    listed = {o.key: o for o in fresh.list_objects().object_list}
    assert listed["cold"].restore_info == head["x-oss-restore"]
    assert listed["cold"].storage_class == "Archive"
    err = _error(lambda: fresh._Bucket__do_object("POST", "cold", data=b"<Wrong/>", params={"restore": ""}))
    assert (err.status, err.code) == (400, "MalformedXML")


# 6 ---------------------------------------------------------------------------------------------

def test_6_symlink_keeps_its_own_user_metadata(fresh: oss2.Bucket) -> None:
    fresh.put_object("target", b"t", headers={"x-oss-meta-owner": "target"})
    fresh.put_symlink("target", "link", headers={"x-oss-meta-note": "latest", "x-oss-meta-owner": "link"})
    got = fresh.get_symlink("link")
    assert got.headers["x-oss-meta-note"] == "latest" and got.headers["x-oss-meta-owner"] == "link"
    head = fresh.head_object("link").headers
    assert head["x-oss-meta-note"] == "latest" and head["x-oss-meta-owner"] == "link"
    assert fresh.get_object("link").read() == b"t"


# 7 ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("algorithm", "data", "key_id"), [
    ("AES256", None, None), ("KMS", "SM4", "kms-key-1"), ("SM4", None, None)])
def test_7_bucket_encryption_headers_are_reflected(oss_env: Any, algorithm: str, data: str | None,
                                                   key_id: str | None) -> None:
    bucket = oss_env.bucket(f"r2-{uuid.uuid4().hex[:10]}")
    headers = {"x-oss-server-side-encryption": algorithm}
    if data:
        headers["x-oss-server-side-data-encryption"] = data
    if key_id:
        headers["x-oss-server-side-encryption-key-id"] = key_id
    bucket.create_bucket(headers=headers)
    try:
        rule = bucket.get_bucket_info().bucket_encryption_rule
        assert rule.sse_algorithm == algorithm
        assert rule.kms_data_encryption == data and rule.kms_master_keyid == key_id
        listed = {b.name: b for b in oss_env.service().list_buckets().buckets}
        assert listed[bucket.bucket_name].resource_group_id == "rg-default-id"
    finally:
        bucket.delete_bucket()
    err = _error(lambda: oss_env.bucket(f"r2-{uuid.uuid4().hex[:10]}").create_bucket(
        headers={"x-oss-server-side-encryption": "DES"}))
    assert (err.status, err.code) == (400, "InvalidArgument")


# 8 ---------------------------------------------------------------------------------------------

def test_8_gzip_for_compressible_objects(fresh: oss2.Bucket, tmp_path: Any) -> None:
    text = ("timeline row\n" * 400).encode()
    fresh.put_object("page.json", text, headers={"Content-Type": "application/json"})
    got = fresh.get_object("page.json", headers={"Accept-Encoding": "gzip"})
    assert got.headers["Content-Encoding"] == "gzip" and "Content-Length" not in got.headers
    assert got.headers["Vary"] == "Accept-Encoding" and "ETag" not in got.headers
    assert got.read() == text  # requests decodes it, as oss2 expects
    fresh.get_object_to_file("page.json", str(tmp_path / "p"), headers={"Accept-Encoding": "gzip"})
    assert (tmp_path / "p").read_bytes() == text
    raw = requests.get(fresh.sign_url("GET", "page.json", 60), headers={"Accept-Encoding": "gzip"}, stream=True,
                       timeout=10)
    assert gzip.decompress(raw.raw.read()) == text
    fresh.put_object("small.json", b"{}", headers={"Content-Type": "application/json"})
    fresh.put_object("clip.ts", text, headers={"Content-Type": "video/mp2t"})
    for key in ("small.json", "clip.ts"):  # under 1 KB, or not a compressible type: as stored
        plain = fresh.get_object(key, headers={"Accept-Encoding": "gzip"})
        assert "Content-Encoding" not in plain.headers and plain.headers["Content-Length"]


# 9 ---------------------------------------------------------------------------------------------

class _Receiver(BaseHTTPRequestHandler):
    got: list[tuple[str, bytes, str]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.got.append((self.path, body, self.headers.get("Content-Type", "")))
        reply = b'{"Status":"OK"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        pass


def _callback(url: str) -> str:
    doc = {"callbackUrl": url, "callbackBody": "bucket=${bucket}&object=${object}&size=${size}&who=${x:who}",
           "callbackBodyType": "application/x-www-form-urlencoded"}
    return base64.b64encode(json.dumps(doc).encode()).decode()


def test_9_upload_callback_is_called_or_203(fresh: oss2.Bucket) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        var = base64.b64encode(json.dumps({"x:who": "cam-1"}).encode()).decode()
        result = fresh.put_object("cb.ts", b"12345", headers={"x-oss-callback": _callback(url),
                                                              "x-oss-callback-var": var})
        assert result.status == 200 and result.resp.read() == b'{"Status":"OK"}'
        path, body, ctype = _Receiver.got[-1]
        assert path == "/hook" and ctype == "application/x-www-form-urlencoded"
        assert body == f"bucket={fresh.bucket_name}&object=cb.ts&size=5&who=cam-1".encode()
    finally:
        server.shutdown()
        server.server_close()
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    failed = fresh.put_object("cb2.ts", b"1", headers={"x-oss-callback": _callback(f"http://127.0.0.1:{port}/hook")})
    assert failed.status == 203  # a 2xx: neither SDK raises, the body says what went wrong
    assert b"<Code>CallbackFailed</Code>" in failed.resp.read()
    assert fresh.get_object("cb2.ts").read() == b"1"  # the upload itself stands
    err = _error(lambda: fresh.put_object("cb3.ts", b"1", headers={"x-oss-callback": "not base64 json"}))
    assert (err.status, err.code) == (400, "InvalidArgument")
    assert not fresh.object_exists("cb3.ts")


# 10 --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("call", ["max-keys", "storage-class", "copy-directive", "part-number", "acl"])
def test_10_invalid_argument_names_the_argument(fresh: oss2.Bucket, call: str) -> None:
    calls = {
        "max-keys": lambda: fresh.list_objects(max_keys=5000),
        "storage-class": lambda: fresh.put_object("k", b"x", headers={"x-oss-storage-class": "Frozen"}),
        "copy-directive": lambda: fresh.copy_object(fresh.bucket_name, "k", "k2",
                                                    headers={"x-oss-metadata-directive": "MOVE"}),
        "part-number": lambda: fresh.upload_part("k", "0" * 32, 0, b"x"),
        "acl": lambda: fresh.put_object_acl("k", "everyone"),
    }
    fresh.put_object("k", b"x")
    err = _error(calls[call])
    assert err.code == "InvalidArgument"
    assert err.details.get("ArgumentName") and "ArgumentValue" in err.details


def test_10_every_invalid_argument_carries_its_name() -> None:
    """No InvalidArgument is built without naming its argument (the model and protocol sources)."""
    import pathlib
    import re

    import localcloud

    root = pathlib.Path(localcloud.__file__).parent / "oss"
    bare = [f"{p.name}:{n}" for p in root.rglob("*.py") for n, line in enumerate(p.read_text().splitlines(), 1)
            if re.search(r'OSSError\(\s*"InvalidArgument"', line)]
    assert bare == []


# 11 --------------------------------------------------------------------------------------------

def test_11_get_with_a_declared_but_absent_body_is_answered(oss_env: Any, fresh: oss2.Bucket) -> None:
    fresh.put_object("k", b"body")
    url = fresh.sign_url("GET", "k", 60)
    host, port = oss_env.endpoint.split("//")[1].split(":")
    target = url.split(oss_env.endpoint, 1)[1]
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 10\r\n\r\n".encode())
        reply = b""
        while b"\r\n\r\n" not in reply or not reply.endswith(b"body"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            reply += chunk
    assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b"body"), reply[:200]
