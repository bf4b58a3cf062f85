"""Every environment variable the functions read, in one place, with defaults for localcloud.

In the cloud these come from s.yaml `environmentVariables` (the master key as an encrypted
variable); locally the FC runtime renders the same s.yaml with the stack's endpoints.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Settings:
    region: str
    bucket: str
    oss_endpoint: str          # what functions use to reach OSS
    public_oss_endpoint: str   # what devices and browsers use (handed out in tokens / URLs)
    sts_endpoint: str          # "" means the SDK's default for the region
    upload_role_arn: str
    master_key: bytes
    token_ttl_default: int
    token_ttl_max: int
    token_rate_per_minute: int
    clock_skew_seconds: int
    log_level: str
    # the account's STS AssumeRole budget for this function, shared by at most `token_max_instances`
    # instances (= s.yaml concurrencyConfig.reservedConcurrency); see docs/scale.md
    sts_calls_per_second: float = 80.0
    token_max_instances: int = 100

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        e = os.environ if env is None else env
        region = e.get("VIGIL_REGION", "cn-hangzhou")
        oss_endpoint = e.get("VIGIL_OSS_ENDPOINT", "http://127.0.0.1:9000")
        return cls(
            region=region,
            bucket=e.get("VIGIL_BUCKET", "vigil-local"),
            oss_endpoint=oss_endpoint,
            public_oss_endpoint=e.get("VIGIL_PUBLIC_OSS_ENDPOINT", oss_endpoint),
            sts_endpoint=e.get("VIGIL_STS_ENDPOINT", "http://127.0.0.1:9001"),
            upload_role_arn=e.get("VIGIL_UPLOAD_ROLE_ARN", "acs:ram::1000000000000000:role/vigil-device-upload"),
            master_key=e.get("VIGIL_MASTER_KEY", "").encode(),
            token_ttl_default=int(e.get("VIGIL_TOKEN_TTL_DEFAULT", "3600")),
            # = s.yaml's default: revocation (devices.Registry, `vigil devices disable`) denies a session
            # for this long, so wherever it runs it must see at least what the token function issues
            token_ttl_max=int(e.get("VIGIL_TOKEN_TTL_MAX", "14400")),
            token_rate_per_minute=int(e.get("VIGIL_TOKEN_RATE_PER_MINUTE", "10")),
            clock_skew_seconds=int(e.get("VIGIL_CLOCK_SKEW_SECONDS", "300")),
            log_level=e.get("VIGIL_LOG_LEVEL", "INFO"),
            sts_calls_per_second=float(e.get("VIGIL_STS_CALLS_PER_SECOND", "80")),
            token_max_instances=int(e.get("VIGIL_TOKEN_MAX_INSTANCES", "100")),
        )

    @property
    def sts_rate_per_instance(self) -> float:
        """One instance's share of the STS budget, so that all instances together stay within it."""
        return self.sts_calls_per_second / max(1, self.token_max_instances)
