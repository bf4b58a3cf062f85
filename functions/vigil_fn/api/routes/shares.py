"""Share links (issue 26): make, list and revoke links to your exports; what a link's visitor gets.

A visitor reaches exactly one export through a link: its video, its download and its manifest, and the
verification of that export against its manifest — nothing else (no session is created, no other route
accepts a link). Wrong link passwords are rate-limited like logins.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import oss2
from pydantic import Field

from ...core.evidence import (
    EvidenceError,
    check_signature,
    check_stored,
    key_id,
    parse_document,
    public_key_from_hex,
)
from ...core.http import ApiError, Response, request_language
from ...core.i18n import N_, Text
from ...export.jobs import ExportJob, JobError, JobStore
from ..app_support import audit, client_of
from ..models import CameraId, Ms, Query, Request
from ..models import Response as ResponseModel
from ..router import Call, Route, RouteTable
from ..shares import (
    DEFAULT_TTL_S,
    GRANT_TTL_S,
    MAX_TTL_S,
    MIN_TTL_S,
    Share,
    ShareStore,
    grant,
    grant_ok,
    not_found,
)
from ..users import hash_password, verify_password_hash
from .evidence import _KEY, public_key_doc
from .exports import manifest_url, mp4_url, require_cameras, settings


class ShareCreate(Request):
    ttl_s: Annotated[int, Field(ge=MIN_TTL_S, le=MAX_TTL_S)] = Field(
        default=DEFAULT_TTL_S, description=f"how long the link works, {MIN_TTL_S} s to 7 days (default 24 h)")
    password: Annotated[str, Field(min_length=8, max_length=128)] | None = Field(
        default=None, description="optional: the visitor must give it (8-128 characters)")


class ShareOut(ResponseModel):
    id: str
    export_id: str
    camera: str
    cameras: list[str] = Field(default_factory=list, description="a multi-camera export's cameras")
    created: Ms
    expires: Ms
    revoked: Ms | None
    state: Literal["active", "expired", "revoked"]
    password: bool = Field(description="whether the link asks for a password")
    opens: int
    downloads: int


class ShareCreated(ResponseModel):
    share: ShareOut
    path: str = Field(description="the link's path on this site, /s/<token>; the token is shown only now")
    url: str = Field(description="the whole link, for this site's host")


class ShareList(ResponseModel):
    shares: list[ShareOut]


class Unlock(Request):
    password: Annotated[str, Field(min_length=1, max_length=128)]


class GrantQuery(Query):
    grant: Annotated[str, Field(max_length=80)]
    camera: CameraId | None = Field(default=None,
                                    description="which file of a multi-camera export (default: the first)")


class SharedFile(ResponseModel):
    camera: str
    filename: str
    size: int | None
    sha256: str | None
    covered_start: Ms | None = None
    covered_end: Ms | None = None
    video_url: str = Field(description="presigned, inline (for the player); short-lived")
    download_url: str = Field(description="this link's download route for this file (counted), 10 minutes")


class Verification(ResponseModel):
    ok: bool
    key_id: str | None
    checks: list[str]
    problems: list[str]


class SharedExport(ResponseModel):
    camera: str
    start: Ms
    end: Ms
    covered_start: Ms | None
    covered_end: Ms | None
    duration: float | None
    size: int | None
    sha256: str | None
    filename: str
    link_expires: Ms
    video_url: str = Field(description="presigned, inline (for the player); short-lived")
    download_url: str = Field(description="this link's download route (counted), valid for 10 minutes")
    manifest_url: str | None
    public_key_url: str
    verification: Verification
    files: list[SharedFile] = Field(description="every MP4 of the export (a multi-camera export has one per "
                                                "camera; the fields above describe the first)")


def _store(call: Call) -> ShareStore:
    return ShareStore(call.svc.bucket)


def _owned_export(call: Call) -> ExportJob:
    try:
        job = JobStore(call.svc.bucket, settings()).require(call.user.name, call.params.get("id", ""))
    except JobError as exc:
        raise ApiError.of(exc, exc.status, exc.code) from None
    require_cameras(call, job.all_cameras)
    return job


def _out(call: Call, share: Share) -> ShareOut:
    opens, downloads = _store(call).counts(share.id)
    return ShareOut(**share.public(call.svc.now_ms(), opens, downloads))


def create(call: Call) -> ShareCreated:
    body = call.body_as(ShareCreate)
    job = _owned_export(call)
    if job.state != "done" or not job.outputs():
        raise ApiError(409, "conflict", "only a finished export can be shared")
    token, share = _store(call).create(owner=call.user.name, export_id=job.id, camera=job.camera,
                                       now_ms=call.svc.now_ms(), ttl_s=body.ttl_s,
                                       password_hash=hash_password(body.password) if body.password else None,
                                       cameras=job.cameras if job.multi else None)
    audit(call, "share_create", target=job.camera, detail=f"export {job.id} link {share.id} for {body.ttl_s} s")
    path = f"/s/{token}"
    host = call.event.headers.get("host", "")
    proto = call.event.headers.get("x-forwarded-proto", "http").split(",")[0].strip() or "http"
    return ShareCreated(share=_out(call, share), path=path, url=f"{proto}://{host}{path}" if host else path)


def list_shares(call: Call) -> ShareList:
    shares = [s for s in _store(call).of_owner(call.user.name)
              if all(call.user.may_see(c) for c in s.all_cameras)]
    return ShareList(shares=[_out(call, s) for s in shares])


def revoke(call: Call) -> None:
    store = _store(call)
    share = store.get(call.params.get("sid", ""))
    if share is None or (share.owner != call.user.name and not call.user.is_admin):
        raise not_found()
    store.revoke(share, call.svc.now_ms())
    audit(call, "share_revoke", target=share.camera, detail=f"link {share.id}")


# -- the visitor's side ----------------------------------------------------------------------------

def _live_share(call: Call) -> Share:
    share = _store(call).by_token(call.params.get("token", ""))
    state = share.state(call.svc.now_ms())
    if state == "revoked":
        raise ApiError(410, "link_revoked", "this link was revoked by the person who shared it")
    if state == "expired":
        raise ApiError(410, "link_expired", "this link has expired; ask for a new one")
    return share


def _shared_job(call: Call, share: Share) -> tuple[ExportJob, list[dict[str, Any]]]:
    """The shared export and its MP4s; 410 once it is gone (deleted, or expired by lifecycle)."""
    job = JobStore(call.svc.bucket, settings()).get(share.owner, share.export_id)
    files = job.outputs() if job is not None and job.state == "done" else []
    if job is None or not files:
        raise ApiError(410, "export_gone", "the shared export no longer exists")
    return job, files


def verify_stored(call: Call, job: ExportJob) -> Verification:
    """The export as OSS holds it against its signed manifest: the signature with the published key,
    then each MP4's size and CRC-64 (OSS computes it over the stored bytes) against its entry. Reading
    the files back would cost a GB per GB shared; the CRC-64 is OSS's own and free with a HEAD."""
    lang = request_language(call.event)   # checks and problems are read on the page: the reader's language
    if not job.manifest_key:
        return Verification(ok=False, key_id=None, checks=[],
                            problems=[Text(N_("this export has no signed manifest")).render(lang)])
    public_key_doc()   # 503 when the deployment publishes no key
    key = public_key_from_hex(_KEY[0])
    bucket = call.svc.bucket
    checks: list[Text] = []

    def answer(ok: bool, *problems: Text) -> Verification:
        return Verification(ok=ok, key_id=key_id(key), checks=[c.render(lang) for c in checks],
                            problems=[p.render(lang) for p in problems])

    try:
        doc = parse_document(bucket.get_object(job.manifest_key).read())
        check_signature(doc, key)
        checks.append(Text(N_("the manifest's Ed25519 signature is valid")))
        stored = []
        for f in job.outputs():
            head = bucket.head_object(f["key"])
            stored.append((f["filename"], int(head.content_length), head.headers.get("x-oss-hash-crc64ecma")))
        check_stored(doc, stored)
        checks.append(Text(N_("every stored file's size and CRC-64 match the manifest")) if len(stored) > 1
                      else Text(N_("the stored file's size and CRC-64 match the manifest")))
    except EvidenceError as exc:
        return answer(False, exc.text)
    except (oss2.exceptions.NoSuchKey, ValueError):
        return answer(False, Text(N_("the manifest or the file is missing from storage")))
    return answer(True)


