"""Upload callbacks (`x-oss-callback` on PutObject, CompleteMultipartUpload): after the write, OSS
POSTs to the application's server and relays its answer.

As OSS documents it: `x-oss-callback` is base64 JSON `{"callbackUrl", "callbackBody",
"callbackHost"?, "callbackBodyType"?}`, `x-oss-callback-var` base64 JSON of `x:` variables. The body
template's `${bucket}`, `${object}`, `${etag}`, `${size}`, `${mimeType}` and `${x:name}` are filled
in. A 200 from the server → 200 with the server's body; no answer, or another status → 203
`CallbackFailed` (the object is stored either way). A callback header that does not parse → 400
InvalidArgument before anything is written.
Where localcloud simplifies: one URL (OSS tries up to five, `;`-separated), no
`authorization` header signed with OSS's callback key, http only, a 5 s timeout.
"""

from __future__ import annotations

import base64
import binascii
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from localcloud.common import logs
from localcloud.oss.errors import InvalidArgument, OSSError
from localcloud.oss.model.types import ObjectInfo
from localcloud.oss.protocol.request import Request
from localcloud.oss.protocol.responses import Response, error_response

TIMEOUT_SECONDS = 5.0
MAX_REPLY = 1024 * 1024
log = logs.get("localcloud.oss")


@dataclass(frozen=True)
class Callback:
    url: str
    body: str
    body_type: str
    host: str | None
    variables: dict[str, str]


def _decode(raw: str, header: str) -> dict[str, object]:
    try:
        doc = json.loads(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"{header} must be base64-encoded JSON.", header, raw[:64]) from exc
    if not isinstance(doc, dict):
        raise InvalidArgument(f"{header} must be a JSON object.", header, raw[:64])
    return doc


def parse(req: Request) -> Callback | None:
    """The request's callback, checked (400 before the write), or None without one."""
    raw = req.header("x-oss-callback")
    if not raw:
        return None
    doc = _decode(raw, "x-oss-callback")
    url, body = doc.get("callbackUrl"), doc.get("callbackBody")
    if not isinstance(url, str) or urlsplit(url.split(";")[0]).scheme != "http" or not isinstance(body, str):
        raise InvalidArgument("x-oss-callback needs an http callbackUrl and a callbackBody.", "callbackUrl",
                              str(url)[:200])
    variables: dict[str, str] = {}
    raw_vars = req.header("x-oss-callback-var")
    if raw_vars:
        variables = {str(k): str(v) for k, v in _decode(raw_vars, "x-oss-callback-var").items()
                     if str(k).startswith("x:")}
    body_type = str(doc.get("callbackBodyType") or "application/x-www-form-urlencoded")
    host = doc.get("callbackHost")
    return Callback(url.split(";")[0], body, body_type, str(host) if host else None, variables)


def _fill(cb: Callback, bucket: str, info: ObjectInfo) -> bytes:
    form = cb.body_type.startswith("application/x-www-form-urlencoded")
    values = {"bucket": bucket, "object": info.key, "etag": info.etag, "size": str(info.size),
              "mimeType": info.headers.content_type or ""}
    values.update(cb.variables)
    text = cb.body
    for name, value in values.items():
        text = text.replace("${" + name + "}", quote(value, safe="") if form and name == "object" else value)
    return text.encode("utf-8")


def run(cb: Callback, bucket: str, info: ObjectInfo, request_id: str) -> Response:
    """POST the filled body; the answer the client gets (200 relayed, or 203 CallbackFailed)."""
    headers = {"Content-Type": cb.body_type, **({"Host": cb.host} if cb.host else {})}
    req = urllib.request.Request(cb.url, data=_fill(cb, bucket, info), method="POST",  # noqa: S310 - http, parse()
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310 - http only, checked
            reply = resp.read(MAX_REPLY)
            ctype = resp.headers.get("Content-Type", "application/json")
            if resp.status == 200:
                return Response(200, {"Content-Type": ctype, "ETag": f'"{info.etag}"'}, reply)
            problem = f"Error status : {resp.status}."
    except urllib.error.HTTPError as exc:
        problem = f"Error status : {exc.code}."
    except (OSError, ValueError) as exc:
        problem = f"Error status : -1. {type(exc).__name__}: {exc}"[:300]
    log.info("upload callback failed", extra={"request_id": request_id, "url": cb.url, "problem": problem})
    failed = error_response(OSSError("CallbackFailed", f"The callback failed. {problem}", 203), request_id)
    failed.headers["ETag"] = f'"{info.etag}"'
    return failed
