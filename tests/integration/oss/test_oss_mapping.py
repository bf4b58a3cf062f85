"""Pure mappings of the protocol layer: routing, operation → RAM action + ARN, ranges,
conditions, chunked decoding. No server."""

from __future__ import annotations

import io

import pytest
from localcloud.oss.errors import OSSError
from localcloud.oss.protocol import actions, objectio
from localcloud.oss.protocol.request import ChunkedReader
from localcloud.oss.protocol.routing import route

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    "target,host,bucket,key",
    [
        ("/", "127.0.0.1:9000", None, None),
        ("/bkt", "127.0.0.1:9000", "bkt", None),
        ("/bkt/", "127.0.0.1:9000", "bkt", None),
        ("/bkt/a%2Fb%2Bc%20d", "127.0.0.1:9000", "bkt", "a/b+c d"),
        ("/bkt/a/b+c", "localhost:9000", "bkt", "a/b+c"),
        ("/a%2Fb?x=1", "bkt.localhost:9000", "bkt", "a/b"),
        ("/", "bkt.localhost:9000", "bkt", None),
        ("/k", "bkt.oss-cn-hangzhou.aliyuncs.com", "bkt", "k"),
    ],
)
def test_routing(target, host, bucket, key):
    rt = route(target, host)
    assert (rt.bucket, rt.key) == (bucket, key)


def test_query_is_form_decoded():
    rt = route("/b/k?uploads=&prefix=a+b&x=%2F", "127.0.0.1")
    assert rt.params == {"uploads": "", "prefix": "a b", "x": "/"}


@pytest.mark.parametrize("target", ["/b//x", "/b/%FF", "/b/" + "x" * 1024])
def test_bad_keys(target):
    with pytest.raises(OSSError) as exc:
        route(target, "127.0.0.1")
    assert exc.value.code == "InvalidObjectName"


CTX = {"acs:SourceIp": "127.0.0.1"}