def _view(call: Call, share: Share) -> SharedExport:
    job, files = _shared_job(call, share)
    svc = call.svc
    expires_s = int(svc.clock()) + GRANT_TTL_S
    token = call.params["token"]
    g = grant(svc.api.session_key, share.id, expires_s)
    shared = [SharedFile(camera=f["camera"], filename=f["filename"], size=f.get("size"), sha256=f.get("sha256"),
                         covered_start=f.get("covered_start"), covered_end=f.get("covered_end"),
                         video_url=svc.urls.sign(f["key"], content_type="video/mp4").url,
                         download_url=f"/api/v1/shared/{token}/download?grant={g}"
                                      + (f"&camera={f['camera']}" if job.multi else ""))
              for f in files]
    _store(call).count(share.id, "open", now_ms=svc.now_ms(), client=client_of(call))
    audit(call, "share_open", target=",".join(share.all_cameras), user="-", detail=f"link {share.id}")
    first = shared[0]
    return SharedExport(
        camera=job.camera, start=job.start, end=job.end, covered_start=job.covered_start,
        covered_end=job.covered_end, duration=job.duration, size=job.size, sha256=job.sha256,
        filename=first.filename, link_expires=share.expires, video_url=first.video_url,
        manifest_url=manifest_url(call, job), download_url=first.download_url,
        public_key_url="/api/v1/evidence/public-key", verification=verify_stored(call, job), files=shared)


