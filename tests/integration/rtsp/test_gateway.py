"""`vigil-camera gateway`: one process, N real RTSP cameras, one registered gateway identity whose
token covers exactly its cameras' prefixes; a camera with a mistake is named and the others record."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import av
import oss2
import pytest
from vigil_camera.protocol import device_secret
from vigil_fn.core.devices import DeviceRecord, Registry

from tests.rtsp.server import RtspServer

pytestmark = pytest.mark.integration


def _gateway(cloud: Any, cameras: tuple[str, ...]) -> tuple[str, str]:
    gw = f"gw-{uuid.uuid4().hex[:8]}"
    Registry(cloud.bucket()).create(DeviceRecord(gw, name="gateway test", cameras=cameras))
    return gw, device_secret(cloud.master_key, gw, 1)


def _put_clip(cloud: Any, tok: Any, camera: str, seq: int) -> str:
    """Upload a tiny clip under `camera` with `tok`: "ok", or "denied" when the policy refuses it."""
    auth = oss2.StsAuth(tok.access_key_id, tok.access_key_secret, tok.security_token)
    try:
        oss2.Bucket(auth, cloud.oss_endpoint, cloud.bucket_name).put_object(
            f"videos/{camera}/2026/12/07/000000000Z-{seq}.ts", b"x" * 10)
        return "ok"
    except oss2.exceptions.AccessDenied:
        return "denied"


def test_one_gateway_records_its_cameras_and_names_the_bad_ones(rtsp: RtspServer, cloud: Any,
                                                                  tmp_path: Path) -> None:
    tag = uuid.uuid4().hex[:6]
    a, b, c, d = (f"{n}-{tag}" for n in ("door", "yard", "shed", "mic"))
    gw, secret = _gateway(cloud, (a, b, c, d))
    pw_file = tmp_path / "yard.pw"
    pw_file.write_text("pw\n")
    config = tmp_path / "gateway.json"
    config.write_text(json.dumps({
        "token_url": cloud.functions["vigil-token"], "device_id": gw, "device_secret": secret,
        "spool_dir": str(tmp_path / "spool"),
        "cameras": [
            {"id": a, "url": rtsp.url("aac"), "clip_seconds": 2, "audio": True, "live": True},
            {"id": b, "url": rtsp.url("secret"), "username": "user", "password_file": str(pw_file),
             "clip_seconds": 2, "audio": True},
            {"id": c, "url": rtsp.url("secret").replace("127.0.0.1", "localhost"), "username": "user",
             "password": "not-the-pw-42",
             "clip_seconds": 2},                                   # RTSP 401
            {"id": d, "url": rtsp.url("audio"), "clip_seconds": 2},  # no video
            {"id": a, "url": rtsp.url("pcmu"), "clip_seconds": 2},  # the same camera twice
            {"id": "bad id!", "url": rtsp.url("pcmu")},
        ]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "gateway", "--config", str(config),
                          "--duration", "7", "--log-level", "INFO"],
                         env=env, capture_output=True, text=True, timeout=180)
    assert "not-the-pw-42" not in res.stderr + res.stdout and ":pw@" not in res.stderr + res.stdout
    assert "Traceback" not in res.stderr
    assert res.returncode == 1, res.stderr                         # some cameras had mistakes
    errors = [json.loads(line)["error"] for line in res.stderr.splitlines() if line.startswith('{"error"')]
    assert {(e["camera"], e["field"]) for e in errors} == {(a, "id"), ("bad id!", "id")}
    summary = json.loads(res.stdout.strip().splitlines()[-1])["cameras"]
    assert summary[c]["error"]["code"] == "unauthorized" and c in summary[c]["error"]["message"]
    assert summary[d]["error"]["code"] == "no_video"
    bucket = cloud.bucket()
    for camera in (a, b):
        assert summary[camera]["error"] is None and summary[camera]["queue_depth"] == 0
        keys = [o.key for o in oss2.ObjectIterator(bucket, prefix=f"videos/{camera}/")]
        assert len(keys) == summary[camera]["clips"] >= 2, (camera, keys)   # every clip once
        clip = tmp_path / "clip.ts"
        clip.write_bytes(bucket.get_object(sorted(keys)[0]).read())
        with av.open(str(clip)) as container:
            assert container.streams.video and container.streams.audio
    # "live": true for camera a only: its hourly append log holds every clip once, whole, and plays
    clip_bytes = sum(o.size for o in oss2.ObjectIterator(bucket, prefix=f"videos/{a}/"))
    hours = list(oss2.ObjectIterator(bucket, prefix=f"live/{a}/"))
    assert sum(o.size for o in hours) == clip_bytes, [o.key for o in hours]
    log_file = tmp_path / "hour.ts"
    log_file.write_bytes(bucket.get_object(hours[-1].key).read())
    with av.open(str(log_file)) as container:
        assert sum(1 for _ in container.decode(video=0)) >= 25 and container.streams.audio
    assert not list(oss2.ObjectIterator(bucket, prefix=f"live/{b}/"))        # b follows --live: off
    assert not list(oss2.ObjectIterator(bucket, prefix=f"videos/{gw}/"))


def test_the_gateway_token_covers_exactly_its_cameras(cloud: Any) -> None:
    from vigil_camera.credentials import TokenProvider

    tag = uuid.uuid4().hex[:6]
    a, b = f"door-{tag}", f"yard-{tag}"
    gw, secret = _gateway(cloud, (a, b))
    registry = Registry(cloud.bucket())
    assert registry.owner(a) == gw

    seq = iter(range(1, 100))

    def put(camera: str) -> str:
        tok = TokenProvider(cloud.functions["vigil-token"], gw, secret, max_wait=20).token()
        return _put_clip(cloud, tok, camera, next(seq))

    assert put(a) == "ok" and put(b) == "ok"
    assert put(f"other-{tag}") == "denied"                         # not its camera
    with pytest.raises(Exception, match="belongs to gateway"):
        registry.create(DeviceRecord(f"gw2-{tag}", cameras=(a,)))     # one owner per camera
    registry.remove_camera(gw, b)                                  # per-camera revocation
    assert registry.owner(b) is None
    assert put(a) == "ok" and put(b) == "denied"


def test_a_gateway_of_many_cameras_holds_one_token_per_group_naming_exactly_its_cameras(cloud: Any) -> None:
    """16 cameras do not fit one STS policy: the gateway splits them into groups where the token
    function says, and each group's token uploads for its cameras and for nobody else."""
    from vigil_camera.credentials import Token, TokenError, TokenProvider
    from vigil_camera.tokengroups import TokenGroups

    tag = uuid.uuid4().hex[:6]
    cameras = tuple(f"camera-{i:02d}-{tag}" for i in range(16))
    gw, secret = _gateway(cloud, cameras)
    url = cloud.functions["vigil-token"]
    groups = TokenGroups(lambda group: TokenProvider(url, gw, secret, cameras=group, max_wait=20), cameras)
    assert all(groups.token(c) for c in cameras)
    assert len(groups.groups) >= 2
    assert [c for g in groups.groups for c in g.cameras or ()] == list(cameras)    # each camera in one group

    seq = iter(range(1, 1000))

    def put(tok: Token, camera: str) -> str:
        return _put_clip(cloud, tok, camera, next(seq))

    for group in groups.groups:
        tok, mine = group.token(), group.cameras or ()
        assert [put(tok, c) for c in (mine[0], mine[-1])] == ["ok", "ok"]
        outside = next(c for c in cameras if c not in mine)
        assert put(tok, outside) == "denied" and put(tok, f"other-{tag}") == "denied"
    with pytest.raises(TokenError) as refused:                          # all of them: too long, and how many fit
        TokenProvider(url, gw, secret, cameras=cameras).fetch_once()
    assert (refused.value.status, refused.value.code, refused.value.fits) == (
        400, "policy_too_long", len(groups.groups[0].cameras or ()))
    with pytest.raises(TokenError) as refused:                          # a camera that is not its own
        TokenProvider(url, gw, secret, cameras=(cameras[0], f"other-{tag}")).fetch_once()
    assert (refused.value.status, refused.value.code) == (403, "not_its_camera")
    own = TokenProvider(url, gw, secret, cameras=()).token()           # the gateway's own token: no camera
    assert put(own, cameras[0]) == "denied" and put(own, gw) == "ok"


