"""Simulated viewers for the chaos scenario: real HTTP clients of the viewer API, each behind its own fault proxy.

A `Viewer` logs in once and then does what the page does, in a loop, until the scenario ends: the camera list,
a day's timeline, a playback plan, its VOD playlist (parsed as RFC 8216) and every presigned segment in it; it
starts exports when the runner says so and follows them (retrying a failed one once). A `LiveWatcher` presses Live
on one camera and keeps polling its live playlist the way hls.js does, fetching the newest segment each time.

Everything a viewer saw is recorded — each API answer (status, error shape, latency, the fault the proxy injected
into it), each segment GET (status, ETag, CRC-64 of the bytes received), each live playlist — so the runner can
prove afterwards that every failure is explained by a fault in the schedule (`check_viewers`).
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

import requests
from chaos_proxy import CameraProxy
from oss2.utils import Crc64

# The documented error codes of our APIs and the status each one goes with (docs/api.md, docs/live-export.md).
CODE_STATUS = {
    "bad_request": 400, "invalid_camera": 400, "invalid_key": 400, "invalid_range": 400, "invalid_request": 400,
    "invalid_user": 400, "range_too_long": 400, "unauthenticated": 401, "invalid_credentials": 401,
    "csrf_required": 403, "forbidden": 403, "not_found": 404, "no_recordings": 404, "method_not_allowed": 405,
    "conflict": 409, "payload_too_large": 413, "range_too_large": 413, "unsupported_media_type": 415,
    "rate_limited": 429, "too_many_exports": 429, "internal_error": 500, "misconfigured": 500,
    "live_not_ready": 503, "unavailable": 503, "service_unavailable": 503,
}
# FC's own gateway answers when the function instance died or overran (the function never answered).
FC_GATEWAY = {502: ("FunctionUnhandledError", "InvalidFunctionResponse"), 504: ("FunctionTimeout",)}
TIMEOUT = (5.0, 30.0)          # connect, read: a stalled link fails the request, it never hangs the viewer
LIVE_SEGMENT_S = 1.0


@dataclass
class ApiCall:
    """One API request as the viewer experienced it."""

    t: float                   # scenario clock when it was sent
    ms: float                  # how long until the answer (or the failure)
    route: str
    method: str
    status: int | None         # None: no answer (connection fault, timeout)
    code: str | None = None    # error.code, or FC's ErrorCode for a gateway answer
    shape: str = "ok"          # ok | vigil_error | fc_gateway | bad: <why>
    tag: str = ""
    error: str | None = None   # the client-side exception, if there was no answer


@dataclass
class SegmentGet:
    """One presigned segment GET (a VOD clip or a live segment)."""

    t: float
    kind: str                  # vod | live
    key: str
    status: int | None
    tag: str
    ms: float = 0.0
    etag: str | None = None
    crc_received: str | None = None   # CRC-64 of the bytes received
    crc_header: str | None = None     # x-oss-hash-crc64ecma of the answer
    size: int = 0
    length_header: int | None = None
    reason: str | None = None         # the OSS error code / client exception of a failure


@dataclass
class LiveSample:
    t: float
    status: int | None
    media_sequence: int | None = None
    last_sequence: int | None = None
    segments: int = 0


@dataclass
class ParsedPlaylist:
    segments: list[tuple[float, str]]
    media_sequence: int
    target_duration: int
    problems: list[str]


def parse_playlist(text: str, *, live: bool) -> ParsedPlaylist:
    """Parse a media playlist and list every way it breaks RFC 8216 (sections 4.3.1-4.3.3) and the API's own rules
    (absolute segment URIs; VOD: PLAYLIST-TYPE:VOD and ENDLIST; live: no ENDLIST)."""
    problems: list[str] = []
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
    if not lines or lines[0] != "#EXTM3U":
        problems.append("does not start with #EXTM3U")
    counts: Counter[str] = Counter()
    target = -1
    media_seq = 0
    seg_duration: float | None = None
    segments: list[tuple[float, str]] = []
    endlist = False
    playlist_type = None
    for ln in lines[1:]:
        if ln.startswith("#"):
            name, _, value = ln.partition(":")
            counts[name] += 1
            if name == "#EXT-X-TARGETDURATION":
                target = int(value) if value.isdigit() else -2
            elif name == "#EXT-X-MEDIA-SEQUENCE":
                if segments or seg_duration is not None:
                    problems.append("EXT-X-MEDIA-SEQUENCE after the first segment")
                media_seq = int(value) if value.isdigit() else -1
            elif name == "#EXT-X-DISCONTINUITY-SEQUENCE" and (segments or seg_duration is not None):
                problems.append("EXT-X-DISCONTINUITY-SEQUENCE after the first segment")
            elif name == "#EXT-X-PLAYLIST-TYPE":
                playlist_type = value
            elif name == "#EXT-X-ENDLIST":
                endlist = True
            elif name == "#EXTINF":
                if seg_duration is not None:
                    problems.append("two EXTINF without a URI between them")
                try:
                    seg_duration = float(value.split(",", 1)[0])
                except ValueError:
                    problems.append(f"EXTINF duration not a number: {value[:40]!r}")
                    seg_duration = 0.0
                if seg_duration < 0:
                    problems.append("negative EXTINF duration")
            elif name == "#EXT-X-PROGRAM-DATE-TIME":
                try:
                    datetime.fromisoformat(value.replace("Z", "+00:00"))
                except ValueError:
                    problems.append(f"EXT-X-PROGRAM-DATE-TIME not ISO-8601: {value[:40]!r}")
            continue
        if seg_duration is None:
            problems.append(f"URI without EXTINF: {ln[:60]!r}")
            continue
        if not ln.startswith(("http://", "https://")):
            problems.append(f"segment URI not absolute: {ln[:60]!r}")
        segments.append((seg_duration, ln))
        seg_duration = None
    if seg_duration is not None:
        problems.append("EXTINF at the end without a URI")
    for tag in ("#EXT-X-TARGETDURATION", "#EXT-X-VERSION", "#EXT-X-MEDIA-SEQUENCE", "#EXT-X-PLAYLIST-TYPE",
                "#EXT-X-ENDLIST", "#EXT-X-DISCONTINUITY-SEQUENCE"):
        if counts[tag] > 1:
            problems.append(f"{tag} appears {counts[tag]} times")
    if target < 0:
        problems.append("EXT-X-TARGETDURATION missing or not a decimal integer")
    too_long = [d for d, _ in segments if round(d) > target]
    if target >= 0 and too_long:
        problems.append(f"EXTINF {max(too_long)} rounds above EXT-X-TARGETDURATION {target}")
    if not segments:
        problems.append("no segments")
    if live and endlist:
        problems.append("a live playlist with EXT-X-ENDLIST")
    if live and playlist_type == "VOD":
        problems.append("a live playlist of type VOD")
    if not live and (playlist_type != "VOD" or not endlist):
        problems.append("a VOD playlist without PLAYLIST-TYPE:VOD and ENDLIST")
    return ParsedPlaylist(segments, media_seq, target, problems)


def classify_answer(resp: requests.Response) -> tuple[str, str | None]:
    """(shape, code) of an API answer: `ok`, `vigil_error` ({"error": {"code","message"}} with the code's status),
    `fc_gateway` (FC's own 502/504 when the instance died), or `bad: <why>`."""
    body = resp.content
    if b"Traceback (most recent call last)" in body:
        return "bad: a traceback in the body", None
    ctype = resp.headers.get("Content-Type", "")
    if resp.status_code < 400:
        if "json" in ctype:
            try:
                json.loads(body or b"null")
            except ValueError:
                return "bad: a 2xx JSON answer that does not parse", None
        return "ok", None
    try:
        doc = json.loads(body)
    except ValueError:
        return f"bad: a {resp.status_code} that is not JSON ({ctype or 'no content type'})", None
    if isinstance(doc, dict) and isinstance(doc.get("ErrorCode"), str):
        code = doc["ErrorCode"]
        if code in FC_GATEWAY.get(resp.status_code, ()):
            return "fc_gateway", code
        return f"bad: FC error {code} with status {resp.status_code}", code
    err = doc.get("error") if isinstance(doc, dict) else None
    if not (isinstance(err, dict) and isinstance(err.get("code"), str) and isinstance(err.get("message"), str)
            and err["message"]):
        return f"bad: a {resp.status_code} without {{error: {{code, message}}}}", None
    code = err["code"]
    if code not in CODE_STATUS:
        return f"bad: undocumented error code {code!r}", code
    if CODE_STATUS[code] != resp.status_code:
        return f"bad: {code} with status {resp.status_code} (documented {CODE_STATUS[code]})", code
    return "vigil_error", code


def object_key(url: str, bucket: str) -> str:
    """The object key of a presigned URL (path-style on an IP endpoint, virtual-host otherwise)."""
    path = unquote(urlsplit(url).path).lstrip("/")
    return path[len(bucket) + 1:] if path.startswith(bucket + "/") else path


def oss_error_code(body: bytes) -> str:
    """`Code: Message` of an OSS XML error (the message tells an expired URL from a refused one)."""
    text = body[:2000].decode("utf-8", "replace")

    def element(name: str) -> str:
        start, end = text.find(f"<{name}>"), text.find(f"</{name}>")
        return text[start + len(name) + 2:end] if 0 <= start < end else ""

    return f"{element('Code') or 'no OSS error code'}: {element('Message')}"


class ViewerBase(threading.Thread):
    """A logged-in browser-like client whose every request crosses its own fault proxy and is recorded."""

    def __init__(self, name: str, base: str, bucket: str, account: tuple[str, str], proxy: CameraProxy,
                 clock: Callable[[], float], seed: str) -> None:
        super().__init__(name=name, daemon=True)
        self.base, self.bucket_name, self.account, self.proxy, self.clock = base, bucket, account, proxy, clock
        self.rng = random.Random(seed)
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.proxies = {"http": proxy.url}
        self.csrf = ""
        self.calls: list[ApiCall] = []
        self.gets: list[SegmentGet] = []
        self.playlists: list[tuple[float, str, list[str]]] = []   # (t, route, RFC 8216 problems)
        self.logins = 0
        self.stop_event = threading.Event()
        self.inflight: tuple[float, str] | None = None          # (sent at, tag) of the api call on the wire
        self._n = 0
        self._lock = threading.Lock()

    def _tag(self) -> str:
        with self._lock:
            self._n += 1
            return f"{self.name}-{self._n}"

    def api(self, method: str, path: str, route: str, **kw: Any) -> requests.Response | None:
        tag = self._tag()
        headers = {"X-Chaos-Req": tag, **kw.pop("headers", {})}
        if method != "GET" and self.csrf:
            headers["X-Vigil-CSRF"] = self.csrf
        t = self.clock()
        self.inflight = (t, tag)
        try:
            resp = self.http.request(method, self.base + path, headers=headers, timeout=TIMEOUT, **kw)
        except requests.RequestException as exc:
            self.calls.append(ApiCall(t, (self.clock() - t) * 1000, route, method, None, tag=tag,
                                      error=type(exc).__name__))
            return None
        finally:
            self.inflight = None
        shape, code = classify_answer(resp)
        self.calls.append(ApiCall(t, (self.clock() - t) * 1000, route, method, resp.status_code, code, shape, tag))
        return resp

    def login(self) -> bool:
        self.logins += 1
        resp = self.api("POST", "/api/v1/login", "login", json={"username": self.account[0],
                                                                 "password": self.account[1]})
        if resp is not None and resp.status_code == 200:
            self.csrf = resp.json()["csrf_token"]
            return True
        return False

    def ensure_login(self) -> None:
        """Log in, retrying while the link or the stack is down (only ever at the start: the session is kept)."""
        while not self.stop_event.is_set() and not self.login():
            self.stop_event.wait(0.5)

    def segment(self, url: str, kind: str) -> SegmentGet:
        tag = self._tag()
        t = self.clock()
        got = SegmentGet(t, kind, object_key(url, self.bucket_name), None, tag)
        try:
            resp = self.http.get(url, headers={"X-Chaos-Req": tag}, timeout=TIMEOUT)
        except requests.RequestException as exc:
            got.reason, got.ms = type(exc).__name__, (self.clock() - t) * 1000
            self.gets.append(got)
            return got
        got.status, got.ms = resp.status_code, (self.clock() - t) * 1000
        if resp.status_code == 200:
            crc = Crc64(0)
            crc.update(resp.content)
            got.crc_received, got.size = str(crc.crc), len(resp.content)
            got.etag, got.crc_header = resp.headers.get("ETag"), resp.headers.get("x-oss-hash-crc64ecma")
            length = resp.headers.get("Content-Length")
            got.length_header = int(length) if length and length.isdigit() else None
        else:
            got.reason = oss_error_code(resp.content)
        self.gets.append(got)
        return got

    def playlist(self, path: str, route: str, live: bool) -> tuple[requests.Response | None, ParsedPlaylist | None]:
        resp = self.api("GET", path, route)
        if resp is None or resp.status_code != 200:
            return resp, None
        parsed = parse_playlist(resp.text, live=live)
        if "mpegurl" not in resp.headers.get("Content-Type", ""):
            parsed.problems.append(f"content type {resp.headers.get('Content-Type')!r}")
        self.playlists.append((self.clock(), route, parsed.problems))
        return resp, parsed

    def stop(self) -> None:
        self.stop_event.set()


class Viewer(ViewerBase):
    """Browses recordings: cameras, a day's timeline, playback plan, VOD playlist and its segments; exports."""

    def __init__(self, *args: Any, cameras: list[str], pace_s: float = 1.0, window_s: float = 40.0,
                 **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.cameras, self.pace_s, self.window_s = cameras, pace_s, window_s
        self.exports: dict[str, dict[str, Any]] = {}      # export id -> the last answer about it
        self.export_requests: list[tuple[float, str, int | None]] = []   # (t, camera, status of POST /exports)
        self.retried: set[str] = set()
        self._export_queue: list[tuple[str, int, int]] = []
        self.iterations = 0

    def request_export(self, camera: str, start_ms: int, end_ms: int) -> None:
        with self._lock:
            self._export_queue.append((camera, start_ms, end_ms))

    def run(self) -> None:
        self.ensure_login()
        while not self.stop_event.is_set():
            self.iterations += 1
            self.browse_once()
            self._start_exports()
            self.follow_exports()
            self.stop_event.wait(self.pace_s)

    def browse_once(self) -> None:
        self.api("GET", "/api/v1/cameras", "cameras")
        camera = self.rng.choice(self.cameras)
        day = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
        start = int(day.timestamp() * 1000)
        self.api("GET", f"/api/v1/cameras/{camera}/timeline?start={start}&end={start + 86_400_000}", "timeline")
        now = int(time.time() * 1000)
        resp = self.api("GET", f"/api/v1/cameras/{camera}/playback?start={now - int(self.window_s * 1000)}"
                               f"&end={now}", "playback")
        if resp is None or resp.status_code != 200:
            return
        refs = resp.json().get("playlists") or []
        if not refs:
            return
        _, parsed = self.playlist(refs[-1]["url"], "playlist", live=False)
        for _, url in (parsed.segments if parsed else []):
            if self.stop_event.is_set():
                return
            self.segment(url, "vod")

    def _start_exports(self) -> None:
        with self._lock:
            queue, self._export_queue = self._export_queue, []
        for camera, start, end in queue:
            for _ in range(3):  # no answer or a 503: the user presses Export again (a lost answer made a job anyway)
                resp = self.api("POST", "/api/v1/exports", "export_create", json={"camera": camera, "start": start,
                                                                                  "end": end})
                self.export_requests.append((self.clock(), camera, resp.status_code if resp is not None else None))
                if resp is not None and resp.status_code in (200, 201, 202):
                    doc = resp.json()["export"]
                    self.exports[doc["id"]] = doc
                if resp is not None and resp.status_code < 500:
                    break
                self.stop_event.wait(1.0)

    def follow_exports(self) -> None:
        """Poll every unfinished export (the list too: a POST whose answer was lost still made one); retry a failed
        export once, as a user would."""
        resp = self.api("GET", "/api/v1/exports", "export_list")
        if resp is not None and resp.status_code == 200:
            for doc in resp.json().get("exports", []):
                self.exports.setdefault(doc["id"], doc)
        for eid, doc in list(self.exports.items()):
            if doc.get("state") == "done" and doc.get("url"):
                continue
            resp = self.api("GET", f"/api/v1/exports/{eid}", "export_get")
            if resp is None or resp.status_code != 200:
                continue
            doc = resp.json()
            self.exports[eid] = doc
            if doc["state"] == "failed" and eid not in self.retried:
                self.retried.add(eid)
                self.api("POST", f"/api/v1/exports/{eid}/retry", "export_retry")
                # asked again before it counts as settled, whatever the retry's answer (a lost one may still
                # have started it): kept as "failed", the answer before the retry, it read as settled at once
                # and the proof found the retry's finished MP4 beside a failed job (a CI run of 503e4c2)
                self.exports[eid] = dict(doc, state="retrying")

    def exports_settled(self) -> bool:
        return all(d.get("state") in ("done", "failed") for d in self.exports.values()) and not self._export_queue


class LiveWatcher(ViewerBase):
    """Presses Live on one camera and polls its live playlist about once a segment, like hls.js."""

    def __init__(self, *args: Any, camera: str, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.camera = camera
        self.samples: list[LiveSample] = []
        self.fetched: set[int] = set()

    def run(self) -> None:
        self.ensure_login()
        started = False
        while not self.stop_event.is_set():
            if not started:
                resp = self.api("POST", f"/api/v1/cameras/{self.camera}/live", "live_start")
                started = resp is not None and resp.status_code == 200
            self.poll_once()
            self.stop_event.wait(LIVE_SEGMENT_S)

    def poll_once(self) -> None:
        t = self.clock()
        resp, parsed = self.playlist(f"/api/v1/cameras/{self.camera}/live.m3u8", "live_playlist", live=True)
        if parsed is None:
            self.samples.append(LiveSample(t, resp.status_code if resp is not None else None))
            return
        last = parsed.media_sequence + len(parsed.segments) - 1
        self.samples.append(LiveSample(t, 200, parsed.media_sequence, last, len(parsed.segments)))
        if parsed.segments and last not in self.fetched:
            self.fetched.add(last)
            self.segment(parsed.segments[-1][1], "live")


# -- what the viewers saw, checked -------------------------------------------------------------------------

@dataclass
class Explainer:
    """Knows the scenario's fault windows; says whether a viewer-side failure at time t is explained by one."""

    windows: list[tuple[float, float, str, str]]          # (start, end, kind, target) as the runner keeps them
    offsets: list[tuple[float, float]]                     # (t, stack clock offset from then on)
    grace_s: float = 6.0
    faults_by_tag: dict[str, str] = field(default_factory=dict)   # request tag -> fault the proxy injected

    def offset_at(self, t: float) -> float:
        value = 0.0
        for at, off in self.offsets:
            if at <= t:
                value = off
        return value

    def ahead_during(self, t: float, ms: float) -> bool:
        """Whether the stack's clock was ahead at any instant of a request sent at t and lasting ms. A jump is
        recorded just before the stack is told, so a request sent a moment before it can still be served after."""
        end = t + ms / 1000
        return self.offset_at(t) > 0 or any(t < at <= end and off > 0 for at, off in self.offsets)

    def active(self, t: float, kinds: tuple[str, ...], target: str = "", ms: float = 0.0) -> str | None:
        """The first window of `kinds` that overlaps a request sent at t and lasting ms (a request already on the
        wire when the stack is killed dies with it)."""
        for start, end, kind, tgt in self.windows:
            if kind in kinds and start <= t + ms / 1000 and t <= end + self.grace_s and tgt in ("", target):
                return kind
        return None


STACK_DOWN = ("kill_stack",)
API_DOWN = ("kill_stack", "kill_api")


def _no_answer(tag: str, t: float, ms: float, down: tuple[str, ...], ex: Explainer, viewer: str) -> str | None:
    """A request without an answer: the fault the proxy injected into it, else a window where its server was down
    (or its link was bad: a client timeout mid-stall leaves the proxy nothing to record)."""
    fault = ex.faults_by_tag.get(tag)
    if fault and fault != "upstream_down":
        return f"link:{fault}"
    return ex.active(t, down + ("viewer_link",), viewer, ms)


def explain_call(c: ApiCall, ex: Explainer, viewer: str) -> str | None:
    """Why an API call failed (None: unexplained). Only failures are asked about."""
    if c.status is None:
        return _no_answer(c.tag, c.t, c.ms, API_DOWN, ex, viewer)
    if c.shape == "fc_gateway":
        return ex.active(c.t, ("kill_api", "kill_stack"), ms=c.ms)
    if c.code in ("unavailable", "service_unavailable"):
        # storage down, or STS down: the api signs presigned URLs with a session of the viewer role it assumes
        return ex.active(c.t, STACK_DOWN + ("sts_down",), ms=c.ms)
    return None


def explain_get(g: SegmentGet, ex: Explainer, viewer: str) -> str | None:
    if g.status is None:
        return _no_answer(g.tag, g.t, g.ms, STACK_DOWN, ex, viewer)
    if g.status == 403 and "expired" in (g.reason or "") and ex.ahead_during(g.t, g.ms):
        return "clock_jump"   # the stack's clock is ahead of the api's: its presigned URLs are already expired
    if g.status >= 500:
        return ex.active(g.t, STACK_DOWN, ms=g.ms)
    return None


def percentiles(values: list[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    s = sorted(values)

    def pct(p: float) -> float:
        return round(s[min(len(s) - 1, max(0, math.ceil(p * len(s)) - 1))], 1)

    return {"n": len(s), "p50_ms": pct(0.5), "p95_ms": pct(0.95)}


# -- the proof, after the scenario settled --------------------------------------------------------------------

ALLOWED_4XX = {"no_recordings", "too_many_exports", "live_not_ready"}   # answers a correct client may meet
LIVE_RESUME_SEGMENTS = 45     # after re-enable, the live playlist must advance within this many segment times


def _etag(value: str | None) -> str:
    return (value or "").strip('"').upper()


def check_calls(v: ViewerBase, ex: Explainer, on: Callable[[float], bool]) -> tuple[dict[str, Any], list[str]]:
    problems: list[str] = []
    by_code: dict[str, Counter[str]] = {"faults_on": Counter(), "faults_off": Counter()}
    unexplained: list[ApiCall] = []
    logged_in_at = next((c.t for c in v.calls if c.route == "login" and c.status == 200), math.inf)
    for c in v.calls:
        label = "ok" if c.status is not None and c.status < 400 else (
            f"{c.status} {c.code}" if c.status is not None else f"no answer ({ex.faults_by_tag.get(c.tag) or c.error})")
        by_code["faults_on" if on(c.t) else "faults_off"][label] += 1
        if c.shape.startswith("bad"):
            problems.append(f"{v.name}: {c.method} {c.route} at t={c.t:.1f}s: {c.shape}")
        elif c.status == 401 and c.t > logged_in_at:
            problems.append(f"{v.name}: session lost: 401 {c.code} for {c.route} at t={c.t:.1f}s")
        elif c.status is None or c.status >= 500:
            if c.code not in ALLOWED_4XX and explain_call(c, ex, v.name) is None:
                unexplained.append(c)
        elif c.status >= 400 and c.code not in ALLOWED_4XX and not (c.route == "export_retry" and c.code == "conflict"):
            problems.append(f"{v.name}: unexpected {c.status} {c.code} for {c.method} {c.route} at t={c.t:.1f}s")
    problems += [f"{v.name}: unexplained {c.status or 'no answer'} {c.code or c.error or ''} for {c.route} at "
                 f"t={c.t:.1f}s" for c in unexplained]
    return {k: dict(val) for k, val in by_code.items()}, problems


def check_gets(v: ViewerBase, ex: Explainer, bucket: Any) -> tuple[dict[str, Any], list[str]]:
    """Every presigned GET either played the object's exact bytes (ETag and CRC-64 against OSS) or failed for a
    reason in the schedule."""
    problems: list[str] = []
    played = 0
    failed: Counter[str] = Counter()
    heads: dict[str, Any] = {}
    for g in v.gets:
        if g.status == 200:
            if g.length_header is not None and g.length_header != g.size:
                problems.append(f"{v.name}: {g.key}: {g.size} bytes received, Content-Length {g.length_header}")
            if g.crc_header and g.crc_header != g.crc_received:
                problems.append(f"{v.name}: {g.key}: CRC-64 of the bytes differs from the answer's own header")
            if g.kind == "vod":
                if g.key not in heads:
                    heads[g.key] = bucket.head_object(g.key)
                head = heads[g.key]
                if _etag(head.etag) != _etag(g.etag) or str(head.server_crc) != g.crc_received:
                    problems.append(f"{v.name}: {g.key} played other bytes than OSS holds (ETag {g.etag} vs "
                                    f"{head.etag})")
            played += 1
            continue
        why = explain_get(g, ex, v.name)
        failed[f"{g.kind} {g.status or 'no answer'} {g.reason or ''} -> {why or 'UNEXPLAINED'}".strip()] += 1
        if why is None:
            problems.append(f"{v.name}: unexplained {g.status or 'no answer'} ({g.reason}) for {g.kind} segment "
                            f"{g.key} at t={g.t:.1f}s")
    return {"played": played, "failed": sum(failed.values()), "failed_by_reason": dict(failed)}, problems


def check_playlists(v: ViewerBase) -> tuple[int, list[str]]:
    problems = [f"{v.name}: {route} at t={t:.1f}s breaks RFC 8216: {'; '.join(p)}" for t, route, p in v.playlists if p]
    return len(v.playlists), problems


def check_live(name: str, camera: str, samples: list[LiveSample], enables: list[float],
               disables: list[float]) -> tuple[dict[str, Any], list[str]]:
    """The live playlist's media sequence never goes back, and after each re-enable it advances again within
    LIVE_RESUME_SEGMENTS segment times."""
    problems: list[str] = []
    ok = [s for s in samples if s.status == 200 and s.last_sequence is not None]
    for a, b in zip(ok, ok[1:], strict=False):
        if (b.media_sequence or 0) < (a.media_sequence or 0):
            problems.append(f"{name}: EXT-X-MEDIA-SEQUENCE went back from {a.media_sequence} to {b.media_sequence} "
                            f"at t={b.t:.1f}s")
            break
    resumed: list[float] = []
    for t_en in enables:
        before = max((s.last_sequence or -1 for s in ok if s.t <= t_en), default=-1)
        after = next((s for s in ok if s.t > t_en and (s.last_sequence or -1) > before), None)
        if after is None:
            problems.append(f"{name}: the live playlist of {camera} never advanced after it was re-enabled at "
                            f"t={t_en:.1f}s (last sequence {before})")
            continue
        delay = after.t - t_en
        resumed.append(round(delay, 1))
        if delay > LIVE_RESUME_SEGMENTS * LIVE_SEGMENT_S:
            problems.append(f"{name}: live resumed {delay:.1f}s after re-enable (> {LIVE_RESUME_SEGMENTS} segments)")
    advanced_while_disabled = 0
    for t_dis, t_en in zip(disables, enables, strict=False):
        base = max((s.last_sequence or -1 for s in ok if s.t <= t_dis + 3), default=-1)
        advanced_while_disabled += sum(1 for s in ok if t_dis + 3 < s.t < t_en and (s.last_sequence or -1) > base)
    statuses = Counter(str(s.status) for s in samples)
    return {"polls": len(samples), "statuses": dict(statuses), "resumed_after_enable_s": resumed,
            "advanced_while_disabled": advanced_while_disabled,
            "distinct_segments_seen": len({s.last_sequence for s in ok})}, problems


def check_exports(exports: dict[str, dict[str, Any]], user: str, bucket: Any,
                  decode: Callable[[bytes], int]) -> tuple[dict[str, Any], list[str]]:
    """Each export is done with a decodable MP4 at its key, or failed with a message and nothing at its key; no
    other MP4 exists under the user's exports."""
    import oss2

    problems: list[str] = []
    states: Counter[str] = Counter()
    done: set[str] = set()
    for eid, doc in sorted(exports.items()):
        state = doc.get("state")
        states[str(state)] += 1
        key = f"exports/{user}/{eid}.mp4"
        exists = bucket.object_exists(key)
        if state == "done":
            done.add(key)
            if not exists:
                problems.append(f"export {eid} is done but {key} does not exist")
                continue
            try:
                frames = decode(bucket.get_object(key).read())
            except Exception as exc:  # noqa: BLE001 - any way the file does not decode is the finding
                problems.append(f"export {eid}: {key} does not decode: {type(exc).__name__}: {exc}"[:300])
                continue
            if frames <= 0 or (doc.get("frames") and frames != doc["frames"]):
                problems.append(f"export {eid}: {key} decodes to {frames} frames, the job says {doc.get('frames')}")
        elif state == "failed":
            if not (isinstance(doc.get("error"), str) and doc["error"].strip()):
                problems.append(f"export {eid} failed without an error message")
            if exists:
                problems.append(f"export {eid} failed but left an object at {key}")
        else:
            problems.append(f"export {eid} still {state} after settling")
    for info in oss2.ObjectIteratorV2(bucket, prefix=f"exports/{user}/"):
        if info.key.endswith(".mp4") and info.key not in done:
            problems.append(f"an MP4 at {info.key} that no finished export owns (half-written?)")
    errors = sorted({str(d.get("error"))[:120] for d in exports.values() if d.get("state") == "failed"})
    return {"exports": len(exports), "states": dict(states), "errors": errors}, problems


def latency(calls: list[ApiCall], routes: tuple[str, ...], on: Callable[[float], bool]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for route in routes:
        ok = [c for c in calls if c.route == route and c.status == 200]
        out[route] = {"faults_on": percentiles([c.ms for c in ok if on(c.t)]),
                      "faults_off": percentiles([c.ms for c in ok if not on(c.t)])}
    return out
