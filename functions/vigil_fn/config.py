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
    index_segment_bytes: int = 8192      # indexer: compact a day's log every this many bytes
    health_merge_seconds: int = 60       # indexer: rebuild index/_health.json at most this often

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
            token_ttl_max=int(e.get("VIGIL_TOKEN_TTL_MAX", "3600")),
            token_rate_per_minute=int(e.get("VIGIL_TOKEN_RATE_PER_MINUTE", "10")),
            clock_skew_seconds=int(e.get("VIGIL_CLOCK_SKEW_SECONDS", "300")),
            log_level=e.get("VIGIL_LOG_LEVEL", "INFO"),
            index_segment_bytes=max(1024, int(e.get("VIGIL_INDEX_SEGMENT_BYTES", "8192"))),
            health_merge_seconds=max(1, int(e.get("VIGIL_HEALTH_MERGE_SECONDS", "60"))),
        )
