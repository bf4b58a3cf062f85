"""Python parity with the OSS Media C SDK's token calls.

    oss_media_get_token(bucket, path, mode, expiration)  ->  get_token(bucket, path, mode, expiration)
    oss_media_get_token_from_policy(policy, expiration)  ->  get_token_from_policy(policy, expiration)

Modes: `r` GetObject (covers HeadObject), `w` / `a` PutObject (append is a PutObject), `d`
DeleteObject, `l` ListObjects on the bucket with an `oss:Prefix` condition for the path. The path
must start with `/` (e.g. `/videos/cam-1/*`); expiration is 900..3600 seconds. The token is STS
AssumeRole on the operator-token role (`VIGIL_OPERATOR_TOKEN_ROLE_ARN`, default
`acs:ram::<account>:role/vigil-operator-token`) with the built policy as the session policy, signed
with the operator's key: STS grants the intersection of that role and the policy.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from vigil_fn.core.sts import StsClient
from vigil_fn.token.policy import parity_policy, validate_bucket, validate_policy_document

from .settings import OpsSettings

MIN_EXPIRATION = 900
MAX_EXPIRATION = 3600
SESSION_NAME = "vigil-operator-token"


@dataclass(frozen=True)
class Token:
    access_key_id: str
    access_key_secret: str
    security_token: str
    expiration: str        # UTC, YYYY-MM-DDTHH:MM:SSZ
    bucket: str
    endpoint: str
    region: str
    policy: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def validate_expiration(expiration: object) -> int:
    if isinstance(expiration, bool) or not isinstance(expiration, int) or \
            not MIN_EXPIRATION <= expiration <= MAX_EXPIRATION:
        raise ValueError(f"expiration must be an integer between {MIN_EXPIRATION} and "
                         f"{MAX_EXPIRATION} seconds")
    return expiration


def get_token(bucket: str, path: str, mode: str, expiration: int, *,
              settings: OpsSettings | None = None) -> Token:
    """A token for `path` (starting with '/') in `bucket` with the access `mode` letters allow."""
    validate_bucket(bucket)
    validate_expiration(expiration)
    return _assume(parity_policy(bucket, path, mode), expiration, settings, bucket)


def get_token_from_policy(policy: dict[str, Any] | str, expiration: int, *,
                          settings: OpsSettings | None = None) -> Token:
    """A token whose session policy is `policy` (a dict or its JSON text)."""
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError as exc:
            raise ValueError(f"the policy is not valid JSON: {exc}") from None
    doc = validate_policy_document(policy)
    validate_expiration(expiration)
    return _assume(doc, expiration, settings, None)


def _assume(policy: dict[str, Any], expiration: int, settings: OpsSettings | None,
            bucket: str | None) -> Token:
    s = (settings or OpsSettings.load()).require("access_key_id", "access_key_secret",
                                                 "operator_token_role_arn")
    client = StsClient(s.access_key_id, s.access_key_secret, None, s.region, s.sts_endpoint)
    creds = client.assume_role(s.operator_token_role_arn, SESSION_NAME, policy, expiration)
    return Token(creds.access_key_id, creds.access_key_secret, creds.security_token, creds.expiration,
                 bucket or s.bucket, s.oss_endpoint, s.region, policy)
