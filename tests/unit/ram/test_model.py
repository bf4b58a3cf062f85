"""RamModel: loading, access keys, resolve() and issue_session() with their error codes."""

from __future__ import annotations

import json
import shutil
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from localcloud.common.clock import Clock
from localcloud.ram import policy
from localcloud.ram.loader import RamConfigError, substitute
from localcloud.ram.model import AuthError, Principal, RamModel, StsError

pytestmark = pytest.mark.unit

FC = "fc.aliyuncs.com"
RAM_DIR = Path(__file__).resolve().parents[3] / "infra" / "ram"
ACCOUNT = "1234567890123456"
BUCKET = "vigil-unit"


@pytest.fixture
def ram_model(tmp_path: Path, ram_clock: Clock) -> RamModel:
    """The model on the project's own roles and policies, with a fresh state folder."""
    return RamModel.load(RAM_DIR, tmp_path / "state", ACCOUNT, BUCKET, ram_clock)


@pytest.fixture
def ram_docs_dir(tmp_path: Path) -> Callable[..., Path]:
    """A copy of infra/ram that a test can edit: `make(policies={name: doc}, roles={...})`."""

    def make(policies: dict[str, Any] | None = None, roles: dict[str, Any] | None = None) -> Path:
        target = tmp_path / "ram-docs"
        if not target.exists():
            shutil.copytree(RAM_DIR, target)
        for name, doc in (policies or {}).items():
            (target / "policies" / f"{name}.json").write_text(json.dumps(doc))
        for name, doc in (roles or {}).items():
            (target / "roles" / f"{name}.json").write_text(json.dumps(doc))
        return target

    return make


def upload_policy(device: str) -> dict[str, Any]:
    return {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["oss:PutObject"],
                "Resource": [
                    f"acs:oss:*:*:{BUCKET}/videos/{device}/*",
                    f"acs:oss:*:*:{BUCKET}/live/{device}/*",
                ],
            }
        ],
    }


def token_fn(ram: RamModel) -> Principal:
    creds = ram.issue_session(ram.role_arn("vigil-token-fn"), "fc-token", 3600, None, None, FC)
    return ram.resolve(creds.access_key_id, creds.security_token)


# -- loading and keys ------------------------------------------------------------------------


def test_placeholders_substituted_everywhere(ram_model: RamModel) -> None:
    role = ram_model.role("vigil-device-upload")
    assert role is not None
    text = json.dumps([role.trust, role.policies])
    assert "${" not in text
    assert f"acs:oss:*:*:{BUCKET}/videos/*" in text
    assert f"acs:ram::{ACCOUNT}:role/vigil-token-fn" in text


def test_unknown_placeholder_is_refused() -> None:
    with pytest.raises(RamConfigError):
        substitute("${Bucket}/${Buckett}", ACCOUNT, BUCKET)


def test_every_role_has_description_and_its_session_max(ram_model: RamModel) -> None:
    names = {r.name for r in ram_model.roles()}
    assert names == {
        "vigil-device-upload",
        "vigil-token-fn",
        "vigil-indexer-fn",
        "vigil-api-fn",
        "vigil-export-fn",
        "vigil-alerts-fn",  # the alerts function (issue 25)
        "vigil-operator-token",
        "vigil-viewer-read",  # signs the viewer API's presigned URLs (issue 9)
    }
    for role in ram_model.roles():
        assert role.description
        # device tokens may live the role maximum (12 h, docs/scale.md); the functions' own 1 h
        assert role.max_session_duration == (43200 if role.name == "vigil-device-upload" else 3600)
        assert role.arn == f"acs:ram::{ACCOUNT}:role/{role.name}"
        assert len(role.role_id) == 19 and role.role_id.isdigit()


