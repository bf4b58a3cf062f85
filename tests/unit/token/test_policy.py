"""The session-policy builder: resources stay inside the device's prefixes for every valid id."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from vigil_fn.token import policy

pytestmark = pytest.mark.unit

valid_ids = st.from_regex(r"\A[a-z0-9][a-z0-9-]{2,62}\Z")
buckets = st.from_regex(r"\A[a-z0-9][a-z0-9-]{1,61}[a-z0-9]\Z")


@given(device_id=valid_ids, bucket=buckets)
def test_device_policy_resources_only_inside_own_prefixes(device_id: str, bucket: str) -> None:
    doc = policy.device_upload_policy(bucket, device_id)
    text = policy.policy_json(doc)
    assert json.loads(text) == doc  # valid JSON, round-trips
    (statement,) = doc["Statement"]
    assert statement["Effect"] == "Allow"
    assert sorted(statement["Action"]) == ["oss:AbortMultipartUpload", "oss:ListParts", "oss:PutObject",
                                         "oss:PutObjectTagging"]
    assert statement["Resource"] == [
        f"acs:oss:*:*:{bucket}/videos/{device_id}/*",
        f"acs:oss:*:*:{bucket}/live/{device_id}/*",
        f"acs:oss:*:*:{bucket}/stills/{device_id}/*",
    ]
    for resource in statement["Resource"]:
        # the ARN's region/account wildcards plus exactly one, at the very end
        assert resource.count("*") == 3 and resource.endswith(f"/{device_id}/*")
        assert "?" not in resource and ".." not in resource and '"' not in resource
    assert "Condition" not in statement


@given(device_id=st.text(max_size=70))
def test_invalid_ids_never_reach_a_policy(device_id: str) -> None:
    import re

    if re.fullmatch(r"[a-z0-9][a-z0-9-]{2,62}", device_id):
        assert policy.device_upload_policy("vigil-local", device_id)
    else:
        with pytest.raises(ValueError):
            policy.device_upload_policy("vigil-local", device_id)


@pytest.mark.parametrize("device_id", ["a*", "a/b", 'a"b', "../x", "cam\u00e9ra", "cam-1\n", "CAM-1", "ab",
                                       "", "-cam", "cam?", "cam-1/../cam-2", "x" * 64])
def test_named_bad_ids_rejected(device_id: str) -> None:
    with pytest.raises(ValueError):
        policy.device_upload_policy("vigil-local", device_id)


@pytest.mark.parametrize("bucket", ["", "ab", "Vigil", "bucket*", "b/x", "-bucket", "bucket-", "a" * 64])
def test_bad_bucket_rejected(bucket: str) -> None:
    with pytest.raises(ValueError):
        policy.device_upload_policy(bucket, "cam-1")


@pytest.mark.parametrize(("mode", "actions"), [
    ("r", ["oss:GetObject"]), ("w", ["oss:PutObject"]), ("a", ["oss:PutObject"]), ("d", ["oss:DeleteObject"]),
    ("rwad", ["oss:DeleteObject", "oss:GetObject", "oss:PutObject"]),
])
def test_parity_object_modes(mode: str, actions: list[str]) -> None:
    doc = policy.parity_policy("vigil-local", "/videos/cam-1/*", mode)
    (statement,) = doc["Statement"]
    assert statement["Action"] == actions
    assert statement["Resource"] == ["acs:oss:*:*:vigil-local/videos/cam-1/*"]


def test_parity_list_mode_uses_bucket_arn_and_prefix_condition() -> None:
    doc = policy.parity_policy("vigil-local", "/videos/cam-1/*", "rl")
    get, lst = doc["Statement"]
    assert get["Action"] == ["oss:GetObject"]
    assert lst == {"Effect": "Allow", "Action": ["oss:ListObjects"], "Resource": ["acs:oss:*:*:vigil-local"],
                   "Condition": {"StringLike": {"oss:Prefix": ["videos/cam-1/*"]}}}


@pytest.mark.parametrize("mode", ["", "x", "rr", "rwx", "R", " r"])
def test_parity_bad_mode(mode: str) -> None:
    with pytest.raises(ValueError):
        policy.parity_policy("vigil-local", "/videos/*", mode)


@pytest.mark.parametrize("path", ["videos/cam-1/*", "", "/videos/../_system/*", "/a b", '/a"b', "/a\\b",
                                  "/caf\u00e9", "/x/./y", "/" + "a" * 1023])
def test_parity_bad_path(path: str) -> None:
    with pytest.raises(ValueError):
        policy.parity_policy("vigil-local", path, "r")


@given(path=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters='"\\'),
                    max_size=60))
def test_parity_policy_is_always_valid_json_with_the_path_verbatim(path: str) -> None:
    path = "/" + path
    try:
        doc = policy.parity_policy("vigil-local", path, "rwadl")
    except ValueError:
        assert any(seg in (".", "..") for seg in path[1:].split("/"))
        return
    assert json.loads(policy.policy_json(doc)) == doc
    assert doc["Statement"][0]["Resource"] == [f"acs:oss:*:*:vigil-local{path}"]
    assert doc["Statement"][1]["Condition"]["StringLike"]["oss:Prefix"] == [path[1:]]


def test_validate_policy_document() -> None:
    good = policy.parity_policy("vigil-local", "/videos/*", "r")
    assert policy.validate_policy_document(good) is good
    for bad in [[], {"Statement": []}, {"Version": "1"}, {"Version": "1", "Statement": [{"Effect": "Maybe"}]},
                {"Version": "1", "Statement": [{"Effect": "Allow", "Action": [], "Resource": "*"}]},
                {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*", "Resource": 3}]},
                {"Version": "1", "Statement": [{"Effect": "Allow", "Action": "oss:*",
                                                "Resource": ["x" * 3000]}]}]:
        with pytest.raises(ValueError):
            policy.validate_policy_document(bad)
