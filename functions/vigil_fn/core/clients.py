"""SDK clients built from a function's own (temporary) credentials, cached per instance.

Credentials come from `ALIBABA_CLOUD_ACCESS_KEY_ID` / `_SECRET` / `_SECURITY_TOKEN`, else from
`context.credentials`; never a long-term key in code or config. A client is rebuilt only when the
credentials change (FC refreshes them), not per request.
"""

from __future__ import annotations

import copy
import os
import threading
from dataclasses import dataclass
from typing import Any

import oss2
from vigil_camera.crc import without_crc

from .config import Settings
from .transport import LeanSession, SmallBodySession


@dataclass(frozen=True)
class FunctionCredentials:
    access_key_id: str
    access_key_secret: str
    security_token: str | None

    @classmethod
    def from_context(cls, context: Any = None) -> FunctionCredentials:
        env = os.environ
        if env.get("ALIBABA_CLOUD_ACCESS_KEY_ID") and env.get("ALIBABA_CLOUD_ACCESS_KEY_SECRET"):
            return cls(env["ALIBABA_CLOUD_ACCESS_KEY_ID"], env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                       env.get("ALIBABA_CLOUD_SECURITY_TOKEN") or None)
        creds = getattr(context, "credentials", None)
        if creds is None:
            raise RuntimeError("no credentials: neither ALIBABA_CLOUD_* variables nor context.credentials")
        return cls(creds.access_key_id, creds.access_key_secret, getattr(creds, "security_token", None) or None)


_lock = threading.Lock()
_buckets: dict[tuple[Any, ...], oss2.Bucket] = {}


def function_session() -> oss2.Session:
    """oss2's session for the functions: byte-bodied requests go straight to urllib3, without
    `requests` (`transport.LeanSession`: about 1 ms of CPU less per OSS call, measured), and the
    requests fallback without its environment lookups (`trust_env`: every request would read the
    proxy variables and stat ~/.netrc, 0.3-0.4 ms per call). A function reaches OSS on its region's
    endpoint, never through a proxy or with netrc credentials; oss2's own `proxies` argument still
    works (such requests take the fallback)."""
    return LeanSession()


class FunctionBucket(oss2.Bucket):  # type: ignore[misc]
    """The functions' `oss2.Bucket`: GETs skip oss2's CRC-64, uploads keep it.

    On a GET, oss2 builds crcmod's CRC-64 table in pure Python for every request and runs it over the
    body (the api's GETs: 4.0 vs 2.6 ms of CPU each, measured by the activity work) to fill a
    `client_crc` that oss2 itself never compares and no function reads; an upload's CRC is checked by
    oss2 against the one OSS returns, so PUTs and appends keep it (`vigil_camera.crc.without_crc`
    gives the twin without it for callers that check their own)."""

    def get_object(self, *args: Any, **kwargs: Any) -> Any:
        if self.enable_crc:
            return without_crc(self).get_object(*args, **kwargs)
        return super().get_object(*args, **kwargs)

    def get_object_to_file(self, *args: Any, **kwargs: Any) -> Any:
        """oss2 compares the CRC of a whole download to a file: keep that check (a plain Bucket's)."""
        plain = copy.copy(self)
        plain.__class__ = oss2.Bucket
        return plain.get_object_to_file(*args, **kwargs)


def oss_bucket(settings: Settings, creds: FunctionCredentials, *, connect_timeout: float = 10,
               small_bodies: bool = False) -> oss2.Bucket:
    """The bucket client for these credentials, built once and reused while they stay the same.

    `small_bodies`: every body this caller sends or reads is a few KB (the token function), so its
    answers are read whole over `transport.SmallBodySession` — about 0.5 ms of CPU less per call than
    `LeanSession` (measured, issue 30); a function that streams clips or indexes keeps the default."""
    cache_key = (settings.oss_endpoint, settings.bucket, settings.region, creds, small_bodies)
    with _lock:
        bucket = _buckets.get(cache_key)
        if bucket is None:
            if creds.security_token:
                auth: Any = oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token)
            else:
                auth = oss2.Auth(creds.access_key_id, creds.access_key_secret)
            session = SmallBodySession() if small_bodies else function_session()
            bucket = FunctionBucket(auth, settings.oss_endpoint, settings.bucket, connect_timeout=connect_timeout,
                                    session=session)
            for old in [key for key in _buckets if key[:4] != cache_key[:4]]:
                del _buckets[old]  # old credentials are done with: one client of each kind per instance
            _buckets[cache_key] = bucket
        return bucket