def test_access_keys_generated_once_0600_and_reused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = RamModel.load(RAM_DIR, state, ACCOUNT, BUCKET, Clock()).operator_key()
    path = state / "access-keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert first[0].startswith("LTAI") and len(first[0]) == 24 and len(first[1]) == 30
    again = RamModel.load(RAM_DIR, state, ACCOUNT, BUCKET, Clock()).operator_key()
    assert again == first
    other = RamModel.load(RAM_DIR, tmp_path / "other", ACCOUNT, BUCKET, Clock()).operator_key()
    assert other != first


def test_bad_policy_file_fails_the_load_with_its_name(
    ram_docs_dir: Callable[..., Path], tmp_path: Path
) -> None:
    docs = ram_docs_dir(policies={"Broken": {"Version": "1", "Statement": [{"Effect": "Allow"}]}})
    with pytest.raises(RamConfigError, match="Broken.json"):
        RamModel.load(docs, tmp_path / "s", ACCOUNT, BUCKET, Clock())


# -- resolve ---------------------------------------------------------------------------------


def test_resolve_operator(ram_model: RamModel) -> None:
    ak, secret = ram_model.operator_key()
    p = ram_model.resolve(ak, None)
    assert (p.kind, p.secret, p.arn) == ("user", secret, f"acs:ram::{ACCOUNT}:user/operator")
    assert policy.evaluate(p, "oss:PutObject", f"acs:oss:*:*:{BUCKET}/anything", {}) == "Allow"


def test_resolve_unknown_key(ram_model: RamModel) -> None:
    with pytest.raises(AuthError) as err:
        ram_model.resolve("LTAI5tNOPE", None)
    assert err.value.code == "InvalidAccessKeyId" and err.value.status == 403


def test_resolve_sts_key_without_token(ram_model: RamModel) -> None:
    creds = ram_model.issue_session(ram_model.role_arn("vigil-indexer-fn"), "fc-idx", 900, None, None, FC)
    with pytest.raises(AuthError) as err:
        ram_model.resolve(creds.access_key_id, None)
    assert err.value.code == "InvalidAccessKeyId"


def test_resolve_session_principal(ram_model: RamModel) -> None:
    creds = ram_model.issue_session(ram_model.role_arn("vigil-indexer-fn"), "fc-idx", 900, None, None, FC)
    p = ram_model.resolve(creds.access_key_id, creds.security_token)
    role = ram_model.role("vigil-indexer-fn")
    assert role is not None
    assert p.kind == "assumed-role"
    assert p.arn == f"acs:ram::{ACCOUNT}:assumed-role/vigil-indexer-fn/fc-idx"
    assert p.principal_id == f"{role.role_id}:fc-idx"
    assert p.secret == creds.access_key_secret
    assert p.expiration == creds.expiration
    assert p.policies == role.policies and p.session_policy is None


def test_token_of_another_key_id_is_invalid(ram_model: RamModel) -> None:
    a = ram_model.issue_session(ram_model.role_arn("vigil-indexer-fn"), "a1", 900, None, None, FC)
    b = ram_model.issue_session(ram_model.role_arn("vigil-indexer-fn"), "b1", 900, None, None, FC)
    with pytest.raises(AuthError) as err:
        ram_model.resolve(a.access_key_id, b.security_token)
    assert err.value.code == "InvalidSecurityToken"


def test_token_from_another_localcloud_is_invalid(ram_model: RamModel, tmp_path: Path) -> None:
    other = RamModel.load(RAM_DIR, tmp_path / "elsewhere", ACCOUNT, BUCKET, Clock())
    creds = other.issue_session(other.role_arn("vigil-indexer-fn"), "x1", 900, None, None, FC)
    with pytest.raises(AuthError) as err:
        ram_model.resolve(creds.access_key_id, creds.security_token)
    assert err.value.code == "InvalidSecurityToken"


