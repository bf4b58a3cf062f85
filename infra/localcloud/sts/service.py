"""The STS service: authenticate an RPC call and run AssumeRole / GetCallerIdentity on the RAM model.

Free of HTTP (the server hands it a method, the parameters and the caller's address) so that the
protocol checks — signature, timestamp window, nonce replay, caller key / security token — are
plain functions of their input. Errors carry the real STS codes and HTTP statuses.
"""

from __future__ import annotations

import calendar
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from ..common import logs
from ..common.clock import Clock
from ..ram.model import MAX_SESSION_POLICY_CHARS, AuthError, Principal, RamModel, StsError
from . import rpc

API_VERSION = "2015-04-01"
TIMESTAMP_WINDOW_S = 15 * 60
DEFAULT_DURATION_S = 3600

log = logs.get("localcloud.sts")


@dataclass
class RpcResponse:
    """One answer; JSON unless the call asked for `Format=XML` (root `<Action>Response` or `Error`)."""

    status: int
    body: dict[str, Any]
    request_id: str
    headers: dict[str, str] = field(default_factory=dict)
    xml_root: str | None = None  # set when the caller asked for XML

    @property
    def content_type(self) -> str:
        return "text/xml;charset=utf-8" if self.xml_root else "application/json;charset=utf-8"

    def encoded(self) -> bytes:
        if self.xml_root:
            document = '<?xml version="1.0" encoding="UTF-8"?>' + _to_xml(self.xml_root, self.body)
            return document.encode("utf-8")
        return json.dumps(self.body, separators=(",", ":")).encode("utf-8")


def _to_xml(tag: str, value: Any) -> str:
    if isinstance(value, dict):
        inner = "".join(_to_xml(k, v) for k, v in value.items())
    else:
        inner = xml_escape(str(value))
    return f"<{tag}>{inner}</{tag}>"


def _format_time(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


_TIMESTAMP_RE = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{1,9})?Z")


def _parse_time(text: str) -> float:
    """`YYYY-MM-DDTHH:MM:SSZ` (the SDK's format; fractions tolerated) → unix seconds."""
    match = _TIMESTAMP_RE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    return float(calendar.timegm(time.strptime(match.group(1), "%Y-%m-%dT%H:%M:%S")))


def new_request_id() -> str:
    """STS request ids are upper-case UUIDs."""
    return str(uuid.uuid4()).upper()


