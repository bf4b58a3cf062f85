"""OSSService: the request pipeline — admin endpoint, CORS preflight, authentication,
authorization (RAM policy per action + ARN), the operation handler, CORS headers, errors.

It never raises: domain errors become OSS `<Error>` replies, anything unexpected a logged
500 InternalError with an XML body.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from typing import Any

from localcloud.common import logs
from localcloud.common.clock import Clock
from localcloud.oss import snapshot
from localcloud.oss.errors import OSSError
from localcloud.oss.protocol import (
    acl,
    actions,
    attr_ops,
    authn,
    bucket_ops,
    cors,
    multipart_ops,
    object_ops,
    policy_ops,
    public_access,
)
from localcloud.oss.protocol.context import Call
from localcloud.oss.protocol.request import Request
from localcloud.oss.protocol.responses import Response, error_response

log = logs.get("localcloud.oss")

ADMIN_CLOCK_PATH = "/_localcloud/clock"
ADMIN_HEADER = "x-localcloud-admin"
ACCESS_DENIED_POLICY = "Access denied by authorizer's policy."

Handler = Callable[[Call], Response]

HANDLERS: dict[str, Handler] = {
    "ListBuckets": bucket_ops.list_buckets,
    "PutBucket": bucket_ops.put_bucket,
    "DeleteBucket": bucket_ops.delete_bucket,
    "HeadBucket": bucket_ops.head_bucket,
    "GetBucketInfo": bucket_ops.bucket_info,
    "GetBucketLocation": bucket_ops.bucket_location,
    "ListObjects": bucket_ops.list_objects,
    "ListObjectsV2": bucket_ops.list_objects,
    "ListMultipartUploads": bucket_ops.list_uploads,
    "DeleteMultipleObjects": object_ops.delete_multiple,
    "PutObject": object_ops.put_object,
    "GetObject": object_ops.get_object,
    "HeadObject": object_ops.head_object,
    "GetObjectMeta": object_ops.get_object_meta,
    "AppendObject": object_ops.append_object,
    "CopyObject": object_ops.copy_object,
    "DeleteObject": object_ops.delete_object,
    "InitiateMultipartUpload": multipart_ops.initiate,
    "UploadPart": multipart_ops.upload_part,
    "CompleteMultipartUpload": multipart_ops.complete,
    "AbortMultipartUpload": multipart_ops.abort,
    "ListParts": multipart_ops.list_parts,
}
HANDLERS.update(attr_ops.HANDLERS)
HANDLERS.update(public_access.HANDLERS)
HANDLERS["GetObjectSnapshot"] = snapshot.get_snapshot
for _name, _kind in (("Lifecycle", "lifecycle"), ("Cors", "cors"), ("OverwriteConfig", "overwrite")):
    HANDLERS[f"PutBucket{_name}"] = bucket_ops.put_config(_kind)
    HANDLERS[f"GetBucket{_name}"] = bucket_ops.get_config(_kind)
    HANDLERS[f"DeleteBucket{_name}"] = bucket_ops.delete_config(_kind)
HANDLERS.update(PutBucketPolicy=policy_ops.put_policy, GetBucketPolicy=policy_ops.get_policy,
                DeleteBucketPolicy=policy_ops.delete_policy)


def access_denied(message: str = ACCESS_DENIED_POLICY) -> OSSError:
    return OSSError("AccessDenied", message, 403)


class OSSService:
    """The OSS HTTP API over a `Store`, authenticated by a `RamModel`, timed by a `Clock`."""

    def __init__(self, store: Any, ram: Any, clock: Clock, admin_token: str, region: str | None = None,
                 account_id: str | None = None) -> None:
        self.store = store
        self.ram = ram
        self.clock = clock
        self.admin_token = admin_token
        self.region: str = region or str(getattr(store, "region", "cn-hangzhou"))
        fallback = getattr(ram, "account_id", "") or getattr(store, "account_id", "")
        self.account_id: str = account_id or str(fallback)

    # -- entry point -----------------------------------------------------------------------------

    def handle(self, req: Request) -> Response:
        """Answer one request; never raises."""
        head = req.method == "HEAD"
        try:
            if req.target.split("?", 1)[0] == ADMIN_CLOCK_PATH:
                return self._admin_clock(req)
            response = self._dispatch(req)
        except OSSError as err:
            response = error_response(err, req.request_id, head=head)
        except Exception:  # noqa: BLE001 - the server must answer, never crash
            log.exception("unhandled error", extra={"request_id": req.request_id, "method": req.method,
                                                    "bucket": req.route.bucket, "key": req.route.key})
            internal = OSSError("InternalError", "We encountered an internal error. Please try again.", 500)
            response = error_response(internal, req.request_id, head=head)
        principal = req.extras.get("principal")
        if isinstance(principal, str):
            response.principal = principal
        if req.route.bucket and req.method != "OPTIONS" and req.header("origin"):
            self._add_cors(req, response)
        return response

    def _dispatch(self, req: Request) -> Response:
        operation = actions.identify(req.method, req.route, req.headers)
        if operation == "Preflight":
            return self._preflight(req)
        principal = authn.authenticate(req, self.ram, self.clock, self.region)
        if principal is None:  # anonymous: an ACL may grant it (acl.py)
            principal = acl.anonymous(operation, req.route, self.store)
        req.extras["principal"] = principal.arn
        if operation == actions.NOT_IMPLEMENTED:
            raise OSSError("NotImplemented", "localcloud does not implement this operation.", 501)
        context = actions.base_context(req.client_ip, self.clock.now(), req.secure)
        call = Call(req, principal, self.store, self.clock, self.region, self.account_id, context,
                    public_blocked=self.store.public_access_blocked(req.route.bucket))
        doc = policy_ops.stored_policy(self.store, req.route.bucket)
        for check in actions.checks(operation, req.route, req.headers, context):
            if not policy_ops.allows(call, check, doc):
                raise access_denied()
        return HANDLERS[operation](call)

    # -- CORS ------------------------------------------------------------------------------------

    def _cors_config(self, bucket: str) -> dict[str, Any] | None:
        try:
            doc = self.store.get_config(bucket, "cors")
        except OSSError:
            return None
        return doc if isinstance(doc, dict) else None

    def _preflight(self, req: Request) -> Response:
        if req.route.bucket is None:
            raise cors.not_allowed()
        origin = req.header("origin")
        method = req.header("access-control-request-method")
        if not origin or not method:
            raise OSSError(
                "InvalidArgument", "A preflight needs Origin and Access-Control-Request-Method.", 400
            )
        doc = self._cors_config(req.route.bucket)
        if doc is None:
            raise cors.not_enabled()
        wanted = cors.requested_headers(req.header("access-control-request-headers"))
        rule = cors.match(doc, origin, method, wanted)
        if rule is None:
            raise cors.not_allowed()
        return Response(200, cors.headers_for(rule, origin, True, wanted, bool(doc.get("response_vary"))))

    def _add_cors(self, req: Request, response: Response) -> None:
        assert req.route.bucket is not None
        try:
            doc = self._cors_config(req.route.bucket)
        except Exception:  # noqa: BLE001 - CORS headers are best effort on an answer already made
            return
        origin = req.header("origin")
        rule = cors.match(doc, origin, req.method, [])
        if rule is not None:
            vary = bool(doc and doc.get("response_vary"))
            response.headers.update(cors.headers_for(rule, origin, False, [], vary))

    # -- admin -----------------------------------------------------------------------------------

    def _admin_clock(self, req: Request) -> Response:
        token = req.header(ADMIN_HEADER)
        if not token or not hmac.compare_digest(token.encode(), self.admin_token.encode()):
            return _json(403, {"error": {"code": "AccessDenied", "message": "admin token required"}})
        if req.method == "GET":
            return _json(200, {"offset": self.clock.offset, "now": self.clock.now()})
        if req.method != "PUT":
            return _json(405, {"error": {"code": "MethodNotAllowed", "message": "use PUT or GET"}})
        try:
            doc = json.loads(req.read_small(4096) or b"{}")
            if not isinstance(doc, dict):
                raise ValueError("not an object")
            if "advance" in doc:
                self.clock.advance(float(doc["advance"]))
            elif "offset" in doc:
                self.clock.set_offset(float(doc["offset"]))
            else:
                raise ValueError("need advance or offset")
        except (ValueError, TypeError, RecursionError) as exc:
            message = f'body must be {{"advance": s}} or {{"offset": s}}: {exc}'
            return _json(400, {"error": {"code": "InvalidArgument", "message": message}})
        log.info("clock moved", extra={"request_id": req.request_id, "offset": self.clock.offset})
        return _json(200, {"offset": self.clock.offset, "now": self.clock.now()})


def _json(status: int, doc: dict[str, Any]) -> Response:
    return Response(status, {"Content-Type": "application/json"}, json.dumps(doc).encode())