def test_altered_token_is_invalid(ram_model: RamModel) -> None:
    creds = ram_model.issue_session(ram_model.role_arn("vigil-indexer-fn"), "x1", 900, None, None, FC)
    token = creds.security_token
    altered = token[:20] + ("a" if token[20] != "a" else "b") + token[21:]
    with pytest.raises(AuthError) as err:
        ram_model.resolve(creds.access_key_id, altered)
    assert err.value.code == "InvalidSecurityToken"


def test_token_expires_on_the_shared_clock(ram_model: RamModel, ram_clock: Clock) -> None:
    creds = ram_model.issue_session(ram_model.role_arn("vigil-indexer-fn"), "x1", 900, None, None, FC)
    assert ram_model.resolve(creds.access_key_id, creds.security_token).kind == "assumed-role"
    ram_clock.advance(creds.expiration - ram_clock.now() - 5)
    assert ram_model.resolve(creds.access_key_id, creds.security_token).kind == "assumed-role"
    ram_clock.advance(10)
    with pytest.raises(AuthError) as err:
        ram_model.resolve(creds.access_key_id, creds.security_token)
    assert err.value.code == "SecurityTokenExpired"


def test_token_survives_a_restart_with_the_same_state(tmp_path: Path) -> None:
    state = tmp_path / "state"
    first = RamModel.load(RAM_DIR, state, ACCOUNT, BUCKET, Clock())
    creds = first.issue_session(first.role_arn("vigil-api-fn"), "x1", 900, None, None, FC)
    again = RamModel.load(RAM_DIR, state, ACCOUNT, BUCKET, Clock())
    assert again.resolve(creds.access_key_id, creds.security_token).secret == creds.access_key_secret


def test_role_policy_change_applies_to_outstanding_tokens(
    ram_docs_dir: Callable[..., Path], tmp_path: Path
) -> None:
    docs = ram_docs_dir()
    ram = RamModel.load(docs, tmp_path / "s", ACCOUNT, BUCKET, Clock())
    creds = ram.issue_session(ram.role_arn("vigil-indexer-fn"), "x1", 900, None, None, FC)
    target = f"acs:oss:*:*:{BUCKET}/videos/cam-1/a.ts"
    before = ram.resolve(creds.access_key_id, creds.security_token)
    assert policy.evaluate(before, "oss:GetObject", target, {}) == "Allow"
    ram_docs_dir(
        policies={
            "VigilIndexerFunction": {
                "Version": "1",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "oss:GetObject",
                        "Resource": f"acs:oss:*:*:{BUCKET}/index/*",
                    }
                ],
            }
        }
    )
    ram.reload()
    after = ram.resolve(creds.access_key_id, creds.security_token)
    assert policy.evaluate(after, "oss:GetObject", target, {}) == "ImplicitDeny"


# -- issue_session -----------------------------------------------------------------------------


def test_function_role_for_fc_service(ram_model: RamModel, ram_clock: Clock) -> None:
    now = ram_clock.now()
    creds = ram_model.issue_session(ram_model.role_arn("vigil-api-fn"), "fc-api", 3600, None, None, FC)
    assert creds.access_key_id.startswith("STS.")
    assert now + 3599 <= creds.expiration <= now + 3601
    assert creds.assumed_role_arn == f"acs:ram::{ACCOUNT}:assumed-role/vigil-api-fn/fc-api"


def test_upload_role_via_token_fn_session(ram_model: RamModel) -> None:
    caller = token_fn(ram_model)
    creds = ram_model.issue_session(
        ram_model.role_arn("vigil-device-upload"), "cam-1", 900, upload_policy("cam-1"), caller, None
    )
    p = ram_model.resolve(creds.access_key_id, creds.security_token)
    assert p.session_policy == upload_policy("cam-1")
    assert policy.evaluate(p, "oss:PutObject", f"acs:oss:*:*:{BUCKET}/videos/cam-1/x.ts", {}) == "Allow"
    assert (
        policy.evaluate(p, "oss:PutObject", f"acs:oss:*:*:{BUCKET}/videos/cam-2/x.ts", {}) == "ImplicitDeny"
    )


