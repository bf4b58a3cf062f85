"""The viewer side of the chaos proof: what the viewers saw during the run, checked against the fault schedule, plus
what they see once it settled (every export finished or clearly failed; the API's timeline = OSS, each clip once)."""

from __future__ import annotations

import io
import time
from collections import Counter
from typing import Any

import oss2
from chaos_viewer import (
    Explainer,
    LiveWatcher,
    Viewer,
    check_calls,
    check_exports,
    check_gets,
    check_live,
    check_playlists,
    latency,
)

EXPORT_SETTLE_S = 120.0
ROUTES = ("timeline", "playlist", "playback", "cameras", "live_playlist")


def decode_frames(data: bytes) -> int:
    """Frames PyAV decodes from a whole MP4 (a truncated or half-written file raises or decodes short)."""
    import av

    container = av.open(io.BytesIO(data), format="mp4", mode="r")
    try:
        return sum(1 for _ in container.decode(video=0))
    finally:
        container.close()


def _finish_exports(viewers: list[Viewer], deadline: float) -> None:
    """Follow every export (faults off now) until each is done or failed, retrying a failed one once."""
    while time.monotonic() < deadline:
        for v in viewers:
            v.follow_exports()
        if all(v.exports_settled() for v in viewers):
            return
        time.sleep(1.0)


def _timeline_exactly_once(viewer: Viewer, cameras: list[str], bucket: oss2.Bucket, since_ms: int) -> tuple[int,
                                                                                                             list[str]]:
    """Through the API, as a viewer sees it: each camera's timeline lists every clip in OSS, each exactly once."""
    problems: list[str] = []
    total = 0
    end = int(time.time() * 1000) + 60_000
    for cam in cameras:
        resp = viewer.api("GET", f"/api/v1/cameras/{cam}/timeline?start={since_ms - 3_600_000}&end={end}",
                          "timeline_final")
        if resp is None or resp.status_code != 200:
            problems.append(f"final timeline of {cam}: {resp.status_code if resp is not None else 'no answer'}")
            continue
        keys = [i["key"] for i in resp.json()["items"] if i["type"] == "clip"]
        in_oss = {o.key for o in oss2.ObjectIteratorV2(bucket, prefix=f"videos/{cam}/")}
        twice = [k for k, n in Counter(keys).items() if n > 1]
        if twice:
            problems.append(f"the API's timeline of {cam} lists {len(twice)} clips twice, e.g. {twice[:2]}")
        if set(keys) != in_oss:
            problems.append(f"the API's timeline of {cam} differs from OSS: missing "
                            f"{sorted(in_oss - set(keys))[:2]}, extra {sorted(set(keys) - in_oss)[:2]}")
        total += len(keys)
    return total, problems


def verify_viewers(sc: Any) -> tuple[dict[str, Any], list[str]]:
    """Check every viewer of scenario `sc` (a chaos_runner.Scenario); returns (report, problems)."""
    if not sc.viewers:
        return {}, []
    bucket = sc.stack.bucket()
    faults = {s.tag: s.fault for v in sc.viewers.values() for s in v.proxy.seen if s.tag and s.fault}
    ex = Explainer(sc.windows, sc.offsets, sc.grace_s, faults)
    grace = sc.grace_s

    def on(t: float) -> bool:
        return any(start <= t <= end + grace for start, end, _k, _t in sc.windows)

    browsers = [v for v in sc.viewers.values() if isinstance(v, Viewer)]
    _finish_exports(browsers, time.monotonic() + EXPORT_SETTLE_S)
    problems: list[str] = []
    answers: dict[str, Counter[str]] = {"faults_on": Counter(), "faults_off": Counter()}
    presigned: dict[str, Any] = {"played": 0, "failed": 0, "failed_by_reason": Counter()}
    parsed = 0
    for v in sc.viewers.values():
        by_code, p = check_calls(v, ex, on)
        problems += p
        for k, counts in by_code.items():
            answers[k].update(counts)
        gets, p = check_gets(v, ex, bucket)
        problems += p
        presigned["played"] += gets["played"]
        presigned["failed"] += gets["failed"]
        presigned["failed_by_reason"].update(gets["failed_by_reason"])
        n, p = check_playlists(v)
        parsed += n
        problems += p
        logins = sum(1 for c in v.calls if c.route == "login" and c.status == 200)
        if logins != 1:
            problems.append(f"{v.name} logged in {logins} times (one session must last the whole run)")
    report: dict[str, Any] = {"viewers": len(sc.viewers), "api_calls": sum(len(v.calls) for v in sc.viewers.values()),
                              "answers": {k: dict(c.most_common()) for k, c in answers.items()},
                              "latency_ms": latency([c for v in sc.viewers.values() for c in v.calls], ROUTES, on),
                              "presigned": {**presigned, "failed_by_reason": dict(presigned["failed_by_reason"])},
                              "playlists_parsed": parsed}
    restarts = [t for t, off in sc.offsets[1:] if off == 0.0]
    report["authenticated_after_each_restart"] = all(
        any(c.t > t and c.route != "login" and c.status is not None and (c.status < 400 or c.code == "live_not_ready")
            for c in v.calls)
        for t in restarts for v in sc.viewers.values())
    if not report["authenticated_after_each_restart"]:
        problems.append("a viewer made no authenticated call after a stack restart")
    # when `vigil devices disable|enable` returned, not when it was scheduled: that is when it took effect
    disables = [t for kind, target, t in sc.done if kind == "disable" and target == sc.live_camera()]
    enables = [t for kind, target, t in sc.done if kind == "enable" and target == sc.live_camera()]
    for w in sc.viewers.values():
        if isinstance(w, LiveWatcher):
            report["live"], p = check_live(w.name, w.camera, w.samples, enables, disables)
            problems += p
    report["exports"] = {}
    for v in browsers:
        report["exports"][v.name], p = check_exports(v.exports, sc.users[v.name], bucket, decode_frames)
        report["exports"][v.name].update(retried=len(v.retried), create_answers=[s for _, _, s in v.export_requests])
        problems += p
    report["timeline_api_clips"], p = _timeline_exactly_once(browsers[0], list(sc.cameras), bucket, sc.wall_t0_ms)
    problems += p
    return report, problems
