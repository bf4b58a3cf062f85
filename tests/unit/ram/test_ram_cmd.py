"""`vigil ram render`: substituted documents, creation order, argument checks."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from vigil_ops import cli
from vigil_ops.ram_cmd import DEFAULT_RAM_DIR, render

pytestmark = pytest.mark.unit

ACCOUNT = "5555666677778888"


def test_render_to_folder_writes_substituted_documents(tmp_path: Path) -> None:
    out = tmp_path / "out"
    stream = io.StringIO()
    assert render(DEFAULT_RAM_DIR, ACCOUNT, "cam-archive", out, stream) == 0
    trust = json.loads((out / "roles" / "vigil-device-upload.trust.json").read_text())
    assert trust["Statement"][0]["Principal"]["RAM"] == [f"acs:ram::{ACCOUNT}:role/vigil-token-fn"]
    upload = json.loads((out / "policies" / "VigilDeviceUpload.json").read_text())
    assert upload["Statement"][0]["Resource"] == [
        "acs:oss:*:*:cam-archive/videos/*",
        "acs:oss:*:*:cam-archive/live/*",
        "acs:oss:*:*:cam-archive/stills/*",
    ]
    every_file = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    assert "${" not in every_file
    script = (out / "create-ram.sh").read_text()
    # the token-function role exists before the role whose trust policy names it
    assert script.index("CreateRole --RoleName vigil-token-fn") < script.index(
        "CreateRole --RoleName vigil-device-upload"
    )
    assert (
        "AttachPolicyToRole --PolicyType Custom --PolicyName VigilDeviceUpload --RoleName vigil-device-upload"
        in script
    )
    assert "--MaxSessionDuration 3600" in script
    # the operator user is local only
    assert "CreatePolicy --PolicyName VigilOperatorAccess" not in script


def test_render_to_stdout_carries_documents_inline() -> None:
    stream = io.StringIO()
    assert render(DEFAULT_RAM_DIR, ACCOUNT, "cam-archive", None, stream) == 0
    text = stream.getvalue()
    assert "# policy VigilTokenFunction" in text
    assert f"acs:ram:*:{ACCOUNT}:role/vigil-device-upload" in text
    assert "aliyun ram CreatePolicy --PolicyName VigilTokenFunction --PolicyDocument '{" in text


@pytest.mark.parametrize(
    ("account", "bucket"), [("12ab", "ok-bucket"), (ACCOUNT, "Bad_Bucket"), (ACCOUNT, "x")]
)
def test_bad_arguments_exit_2(account: str, bucket: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert render(DEFAULT_RAM_DIR, account, bucket, None, io.StringIO()) == 2
    assert capsys.readouterr().err.startswith("vigil ram render: ")


def test_registered_in_the_vigil_cli(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["ram", "render", "--help"])
    assert done.value.code == 0
    assert "--account-id" in capsys.readouterr().out
    assert cli.main(["ram", "render", "--account-id", ACCOUNT, "--bucket", "cam-archive"]) == 0
    assert "vigil-indexer-fn" in capsys.readouterr().out


def test_upload_role_can_set_no_acl_and_no_public_access(tmp_path: Path) -> None:
    """Issue 27: the camera role may not publish. Its policy allows no ACL action and denies them
    (and the bucket-policy / Block Public Access calls) explicitly, so no other Allow can add one."""
    out = tmp_path / "out"
    assert render(DEFAULT_RAM_DIR, ACCOUNT, "cam-archive", out, io.StringIO()) == 0
    upload = json.loads((out / "policies" / "VigilDeviceUpload.json").read_text())
    allowed = [a for s in upload["Statement"] if s["Effect"] == "Allow" for a in s["Action"]]
    assert not [a for a in allowed if "Acl" in a or "*" in a or "Policy" in a or "PublicAccess" in a]
    denied = {a for s in upload["Statement"] if s["Effect"] == "Deny" for a in s["Action"]}
    assert {"oss:PutObjectAcl", "oss:PutBucketAcl", "oss:PutBucketPolicy",
            "oss:DeleteBucketPublicAccessBlock"} <= denied