def err_of(fn: Callable[[], Any]) -> StsError:
    with pytest.raises(StsError) as err:
        fn()
    return err.value


def test_unknown_role(ram_model: RamModel) -> None:
    e = err_of(lambda: ram_model.issue_session(f"acs:ram::{ACCOUNT}:role/nope", "s1", 900, None, None, FC))
    assert (e.code, e.status) == ("EntityNotExist.Role", 404)
    e = err_of(lambda: ram_model.issue_session("acs:ram::999:role/vigil-api-fn", "s1", 900, None, None, FC))
    assert e.code == "EntityNotExist.Role"


def test_trust_refuses_other_services_and_principals(ram_model: RamModel) -> None:
    e = err_of(
        lambda: ram_model.issue_session(
            ram_model.role_arn("vigil-api-fn"), "s1", 900, None, None, "ecs.aliyuncs.com"
        )
    )
    assert (e.code, e.status) == ("NoPermission", 403)
    # the upload role trusts the token-function role, not the FC service and not the operator
    e = err_of(
        lambda: ram_model.issue_session(ram_model.role_arn("vigil-device-upload"), "s1", 900, None, None, FC)
    )
    assert e.code == "NoPermission"
    operator = ram_model.resolve(ram_model.operator_key()[0], None)
    e = err_of(
        lambda: ram_model.issue_session(
            ram_model.role_arn("vigil-device-upload"), "s1", 900, None, operator, None
        )
    )
    assert e.code == "NoPermission"
    # an indexer session is a principal of the account but neither trusted nor allowed
    idx = ram_model.issue_session(ram_model.role_arn("vigil-indexer-fn"), "i1", 900, None, None, FC)
    indexer = ram_model.resolve(idx.access_key_id, idx.security_token)
    e = err_of(
        lambda: ram_model.issue_session(
            ram_model.role_arn("vigil-device-upload"), "s1", 900, None, indexer, None
        )
    )
    assert e.code == "NoPermission"


def test_no_caller_no_service(ram_model: RamModel) -> None:
    e = err_of(
        lambda: ram_model.issue_session(ram_model.role_arn("vigil-api-fn"), "s1", 900, None, None, None)
    )
    assert e.code == "NoPermission"


def test_account_root_trust_needs_the_callers_own_permission(
    ram_docs_dir: Callable[..., Path], tmp_path: Path
) -> None:
    docs = ram_docs_dir(
        roles={
            "open-role": {
                "RoleName": "open-role",
                "Description": "d",
                "MaxSessionDuration": 7200,
                "AssumeRolePolicyDocument": {
                    "Version": "1",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": "sts:AssumeRole",
                            "Principal": {"RAM": ["acs:ram::${AccountID}:root"]},
                        }
                    ],
                },
                "Policies": ["VigilDeviceUpload"],
            }
        }
    )
    ram = RamModel.load(docs, tmp_path / "s", ACCOUNT, BUCKET, Clock())
    # the operator may assume vigil-* only; root trust is not enough for open-role
    operator = ram.resolve(ram.operator_key()[0], None)
    e = err_of(lambda: ram.issue_session(ram.role_arn("open-role"), "s1", 900, None, operator, None))
    assert e.code == "NoPermission"
    # the token function may assume only the upload role
    e = err_of(lambda: ram.issue_session(ram.role_arn("open-role"), "s1", 900, None, token_fn(ram), None))
    assert e.code == "NoPermission"
    # MaxSessionDuration of the role bounds the duration
    ram_docs_dir(
        policies={
            "VigilOperatorAccess": {
                "Version": "1",
                "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}],
            }
        }
    )
    ram.reload()
    operator = ram.resolve(ram.operator_key()[0], None)
    assert ram.issue_session(ram.role_arn("open-role"), "s1", 7200, None, operator, None).access_key_id
    e = err_of(lambda: ram.issue_session(ram.role_arn("open-role"), "s1", 7201, None, operator, None))
    assert e.code == "InvalidParameter.DurationSeconds"