@pytest.mark.parametrize(
    "method,target,headers,op,expected",
    [
        ("GET", "/", {}, "ListBuckets", [("oss:ListBuckets", "acs:oss:*:*:*")]),
        ("PUT", "/b/", {}, "PutBucket", [("oss:PutBucket", "acs:oss:*:*:b")]),
        ("GET", "/b/?lifecycle", {}, "GetBucketLifecycle", [("oss:GetBucketLifecycle", "acs:oss:*:*:b")]),
        ("PUT", "/b/?cors", {}, "PutBucketCors", [("oss:PutBucketCors", "acs:oss:*:*:b")]),
        (
            "DELETE",
            "/b/?overwriteConfig",
            {},
            "DeleteBucketOverwriteConfig",
            [("oss:DeleteBucketOverwriteConfig", "acs:oss:*:*:b")],
        ),
        ("GET", "/b/?bucketInfo", {}, "GetBucketInfo", [("oss:GetBucketInfo", "acs:oss:*:*:b")]),
        ("GET", "/b/?list-type=2&prefix=v/", {}, "ListObjectsV2", [("oss:ListObjects", "acs:oss:*:*:b")]),
        ("GET", "/b/?uploads", {}, "ListMultipartUploads", [("oss:ListMultipartUploads", "acs:oss:*:*:b")]),
        ("POST", "/b/?delete", {}, "DeleteMultipleObjects", []),
        ("PUT", "/b/k", {}, "PutObject", [("oss:PutObject", "acs:oss:*:*:b/k")]),
        ("POST", "/b/k?uploads", {}, "InitiateMultipartUpload", [("oss:PutObject", "acs:oss:*:*:b/k")]),
        ("PUT", "/b/k?partNumber=1&uploadId=u", {}, "UploadPart", [("oss:PutObject", "acs:oss:*:*:b/k")]),
        ("POST", "/b/k?uploadId=u", {}, "CompleteMultipartUpload", [("oss:PutObject", "acs:oss:*:*:b/k")]),
        ("POST", "/b/k?append&position=0", {}, "AppendObject", [("oss:PutObject", "acs:oss:*:*:b/k")]),
        (
            "DELETE",
            "/b/k?uploadId=u",
            {},
            "AbortMultipartUpload",
            [("oss:AbortMultipartUpload", "acs:oss:*:*:b/k")],
        ),
        ("GET", "/b/k?uploadId=u", {}, "ListParts", [("oss:ListParts", "acs:oss:*:*:b/k")]),
        ("HEAD", "/b/k", {}, "HeadObject", [("oss:GetObject", "acs:oss:*:*:b/k")]),
        ("HEAD", "/b/k?objectMeta", {}, "GetObjectMeta", [("oss:GetObject", "acs:oss:*:*:b/k")]),
        ("DELETE", "/b/k", {}, "DeleteObject", [("oss:DeleteObject", "acs:oss:*:*:b/k")]),
        (
            "PUT",
            "/b/k",
            {"x-oss-copy-source": "/src/a%2Fb"},
            "CopyObject",
            [("oss:GetObject", "acs:oss:*:*:src/a/b"), ("oss:PutObject", "acs:oss:*:*:b/k")],
        ),
        ("PUT", "/b/k?acl", {}, "PutObjectAcl", [("oss:PutObjectAcl", "acs:oss:*:*:b/k")]),
        ("PUT", "/b/k?tagging", {}, "PutObjectTagging", [("oss:PutObjectTagging", "acs:oss:*:*:b/k")]),
        ("GET", "/b/?tagging", {}, "GetBucketTags", [("oss:GetBucketTagging", "acs:oss:*:*:b")]),
        ("GET", "/b/?stat", {}, "GetBucketStat", [("oss:GetBucketStat", "acs:oss:*:*:b")]),
        ("PUT", "/b/k?symlink", {}, "PutSymlink", [("oss:PutObject", "acs:oss:*:*:b/k")]),
        ("POST", "/b/k?restore", {}, "RestoreObject", [("oss:RestoreObject", "acs:oss:*:*:b/k")]),
        (
            "PUT",
            "/b/k?partNumber=1&uploadId=u",
            {"x-oss-copy-source": "/src/s"},
            "UploadPartCopy",
            [("oss:GetObject", "acs:oss:*:*:src/s"), ("oss:PutObject", "acs:oss:*:*:b/k")],
        ),
        ("PUT", "/b/k?live", {}, "NotImplemented", []),
        ("GET", "/b/k?x-oss-process=image/resize,w_10", {}, "NotImplemented", []),
        ("GET", "/b/k?x-oss-process=video/snapshot,t_0,f_jpg", {}, "GetObjectSnapshot",
         [("oss:GetObject", "acs:oss:*:*:b/k")]),
        ("POST", "/b/k?tagging", {}, "NotImplemented", []),
        # upload callbacks are served (issue 29); an ACL on a write needs PutObjectAcl too (issue 27)
        ("PUT", "/b/k", {"x-oss-callback": "e30="}, "PutObject", [("oss:PutObject", "acs:oss:*:*:b/k")]),
        ("PUT", "/b/k", {"x-oss-object-acl": "private"}, "PutObject",
         [("oss:PutObject", "acs:oss:*:*:b/k"), ("oss:PutObjectAcl", "acs:oss:*:*:b/k")]),
        ("PUT", "/b/k", {"x-oss-server-side-encryption": "AES256"}, "NotImplemented", []),
    ],
)
def test_operation_and_checks(method, target, headers, op, expected):
    rt = route(target, "127.0.0.1")
    assert actions.identify(method, rt, headers) == op
    got = [(c.action, c.resource) for c in actions.checks(op, rt, headers, dict(CTX))]
    assert got == expected


def test_list_context_carries_prefix_and_delimiter():
    rt = route("/b/?prefix=videos/&delimiter=/", "127.0.0.1")
    (check,) = actions.checks("ListObjects", rt, {}, dict(CTX))
    assert check.context["oss:Prefix"] == "videos/" and check.context["oss:Delimiter"] == "/"
    assert check.context["acs:SourceIp"] == "127.0.0.1"


@pytest.mark.parametrize(
    "value,size,expected",
    [
        ("bytes=0-9", 100, (0, 9)),
        ("bytes=90-", 100, (90, 99)),
        ("bytes=-10", 100, (90, 99)),
        ("bytes=-1000", 100, (0, 99)),
        ("bytes=50-1000", 100, (50, 99)),
        ("bytes=100-", 100, None),
        ("bytes=9-3", 100, None),
        ("bytes=0-1,4-5", 100, None),
        ("items=0-1", 100, None),
        (None, 100, None),
    ],
)
def test_ranges(value, size, expected):
    assert objectio.parse_range(value, size) == expected


def test_chunked_reader_streams_and_rejects_garbage():
    raw = b"5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nTrailer: x\r\n\r\nNEXT"
    stream = io.BytesIO(raw)
    reader = ChunkedReader(stream)
    assert reader.read(3) == b"hel"
    assert reader.read() == b"lo world"
    assert reader.read(10) == b""
    assert stream.read() == b"NEXT"  # stops exactly at the end of the body
    with pytest.raises(OSSError):
        ChunkedReader(io.BytesIO(b"zz\r\nabc")).read()
    with pytest.raises(OSSError):
        ChunkedReader(io.BytesIO(b"5\r\nab")).read()
