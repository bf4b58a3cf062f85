"""One signed Alibaba Cloud RPC call (STS AssumeRole) over a keep-alive connection, without aliyunsdkcore.

Why: through `aliyun-python-sdk-core` an AssumeRole costs the token function about 3.3 ms of CPU —
more than a third of a token (issue 30, measured per stage): the SDK percent-encodes the ~1 KB
session policy character by character three times (string to sign, URL, then its vendored
requests re-quotes the URL), and prepares every request through requests' sessions. This module
sends the same request the SDK sends, encoded once, over `transport.KeepAlive`:

- `POST https://<host>/?<params>` with an empty body, every parameter in the query string, as the
  SDK's `RpcRequest` does; the common parameters are the SDK's (`Format`, `Version`, `Action`,
  `RegionId`, `AccessKeyId`, `SignatureMethod=HMAC-SHA1`, `SignatureType` (empty), `SignatureVersion=1.0`,
  `SignatureNonce`, `Timestamp`, and `SecurityToken` for temporary credentials).
- The signature is the RPC one: base64 HMAC-SHA1, keyed `secret + "&"`, over
  `POST&%2F&` + percent-encode(the sorted `k=v` pairs joined by `&`), every key and value
  percent-encoded RFC 3986 style (only `A-Za-z0-9-_.~` kept, space as `%20`).
- An error answer (`{"Code", "Message", ...}` with a 4xx/5xx status) becomes `RpcError` with STS's
  code, as the SDK's `ServerException`; a connection that fails becomes code `SDK.HttpError`, as
  the SDK's `ClientException` (callers tell "STS unreachable" from "STS refused" by it).

`tests/unit/token/test_rpc_sign.py` checks the signature against the SDK's own composer, and
localcloud's STS (`infra/localcloud/sts/rpc.py`) verifies every call the way STS does.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from .transport import KeepAlive

HTTP_ERROR = "SDK.HttpError"      # the SDK's code for "could not talk to the endpoint"
_TIMESTAMP = "%Y-%m-%dT%H:%M:%SZ"


class RpcError(Exception):
    """The call failed: `code` is the service's error code (or `SDK.HttpError`), `status` its HTTP
    status (None when no answer came). `message` may hold the URL the call went to: callers cut it."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


_UNRESERVED = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
_ENCODED = [chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256)]


def percent_encode(value: str) -> str:
    """RFC 3986: UTF-8, only unreserved characters kept (what the SDK's encoding comes to). A table
    lookup per byte in C (`map`), not `urllib.parse.quote`'s Python loop: the policy is encoded twice
    per call, once as a value and once inside the string to sign."""
    return "".join(map(_ENCODED.__getitem__, value.encode()))


def canonical_query(params: Mapping[str, str]) -> str:
    """The sorted `k=v` pairs, each side percent-encoded, joined by `&`."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))


def string_to_sign(method: str, canonical: str) -> str:
    return f"{method}&%2F&{percent_encode(canonical)}"


def signature(text: str, secret: str) -> str:
    """base64 HMAC-SHA1 keyed `secret&`."""
    digest = hmac.new((secret + "&").encode(), text.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


class RpcCaller:
    """Signs and sends RPC calls for one identity to one endpoint (`scheme`, `host[:port]`)."""

    def __init__(self, access_key_id: str, access_key_secret: str, security_token: str | None, *,
                 region: str, host: str, scheme: str, timeout: float, connect_timeout: float,
                 clock: Callable[[], float] = time.time) -> None:
        self._key_id = access_key_id
        self._secret = access_key_secret
        self._token = security_token
        self._region = region
        self._clock = clock
        self._connections = KeepAlive(f"{scheme}://{host}", timeout=timeout, connect_timeout=connect_timeout)

    def signed_query(self, action: str, version: str, params: Mapping[str, str]) -> tuple[str, str]:
        """(the query string to send, the string that was signed) for one call."""
        query = {"Format": "JSON", "Version": version, "Action": action, "RegionId": self._region, **params,
                 "Timestamp": time.strftime(_TIMESTAMP, time.gmtime(self._clock())),
                 "SignatureMethod": "HMAC-SHA1", "SignatureType": "", "SignatureVersion": "1.0",
                 "SignatureNonce": str(uuid.uuid4()), "AccessKeyId": self._key_id}
        if self._token:
            query["SecurityToken"] = self._token
        canonical = canonical_query(query)
        text = string_to_sign("POST", canonical)
        return f"{canonical}&Signature={percent_encode(signature(text, self._secret))}", text

    def call(self, action: str, version: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The JSON answer of a successful call; `RpcError` otherwise."""
        query, text = self.signed_query(action, version, params)
        try:
            status, _, body = self._connections.request("POST", "/?" + query, body=b"",
                                                     headers={"Accept": "application/json", "User-Agent": "vigil-fn"})
        except (OSError, http.client.HTTPException) as exc:
            raise RpcError(HTTP_ERROR, str(exc) or type(exc).__name__) from None
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        if not 200 <= status < 300:
            raise _server_error(status, doc, text)
        if not isinstance(doc, dict):
            raise RpcError("MalformedResponse", "the answer is not a JSON object", status)
        return doc


def _server_error(status: int, doc: Any, text: str) -> RpcError:
    """The service's `Code` and `Message`, as the SDK reads them; a `SignatureDoesNotMatch` whose
    server-side string to sign is ours means the secret is wrong (the SDK's `InvalidAccessKeySecret`)."""
    if not isinstance(doc, dict):
        return RpcError("SDK.UnknownServerError", f"HTTP {status} without a JSON error", status)
    code = str(doc.get("Code") or "SDK.UnknownServerError")
    message = str(doc.get("Message") or "")
    if status == 400 and code == "SignatureDoesNotMatch" and message.split(":", 1)[1:] == [text]:
        return RpcError("InvalidAccessKeySecret", "The AccessKeySecret is incorrect. Please check your "
                        "AccessKeyId and AccessKeySecret.", status)
    return RpcError(code, message, status)
