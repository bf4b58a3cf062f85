"""STS for the functions and the operator CLI, pointed at the cloud or at localcloud by endpoint.

`sts_endpoint` is "" for the SDK's regional default (the cloud: `sts_host`), or a URL such as
`http://127.0.0.1:9001` (localcloud). AssumeRole — once per token, the hot path — is the same
signed RPC call the SDK makes, sent by `core.rpc` over a keep-alive `http.client` connection
(`transport.KeepAlive`; a third of the SDK's CPU);
GetCallerIdentity (once per operator command) stays on `aliyun-python-sdk-sts`. The client is built
once per set of credentials and reused (FC instances keep it); errors become `StsUnavailable`
carrying the STS error code only, never a key or token.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aliyunsdkcore.acs_exception.exceptions import ClientException, ServerException
from aliyunsdkcore.auth.credentials import AccessKeyCredential, StsTokenCredential
from aliyunsdkcore.client import AcsClient
from aliyunsdksts.endpoint import endpoint_data
from aliyunsdksts.request.v20150401.GetCallerIdentityRequest import GetCallerIdentityRequest

from .rpc import RpcCaller, RpcError

API_VERSION = "2015-04-01"

SESSION_NAME_RE = re.compile(r"[a-zA-Z0-9.@\-_]{2,64}")


def policy_json(doc: dict[str, Any]) -> str:
    """Compact JSON, as it goes into the STS `Policy` parameter (and as its size limit is counted)."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=True)


class StsUnavailable(Exception):
    """STS refused or could not be reached; `code` is STS's error code (safe to log)."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class IssuedCredentials:
    access_key_id: str
    access_key_secret: str
    security_token: str
    expiration: str  # ISO 8601 UTC, as STS returns it (YYYY-MM-DDTHH:MM:SSZ)
    assumed_role_arn: str = ""

    def public_dict(self) -> dict[str, str]:
        """The four fields a client needs (what goes into a token response)."""
        return {
            "access_key_id": self.access_key_id,
            "access_key_secret": self.access_key_secret,
            "security_token": self.security_token,
            "expiration": self.expiration,
        }


def split_endpoint(endpoint: str) -> tuple[str, str] | None:
    """`http://127.0.0.1:9001` → ("127.0.0.1:9001", "http"); "" → None (SDK default)."""
    endpoint = endpoint.strip()
    if not endpoint:
        return None
    if "://" not in endpoint:
        return endpoint.rstrip("/"), "https"
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"STS endpoint must be an http(s) URL or a host name, got {endpoint!r}")
    return parts.netloc, parts.scheme


def sts_host(region: str) -> str:
    """The cloud's STS host for `region`, as the SDK resolves it: its endpoint table's entry for the
    few special regions, else the regional rule `sts.<region>.aliyuncs.com`."""
    special: dict[str, str] = endpoint_data.getEndpointMap()
    return special.get(region) or f"sts.{region}.aliyuncs.com"


class StsClient:
    """One AcsClient for one identity (a long-term key or the function's temporary credentials)."""

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str | None,
                 region: str, endpoint: str = "", timeout: float = 5.0) -> None:
        credential: Any
        if security_token:
            credential = StsTokenCredential(access_key_id, access_key_secret, security_token)
        else:
            credential = AccessKeyCredential(access_key_id, access_key_secret)
        self._client = AcsClient(region_id=region, credential=credential, auto_retry=False,
                                 connect_timeout=min(timeout, 3.0), timeout=timeout)
        self._endpoint = split_endpoint(endpoint)
        host, scheme = self._endpoint or (sts_host(region), "https")   # AssumeRoleRequest's protocol
        self._rpc = RpcCaller(access_key_id, access_key_secret, security_token, region=region, host=host,
                              scheme=scheme, timeout=timeout, connect_timeout=min(timeout, 3.0))

    def _prepared(self, request: Any) -> Any:
        """JSON answers, at the configured endpoint (localcloud's) when there is one."""
        request.set_accept_format("json")
        if self._endpoint is not None:
            host, scheme = self._endpoint
            request.set_endpoint(host)
            request.set_protocol_type(scheme)
        return request

    def caller_arn(self) -> str:
        """GetCallerIdentity's `Arn`: who this key is (the operator's name in the audit log)."""
        request = self._prepared(GetCallerIdentityRequest())
        try:
            doc = json.loads(self._client.do_action_with_exception(request))
        except ServerException as exc:
            raise StsUnavailable(str(exc.get_error_code()), _first_line(exc.get_error_msg()),
                                 exc.get_http_status()) from None
        except ClientException as exc:
            raise StsUnavailable(str(exc.get_error_code()), _first_line(exc.get_error_msg())) from None
        except ValueError as exc:
            raise StsUnavailable("MalformedResponse", "STS answered something that is not JSON") from exc
        arn = doc.get("Arn") if isinstance(doc, dict) else None
        if not isinstance(arn, str) or not arn:
            raise StsUnavailable("MalformedResponse", "GetCallerIdentity answered no Arn")
        return arn

    def assume_role(self, role_arn: str, session_name: str, policy: dict[str, Any] | None,
                    duration_seconds: int) -> IssuedCredentials:
        if not SESSION_NAME_RE.fullmatch(session_name):
            raise ValueError("RoleSessionName must be 2-64 characters of [a-zA-Z0-9.@_-]")
        params = {"RoleArn": role_arn, "RoleSessionName": session_name,
                  "DurationSeconds": str(int(duration_seconds))}
        if policy is not None:
            params["Policy"] = policy_json(policy)
        try:
            doc = self._rpc.call("AssumeRole", API_VERSION, params)
        except RpcError as exc:
            raise StsUnavailable(exc.code, _first_line(exc.message), exc.status) from None
        try:
            creds = doc["Credentials"]
            return IssuedCredentials(
                access_key_id=creds["AccessKeyId"],
                access_key_secret=creds["AccessKeySecret"],
                security_token=creds["SecurityToken"],
                expiration=creds["Expiration"],
                assumed_role_arn=(doc.get("AssumedRoleUser") or {}).get("Arn", ""),
            )
        except (KeyError, TypeError) as exc:
            raise StsUnavailable("MalformedResponse", "STS answered something that is not an AssumeRole "
                                 "response") from exc


def _first_line(message: object) -> str:
    """The first line of an SDK message, with URL query strings cut (they carry key ids and tokens)."""
    text = str(message or "").splitlines()[0] if message else ""
    return _QUERY_RE.sub("?<redacted>", text)[:300]


_QUERY_RE = re.compile(r"\?[^\s'\"()]*")


_lock = threading.Lock()
_cached: tuple[tuple[Any, ...], StsClient] | None = None


def cached_client(access_key_id: str, access_key_secret: str, security_token: str | None, region: str,
                  endpoint: str) -> StsClient:
    """The instance's STS client, rebuilt only when the credentials (or endpoint) change."""
    global _cached
    key = (access_key_id, access_key_secret, security_token, region, endpoint)
    with _lock:
        if _cached is None or _cached[0] != key:
            _cached = (key, StsClient(access_key_id, access_key_secret, security_token, region, endpoint))
        return _cached[1]