def test_live_view_per_gateway_camera_goes_live_for_the_watched_camera_only(rtsp: RtspServer, cloud: Any,
                                                                            tmp_path: Path) -> None:
    """`gateway --live-view`: each camera probes its own `_watch`; the api's signal for one camera
    (a gateway camera has no registry record, only an owner) makes that camera's playlist appear."""
    from types import SimpleNamespace

    from vigil_fn.api.routes.live import registered
    from vigil_fn.core.liveview import LiveNotReady, WatchSignal, live_playlist

    from tests.waiting import wait_for

    tag = uuid.uuid4().hex[:6]
    watched, idle = f"porch-{tag}", f"garage-{tag}"
    gw, secret = _gateway(cloud, (watched, idle))
    assert registered(SimpleNamespace(registry=Registry(cloud.bucket())), watched)   # the api renews its watch
    config = tmp_path / "gateway.json"
    config.write_text(json.dumps({
        "token_url": cloud.functions["vigil-token"], "device_id": gw, "device_secret": secret,
        "spool_dir": str(tmp_path / "spool"),
        "cameras": [{"id": watched, "url": rtsp.url("aac"), "clip_seconds": 4},
                    {"id": idle, "url": rtsp.url("pcmu"), "clip_seconds": 4}]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    proc = subprocess.Popen([sys.executable, "-m", "vigil_camera.cli", "gateway", "--config", str(config),
                             "--live-view", "--live-probe-seconds", "1", "--duration", "120"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ram = cloud.stack.ram
    creds = ram.issue_session(ram.role_arn("vigil-api-fn"), "api-live-test", 900, None, None, "fc.aliyuncs.com")
    api_bucket = cloud.bucket(auth=oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token))
    bucket = cloud.bucket()

    def playlist() -> str | None:
        try:
            text = live_playlist(api_bucket, watched, lambda key: key)
        except LiveNotReady:
            return None
        return text if text.count("#EXTINF") >= 2 else None

    try:
        signal = WatchSignal(lease_s=30)
        wait_for(lambda: signal.bump(api_bucket, watched, force=True) and playlist(), 90,
                 "the watched gateway camera's live playlist")
        assert not list(oss2.ObjectIterator(bucket, prefix=f"live/{idle}/hls/"))   # nobody watches that one
        segment = next(line for line in (playlist() or "").splitlines() if line.endswith(".ts"))
        data = bucket.get_object(segment).read()
        clip = tmp_path / "seg.ts"
        clip.write_bytes(data)
        with av.open(str(clip)) as container:
            assert sum(1 for _ in container.decode(video=0)) >= 20      # ~1 s of 25 fps, decodable
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=120)
    assert "Traceback" not in err, err[-3000:]
    summary = json.loads(out.strip().splitlines()[-1])["cameras"]
    assert summary[watched]["error"] is None and summary[idle]["error"] is None


def test_activity_comes_from_the_substream_and_goes_with_the_main_clips(rtsp: RtspServer, cloud: Any,
                                                                        tmp_path: Path) -> None:
    """Three cameras on one gateway with `--activity`. Ground truth is what each substream shows:
    /sub is the ball moving in every frame, /still is bars where nothing moves. `moving` (main
    /video, substream /sub) must carry activity in nearly every second; `quiet` (the SAME moving main
    stream, substream /still) none: so the analysis is of the substream, not of the main stream;
    `nosub` (no substream) is analysed on its main stream; `off` says "activity": false."""
    from vigil_camera.activity.meta import HEADER, TAGGING, unpack

    tag = uuid.uuid4().hex[:6]
    moving, quiet, nosub, off = (f"{n}-{tag}" for n in ("moving", "quiet", "nosub", "off"))
    gw, secret = _gateway(cloud, (moving, quiet, nosub, off))
    config = tmp_path / "gateway.json"
    config.write_text(json.dumps({
        "token_url": cloud.functions["vigil-token"], "device_id": gw, "device_secret": secret,
        "spool_dir": str(tmp_path / "spool"),
        "cameras": [
            {"id": moving, "url": rtsp.url("video"), "substream": rtsp.url("sub"), "clip_seconds": 3},
            {"id": quiet, "url": rtsp.url("pcmu"), "substream": rtsp.url("still"), "clip_seconds": 3},
            {"id": nosub, "url": rtsp.url("pcma"), "clip_seconds": 3},
            {"id": off, "url": rtsp.url("aac"), "substream": rtsp.url("sub"), "clip_seconds": 3, "activity": False},
        ]}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
    res = subprocess.run([sys.executable, "-m", "vigil_camera.cli", "gateway", "--config", str(config),
                          "--activity", "--duration", "12", "--log-level", "INFO"],
                         env=env, capture_output=True, text=True, timeout=240)
    assert "Traceback" not in res.stderr
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout.strip().splitlines()[-1])["cameras"]
    assert summary[moving]["activity"] == summary[quiet]["activity"] == "substream"
    assert summary[nosub]["activity"] == "main" and summary[off]["activity"] is None
    bucket = cloud.bucket()

    def headers(camera: str) -> list[tuple[str, dict[str, str]]]:
        keys = sorted(o.key for o in oss2.ObjectIterator(bucket, prefix=f"videos/{camera}/"))
        assert len(keys) == summary[camera]["clips"] >= 3, (camera, keys)
        return [(k, dict(bucket.head_object(k).headers)) for k in keys]

    # clips of the moving substream: activity in (almost) every second, tagged for longer retention
    got = headers(moving)
    with_activity = [(k, h) for k, h in got if HEADER in h]
    assert len(with_activity) >= len(got) - 1, [k for k, _ in got]        # the last may outrun the substream
    active = total = 0
    for key, h in with_activity:
        activity = unpack(h[HEADER], max_seconds=10)
        assert 1 <= len(activity.scores) <= 5, (key, h[HEADER])          # aligned to the clip (the last one is cut)
        active += sum(1 for s in activity.scores if s > 0)
        total += len(activity.scores)
        assert all(box is not None for s, box in zip(activity.scores, activity.boxes, strict=True) if s > 0)
    assert active >= 0.6 * total, [h[HEADER] for _, h in with_activity]
    tagging = bucket.get_object_tagging(with_activity[0][0])
    assert f"{next(iter(tagging.tag_set.tagging_rule))}=1" == TAGGING
    # the same moving picture on the main stream, but a still substream: analysed, and quiet
    got = headers(quiet)
    sent = [h[HEADER] for _, h in got if HEADER in h]
    assert len(sent) >= len(got) - 1
    assert all(s == 0 for value in sent for s in unpack(value, max_seconds=10).scores), sent
    # no substream: the main stream's keyframes are analysed, every clip carries its header
    got = headers(nosub)
    assert all(len(unpack(h[HEADER], max_seconds=10).scores) >= 1 for _, h in got), [k for k, _ in got]
    # "activity": false: no analysis, no header
    assert all(HEADER not in h for _, h in headers(off))