def test_caller_needs_sts_assume_role_in_its_own_policies(
    ram_docs_dir: Callable[..., Path], tmp_path: Path
) -> None:
    docs = ram_docs_dir(
        policies={
            "VigilTokenFunction": {
                "Version": "1",
                "Statement": [{"Effect": "Allow", "Action": "oss:GetObject", "Resource": "*"}],
            }
        }
    )
    ram = RamModel.load(docs, tmp_path / "s", ACCOUNT, BUCKET, Clock())
    e = err_of(
        lambda: ram.issue_session(
            ram.role_arn("vigil-device-upload"), "cam-1", 900, None, token_fn(ram), None
        )
    )
    assert (e.code, e.status) == ("NoPermission", 403)


def test_source_ip_condition_in_callers_policy(ram_docs_dir: Callable[..., Path], tmp_path: Path) -> None:
    docs = ram_docs_dir(
        policies={
            "VigilTokenFunction": {
                "Version": "1",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "sts:AssumeRole",
                        "Resource": "*",
                        "Condition": {"IpAddress": {"acs:SourceIp": "127.0.0.0/8"}},
                    }
                ],
            }
        }
    )
    ram = RamModel.load(docs, tmp_path / "s", ACCOUNT, BUCKET, Clock())
    arn = ram.role_arn("vigil-device-upload")
    caller = token_fn(ram)
    assert ram.issue_session(arn, "cam-1", 900, None, caller, None, context={"acs:SourceIp": "127.0.0.1"})
    e = err_of(
        lambda: ram.issue_session(arn, "cam-1", 900, None, caller, None, context={"acs:SourceIp": "10.0.0.1"})
    )
    assert e.code == "NoPermission"


@pytest.mark.parametrize("duration", [0, 899, 3601, 43200])
def test_duration_bounds(ram_model: RamModel, duration: int) -> None:
    e = err_of(
        lambda: ram_model.issue_session(ram_model.role_arn("vigil-api-fn"), "s1", duration, None, None, FC)
    )
    assert (e.code, e.status) == ("InvalidParameter.DurationSeconds", 400)


@pytest.mark.parametrize("name", ["a", "x" * 65, "has space", "cam/1", "cam*", "kamera-ü", ""])
def test_session_name_rules(ram_model: RamModel, name: str) -> None:
    e = err_of(lambda: ram_model.issue_session(ram_model.role_arn("vigil-api-fn"), name, 900, None, None, FC))
    assert (e.code, e.status) == ("InvalidParameter.RoleSessionName", 400)


@pytest.mark.parametrize("name", ["ab", "x" * 64, "user@example.com", "cam-1_a.b"])
def test_session_names_accepted(ram_model: RamModel, name: str) -> None:
    creds = ram_model.issue_session(ram_model.role_arn("vigil-api-fn"), name, 900, None, None, FC)
    assert creds.assumed_role_arn.endswith("/" + name)


def test_policy_grammar_and_size(ram_model: RamModel) -> None:
    arn = ram_model.role_arn("vigil-device-upload")
    caller = token_fn(ram_model)
    e = err_of(
        lambda: ram_model.issue_session(arn, "cam-1", 900, {"Version": "2", "Statement": []}, caller, None)
    )
    assert (e.code, e.status) == ("InvalidParameter.PolicyGrammar", 400)
    huge = {
        "Version": "1",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": "oss:PutObject",
                "Resource": [f"acs:oss:*:*:{BUCKET}/videos/cam-{i:04d}/*" for i in range(80)],
            }
        ],
    }
    e = err_of(lambda: ram_model.issue_session(arn, "cam-1", 900, huge, caller, None))
    assert e.code == "InvalidParameter.PolicyGrammar" and "too long" in e.message