def open_link(call: Call) -> SharedExport:
    share = _live_share(call)
    if share.password_hash is not None:
        raise ApiError(401, "password_required", "this link asks for a password")
    return _view(call, share)


def unlock(call: Call) -> SharedExport:
    share = _live_share(call)
    body = call.body_as(Unlock)
    if share.password_hash is not None:
        call.svc.check_login_rate(f"share:{share.id}", client_of(call))
        if not verify_password_hash(share.password_hash, body.password):
            audit(call, "share_password_failed", target=share.camera, user="-", ok=False, detail=f"link {share.id}")
            raise ApiError(403, "wrong_password", "wrong password for this link")
    return _view(call, share)


def download(call: Call) -> Response:
    share = _live_share(call)
    q = call.query_as(GrantQuery)
    if not grant_ok(call.svc.api.session_key, share.id, q.grant, call.svc.clock()):
        raise ApiError(403, "grant_expired", "this download link has expired; open the shared link again")
    _job, files = _shared_job(call, share)
    picked = files[0] if q.camera is None else next((f for f in files if f["camera"] == q.camera), None)
    if picked is None:
        raise ApiError(404, "not_found", "this link has no file of that camera")
    url, _expires = mp4_url(call, picked["key"], picked["filename"])
    _store(call).count(share.id, "download", now_ms=call.svc.now_ms(), client=client_of(call))
    audit(call, "share_download", target=picked["camera"], user="-", detail=f"link {share.id}")
    return {"statusCode": 302, "isBase64Encoded": False, "body": "",
            "headers": {"Location": url, "Cache-Control": "no-store"}}


def register(table: RouteTable) -> None:
    errors: tuple[int, ...] = (403, 404, 409)
    table.add(Route("POST", "/api/v1/exports/{id}/shares", create, "user",
                    "share a finished export by link (≤ 7 days, optional password); the link is shown once",
                    body=ShareCreate, response=ShareCreated, status=201, tag="shares", errors=errors))
    table.add(Route("GET", "/api/v1/shares", list_shares, "user", "your share links with open and download counts",
                    response=ShareList, tag="shares"))
    table.add(Route("DELETE", "/api/v1/shares/{sid}", revoke, "user", "revoke a link at once (owner or admin)",
                    status=204, tag="shares", errors=(404,)))
    table.add(Route("GET", "/api/v1/shared/{token}", open_link, "link",
                    "what a link shows: the export's video, download, manifest and verification",
                    response=SharedExport, tag="shares", errors=(401, 404, 410)))
    table.add(Route("POST", "/api/v1/shared/{token}", unlock, "link",
                    "open a password-protected link (wrong passwords are rate-limited like logins)",
                    body=Unlock, response=SharedExport, tag="shares", errors=(403, 404, 410, 429)))
    table.add(Route("GET", "/api/v1/shared/{token}/download", download, "link",
                    "download the shared MP4 (counted); redirects to a short-lived URL",
                    query=GrantQuery, status=302, tag="shares", errors=(403, 404, 410)))
