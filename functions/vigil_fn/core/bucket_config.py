"""Reading the bucket's own protection settings: OverwriteConfig (write-once) through a V4-signed call.

oss2 2.19.1 has no API for `?overwriteConfig`; V4 signs every query parameter, so the raw call is
signed correctly. Used by `vigil bucket setup` (vigil_ops.bucket_setup) and by the alerts
function's bucket-protection rule.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree as ET

import oss2


def region_of_endpoint(endpoint: str) -> str | None:
    """`https://oss-cn-shanghai-internal.aliyuncs.com` → "cn-shanghai"; None for other hosts."""
    m = re.search(r"oss-([a-z0-9-]+?)(?:-internal)?\.aliyuncs\.com", endpoint or "")
    return m.group(1) if m else None


def v4_bucket(bucket: oss2.Bucket, region: str | None) -> oss2.Bucket:
    """The same bucket and credentials, signed with V4 (signs `?overwriteConfig`)."""
    auth = bucket.auth
    provider = getattr(auth, "credentials_provider", None)
    if provider is None:  # StsAuth wraps a provider-based auth
        inner = getattr(auth, "_StsAuth__auth", None)
        provider = getattr(inner, "credentials_provider", None)
    if provider is None:
        raise TypeError("the bucket's auth has no credentials provider to sign with V4")
    region = region or getattr(bucket, "region", None) or region_of_endpoint(bucket.endpoint) or "cn-hangzhou"
    return oss2.Bucket(oss2.ProviderAuthV4(provider), bucket.endpoint, bucket.bucket_name, region=region)


def get_overwrite_config(bucket: oss2.Bucket, region: str | None = None) -> list[dict[str, Any]]:
    """The bucket's overwrite rules as dicts (empty when none is set)."""
    v4 = v4_bucket(bucket, region)
    try:
        resp = v4._Bucket__do_bucket("GET", params={"overwriteConfig": ""})
    except oss2.exceptions.OssError as exc:  # oss2 has no class for NoSuchOverwriteConfiguration
        if exc.status == 404:
            return []
        raise
    root = ET.fromstring(resp.read())  # noqa: S314 - the operator's own OSS endpoint answering
    return [{
        "id": rule.findtext("ID", ""),
        "action": rule.findtext("Action", ""),
        "prefix": rule.findtext("Prefix", ""),
        "suffix": rule.findtext("Suffix", ""),
        "principals": [p.text or "" for p in rule.findall("Principals/Principal")],
    } for rule in root.findall("Rule")]