class _NonceCache:
    """SignatureNonces seen while their request could still be accepted, per access key (replay guard).

    Expiry runs on the monotonic clock, so moving the test Clock cannot make a nonce forgettable
    early; the caller passes how long a timestamp may stay acceptable.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()
        self._next_sweep = 0.0

    def claim(self, access_key_id: str, nonce: str, ttl: float) -> bool:
        """True the first time (key, nonce) is seen within `ttl` seconds, False on reuse."""
        key = (access_key_id, nonce)
        now = time.monotonic()
        with self._lock:
            if now >= self._next_sweep:
                self._seen = {k: exp for k, exp in self._seen.items() if exp > now}
                self._next_sweep = now + 60
            expires = self._seen.get(key)
            if expires is not None and expires > now:
                return False
            self._seen[key] = now + ttl
            return True


class STSService:
    """AssumeRole and GetCallerIdentity over the RPC protocol, backed by `RamModel`."""

    def __init__(self, ram: RamModel, clock: Clock) -> None:
        self.ram = ram
        self.clock = clock
        self._nonces = _NonceCache()

    # -- entry point ----------------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, str], source_ip: str, host: str = "sts.localcloud",
               secure: bool = False) -> RpcResponse:
        """Answer one RPC call; never raises for bad input (it becomes an STS error response)."""
        request_id = new_request_id()
        action = params.get("Action", "")
        caller_key = params.get("AccessKeyId", "")
        try:
            try:
                caller = self._authenticate(method, params)
                body = self._dispatch(action, params, caller, source_ip, secure)
            except StsError:
                raise
            except Exception as exc:  # noqa: BLE001 - a bug must still give the client an STS answer
                log.exception("sts internal error", extra={"request_id": request_id, "action": action})
                raise StsError("InternalError", "The request processing has failed due to some unknown "
                                                "error, exception or failure.", 500) from exc
            body["RequestId"] = request_id
            response = RpcResponse(200, body, request_id)
            log.info("sts call", extra={"request_id": request_id, "action": action, "status": 200,
                                        "access_key_id": caller_key, "caller": caller.arn,
                                        "role_arn": params.get("RoleArn"), "source_ip": source_ip})
        except StsError as exc:
            response = RpcResponse(exc.status, {
                "RequestId": request_id, "HostId": host, "Code": exc.code, "Message": exc.message,
                "Recommend": f"https://api.aliyun.com/troubleshoot?q={exc.code}&product=Sts",
            }, request_id)
            log.info("sts call refused", extra={"request_id": request_id, "action": action,
                                                "status": exc.status, "code": exc.code,
                                                "access_key_id": caller_key, "source_ip": source_ip})
        if params.get("Format", "JSON").upper() == "XML":
            response.xml_root = f"{action}Response" if response.status == 200 else "Error"
        response.headers["x-acs-request-id"] = request_id
        return response

    # -- protocol checks ------------------------------------------------------------------------

    def _authenticate(self, method: str, params: dict[str, str]) -> Principal:
        for name in ("AccessKeyId", "Signature", "SignatureNonce", "Timestamp", "Action"):
            if not params.get(name):
                raise StsError(f"Missing{name}", f"{name} is mandatory for this action.", 400)
        if params["Action"] not in ("AssumeRole", "GetCallerIdentity"):
            raise StsError("InvalidAction.NotFound",
                           "Specified api is not found, please check your url and method.", 404)
        if params.get("Version") != API_VERSION:
            raise StsError("InvalidVersion", f"Specified parameter Version is not valid: expected "
                                             f"{API_VERSION}.", 400)
        if params.get("SignatureMethod", "HMAC-SHA1") != "HMAC-SHA1":
            raise StsError("InvalidSignatureMethod", "Specified signature method is not supported.", 400)
        try:
            timestamp = _parse_time(params["Timestamp"])
        except ValueError:
            raise StsError("InvalidTimeStamp.Format",
                           "Specified time stamp or date value is not well formatted.", 400) from None
        now = self.clock.now()
        # Within the window of the shared Clock or of the wall clock: tests move the Clock forward
        # to expire sessions while the unmodified SDKs (and function workers) keep signing with
        # wall time, and they must keep working after such a move (the OSS server does the same).
        if abs(now - timestamp) > TIMESTAMP_WINDOW_S and abs(time.time() - timestamp) > TIMESTAMP_WINDOW_S:
            raise StsError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)

        caller = self._resolve(params["AccessKeyId"], params.get("SecurityToken"))
        expected_sts = rpc.string_to_sign(method, params)
        if not rpc.signature_matches(params["Signature"], rpc.sign(expected_sts, caller.secret)):
            # aliyunsdkcore splits this message on ':' and compares the rest with its own string
            raise StsError("SignatureDoesNotMatch",
                           f"Specified signature is not matched with our calculation. server string to "
                           f"sign is:{expected_sts}", 400)
        # a nonce is remembered as long as its timestamp could still be accepted (either clock)
        ttl = 2 * TIMESTAMP_WINDOW_S + abs(self.clock.offset)
        if not self._nonces.claim(caller.access_key_id, params["SignatureNonce"], ttl):
            raise StsError("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
        return caller

    def _resolve(self, access_key_id: str, security_token: str | None) -> Principal:
        """The caller, with the STS flavour of the error codes."""
        if access_key_id.startswith("STS.") and not security_token:
            raise StsError("MissingSecurityToken", "SecurityToken is mandatory for this action.", 400)
        try:
            return self.ram.resolve(access_key_id, security_token)
        except AuthError as exc:
            error = exc
        if error.code == "InvalidAccessKeyId":
            raise StsError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        if error.code == "SecurityTokenExpired":
            raise StsError("InvalidSecurityToken.Expired", "Specified SecurityToken is expired.", 400)
        if security_token and self._token_key_mismatch(access_key_id, security_token):
            raise StsError("InvalidSecurityToken.MismatchWithAccessKey",
                           "Specified SecurityToken mismatch with the AccessKey.", 400)
        raise StsError("InvalidSecurityToken.Malformed", "Specified SecurityToken is malformed.", 400)

    def _token_key_mismatch(self, access_key_id: str, security_token: str) -> bool:
        try:
            other = self.ram.resolve_token_key_id(security_token)
        except AuthError:
            return False
        return other != access_key_id

    # -- actions --------------------------------------------------------------------------------

    def _dispatch(self, action: str, params: dict[str, str], caller: Principal, source_ip: str,
                  secure: bool) -> dict[str, Any]:
        if action == "GetCallerIdentity":
            return self._get_caller_identity(caller)
        return self._assume_role(params, caller, source_ip, secure)

    def _assume_role(self, params: dict[str, str], caller: Principal, source_ip: str,
                     secure: bool) -> dict[str, Any]:
        for name in ("RoleArn", "RoleSessionName"):
            if not params.get(name):
                raise StsError(f"Missing{name}", f"{name} is mandatory for this action.", 400)
        raw_duration = params.get("DurationSeconds") or str(DEFAULT_DURATION_S)
        try:
            duration = int(raw_duration)
        except ValueError:
            raise StsError("InvalidParameter.DurationSeconds",
                           f"The parameter DurationSeconds is not an integer: {raw_duration!r}.",
                           400) from None
        session_policy = None
        raw_policy = params.get("Policy")
        if raw_policy:
            if len(raw_policy) > MAX_SESSION_POLICY_CHARS:
                raise StsError("InvalidParameter.PolicyGrammar",
                               f"The parameter Policy is too long: {len(raw_policy)} characters, at most "
                               f"{MAX_SESSION_POLICY_CHARS}.", 400)
            try:
                session_policy = json.loads(raw_policy)
            except (ValueError, RecursionError):  # 2 KB of `[` nests past the parser's recursion limit
                raise StsError("InvalidParameter.PolicyGrammar",
                               "The parameter Policy has not passed grammar check: not JSON.", 400) from None
        creds = self.ram.issue_session(
            params["RoleArn"], params["RoleSessionName"], duration, session_policy, caller=caller,
            service=None, context={"acs:SourceIp": source_ip, "acs:SecureTransport": str(secure).lower()},
        )
        return {
            "AssumedRoleUser": {"Arn": creds.assumed_role_arn, "AssumedRoleId": creds.assumed_role_id},
            "Credentials": {
                "AccessKeyId": creds.access_key_id,
                "AccessKeySecret": creds.access_key_secret,
                "SecurityToken": creds.security_token,
                "Expiration": _format_time(creds.expiration),
            },
        }

    def _get_caller_identity(self, caller: Principal) -> dict[str, Any]:
        account = self.ram.account_id
        if caller.kind == "assumed-role":
            role_id = caller.principal_id.split(":", 1)[0]
            return {"AccountId": account, "Arn": caller.arn, "IdentityType": "AssumedRoleUser",
                    "PrincipalId": caller.principal_id, "UserId": caller.principal_id, "RoleId": role_id}
        return {"AccountId": account, "Arn": caller.arn, "IdentityType": "RAMUser",
                "PrincipalId": caller.principal_id, "UserId": caller.principal_id}

