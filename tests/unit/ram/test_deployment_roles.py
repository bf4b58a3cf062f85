"""s.yaml and infra/ram agree: every function's role exists and FC may mint credentials for it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from localcloud.common.clock import Clock
from localcloud.ram.model import RamModel

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
ACCOUNT = "1234567890123456"


@pytest.fixture
def spec_model(tmp_path: Path) -> RamModel:
    return RamModel.load(REPO / "infra" / "ram", tmp_path, ACCOUNT, "vigil-spec", Clock())


def spec_arns(field: str) -> list[str]:
    text = (REPO / "s.yaml").read_text().replace("${config('AccountID')}", ACCOUNT)
    return re.findall(rf"^\s*{field}: (acs:ram::\d+:role/[\w.-]+)\s*$", text, re.MULTILINE)


def test_every_function_role_exists_and_trusts_fc(spec_model: RamModel) -> None:
    arns = spec_arns("role")
    assert len(arns) >= 2, "s.yaml names fewer function roles than expected"
    for arn in arns:
        creds = spec_model.issue_session(arn, "fc-spec", 3600, None, None, "fc.aliyuncs.com")
        assert spec_model.resolve(creds.access_key_id, creds.security_token).role_arn == arn


def test_upload_role_of_the_token_function_exists(spec_model: RamModel) -> None:
    arns = spec_arns("VIGIL_UPLOAD_ROLE_ARN")
    assert arns and all(spec_model.role(a) is not None for a in arns)
