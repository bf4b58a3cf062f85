"""Activity benchmarks (issue 23), each printed as a table:

1. detection against the simulator's ground truth over 2 camera-hours with every negative condition
   (noise, dusk, IR switches, the clock, a tree in an ignore zone): recall, start error, false events;
   the events are built by the indexer's own builder (`vigil_fn.indexer.activity.build_events`);
2. analysis CPU per camera-hour of 1080p25 for each way of decoding, beside a full PyAV decode of the
   same video in the same run (60 s measured, extrapolated to the hour), plus a 640x360 substream;
3. the camera process's peak memory while analysing 1080p clips (a child process, ru_maxrss);
4. the api: a day's events (8,640 clips, 500 events) and the day's histogram, server time p95.
"""

from __future__ import annotations

import io
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import av
import pytest
import requests
from vigil_camera import media
from vigil_camera.activity.analyzer import ActivityAnalyzer
from vigil_camera.activity.meta import pack
from vigil_camera.activity.scene import TREE_ZONE, ActivityScene, clock_zone
from vigil_camera.activity.settings import ActivitySettings
from vigil_camera.keys import clip_key
from vigil_fn.api.users import UserStore
from vigil_fn.indexer.activity import build_events
from vigil_fn.indexer.log import row_of

from tests.activity_day import CROSSING, new_camera, write_day

pytestmark = pytest.mark.bench

ORIGIN = datetime(2026, 10, 1, 0, 0, tzinfo=timezone.utc)


def _settings(width: int, height: int) -> ActivitySettings:
    return ActivitySettings().with_ignore(clock_zone(width, height), TREE_ZONE)


def _clips(out: Path, *, seed: int, width: int, height: int, fps: int, seconds: float,
           truth: io.StringIO | None = None, bitrate: int | None = None,
           preset: str = "ultrafast") -> list[media.Clip]:
    scene = ActivityScene(width, height, seed=seed, origin=ORIGIN, truth=truth)
    clips: list[media.Clip] = []
    media.simulate(out, clips.append, fps=fps, width=width, height=height, clip_seconds=10, duration=seconds,
                   realtime=False, keyframe_seconds=1, render=scene.render, start=ORIGIN, bitrate=bitrate,
                   preset=preset)
    return clips


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.mark.timeout(3600)      # 2 camera-hours encoded and analysed on a shared 2-core machine
def test_detection_against_ground_truth_over_two_camera_hours(tmp_path: Path) -> None:
    hours_per_camera, seeds = 1.0, (11, 12)
    rows_out: list[tuple[Any, ...]] = []
    totals = {"crossings": 0, "found": 0, "false": 0, "errors": []}
    decoded = keyframes = 0
    for seed in seeds:
        truth = io.StringIO()
        clips = _clips(tmp_path / str(seed), seed=seed, width=320, height=180, fps=2,
                       seconds=hours_per_camera * 3600, truth=truth)
        analyzer = ActivityAnalyzer(_settings(320, 180), mode="keyframes")
        rows = []
        for clip in clips:
            act = analyzer.analyze(clip.path, start=clip.start)
            start_ms = int(clip.start.timestamp() * 1000)
            rows.append(row_of({"key": clip_key("bench-cam", clip.start, clip.seq, "ts"), "start": start_ms,
                                "activity": pack(act) if act.active else None}))
            clip.path.unlink()
        decoded += analyzer.frames_decoded
        keyframes += round(hours_per_camera * 3600)          # one keyframe a second (GOP 1 s)
        events = build_events("bench-cam", rows)
        crossings = [json.loads(line) for line in truth.getvalue().splitlines()]
        matched: set[int] = set()
        errors = []
        for c in crossings:
            s, e = _ms(c["start"]), _ms(c["end"])
            hits = [i for i, ev in enumerate(events) if ev.start < e and ev.end > s]
            if hits:
                matched.update(hits)
                errors.append((events[hits[0]].start - s) / 1000)
        starts_ok = sum(1 for x in errors if abs(x) <= 1.0)
        false = len(events) - len(matched)
        rows_out.append((seed, len(crossings), len(errors), starts_ok, false,
                         statistics.mean(errors) if errors else 0.0, max((abs(x) for x in errors), default=0.0)))
        totals["crossings"] += len(crossings)
        totals["found"] += starts_ok
        totals["false"] += false
        totals["errors"] += errors  # type: ignore[operator]
    hours = hours_per_camera * len(seeds)
    print(f"\nactivity detection vs ground truth ({hours:.0f} camera-hours at 320x180, 2 fps, 1 s GOP, keyframes "
          f"decoded; negatives all the time: noise σ 4, 30-min dusk cycle, IR switch every 1031 s, clock, tree)")
    print(f"  {'camera seed':>11} {'crossings':>9} {'overlapped':>10} {'start≤1s':>8} {'false ev':>8} "
          f"{'mean start err s':>16} {'max |err| s':>11}")
    for r in rows_out:
        print(f"  {r[0]:>11} {r[1]:>9} {r[2]:>10} {r[3]:>8} {r[4]:>8} {r[5]:>16.2f} {r[6]:>11.2f}")
    print(f"  keyframes decoded (every other one while quiet, rewinding on motion): {decoded} of {keyframes} "
          f"({decoded / keyframes:.1%}): the share of the keyframe decoding cost an hour of this scene pays")
    recall = totals["found"] / max(1, totals["crossings"])  # type: ignore[operator]
    print(f"  recall (found with start within 1 s) {recall:.1%} (target ≥ 98 %), "
          f"false events {totals['false'] / hours:.2f} per camera-hour (target ≤ 1)")
    assert totals["crossings"] >= 40


def _cpu(fn: Any) -> float:
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def _full_decode(paths: list[Path]) -> None:
    for p in paths:
        with av.open(str(p)) as c:
            stream: Any = c.streams.video[0]
            stream.codec_context.thread_count = 1
            for _ in c.decode(stream):
                pass


def _sizes_only(paths: list[Path]) -> None:
    for p in paths:
        with av.open(str(p)) as c:
            sum(packet.size for packet in c.demux(c.streams.video[0]))


@pytest.mark.timeout(3600)
def test_cpu_per_camera_hour_beside_a_full_decode(tmp_path: Path) -> None:
    seconds = 20.0      # x180 to the hour: the machine is shared by eight engineers' runs
    # camera-like streams: a main stream at 6 Mbit/s and a substream at 1 Mbit/s (the simulator's sensor
    # noise left unconstrained makes 33 Mbit/s), CABAC and the deblocking filter on as cameras' main/high
    # profile encoders have them (x264 "veryfast"; "ultrafast" turns both off, which makes P-frames
    # unrealistically cheap to decode: measured 22 % instead of the ratio below)
    big = [c.path for c in _clips(tmp_path / "1080", seed=5, width=1920, height=1080, fps=25, seconds=seconds,
                                  bitrate=6_000_000, preset="veryfast")]
    sub = [c.path for c in _clips(tmp_path / "360", seed=5, width=640, height=360, fps=25, seconds=seconds,
                                  bitrate=1_000_000, preset="veryfast")]
    scale = 3600 / seconds

    decoded: dict[str, tuple[int, int]] = {}

    def analyse(paths: list[Path], mode: str, w: int, h: int, *, quiet_stride: bool = True) -> float:
        analyzer = ActivityAnalyzer(_settings(w, h), mode=mode, quiet_stride=quiet_stride)  # type: ignore[arg-type]
        found: list[Any] = []
        cpu = _cpu(lambda: found.extend(analyzer.analyze(p) for p in paths))
        decoded[f"{mode}/{quiet_stride}"] = (analyzer.frames_decoded,
                                             sum(1 for a in found for s in a.scores if s > 0))
        return cpu

    full = _cpu(lambda: _full_decode(big)) * scale
    figures = [
        ("full PyAV decode, 1080p25 (peer)", full),
        ("keyframes, every other one while quiet, 1080p", analyse(big, "keyframes", 1920, 1080) * scale),
        ("every keyframe (skip_frame NONKEY), 1080p",
         analyse(big, "keyframes", 1920, 1080, quiet_stride=False) * scale),
        ("NONREF skip, 1080p", analyse(big, "nonref", 1920, 1080) * scale),
        ("all frames (2/s analysed), 1080p", analyse(big, "all", 1920, 1080) * scale),
        ("all frames of a 640x360 substream", analyse(sub, "all", 640, 360) * scale),
        ("frame sizes only (demux, no decode)", _cpu(lambda: _sizes_only(big)) * scale),
    ]
    print(f"\nanalysis CPU per camera-hour ({seconds:.0f} s of each measured, x{scale:.0f}; one thread; "
          f"machine shared with other engineers' runs)")
    print(f"  {'way of decoding':<40} {'CPU-s/hour':>10} {'% of a core':>11} {'vs full decode':>14}")
    for name, cpu in figures:
        print(f"  {name:<40} {cpu:>10.1f} {cpu / 36:>10.2f}% {cpu / full:>13.1%}")
    frames, active = decoded["keyframes/True"]
    print(f"  keyframes decoded while quiet-striding: {frames} of {decoded['keyframes/False'][0]} "
          f"({active} of {seconds:.0f} s active in the measured window)")
    print("  targets: ≤ 180 CPU-s per hour and ≤ 15 % of the full decode (the chosen way: keyframes, "
          "every other one while quiet)")
    assert figures[1][1] < full


@pytest.mark.timeout(3600)
def test_camera_memory_while_analysing_1080p(tmp_path: Path) -> None:
    clips = [c.path for c in _clips(tmp_path, seed=6, width=1920, height=1080, fps=25, seconds=10,
                                    bitrate=6_000_000)]
    # as `vigil-camera` starts (cli.main: oss2's unused crypto deferred, glibc's mmap threshold fixed)
    lean = "import vigil_camera.lean\nvigil_camera.lean.keep_lean()\n"
    imports = "import sys\nfrom pathlib import Path\nimport vigil_camera.cli, vigil_camera.spool, vigil_camera.upload\n"
    analyse = ("from vigil_camera.activity.analyzer import ActivityAnalyzer\na = ActivityAnalyzer()\n"
               "for p in sys.argv[1:]:\n    a.analyze(Path(p))\n")
    # each child goes through the clip three times (a camera runs for days: memory must not creep)
    # the peers: the same process opening the same clips with PyAV but not analysing them (what a
    # recording camera does anyway: `record` remuxes with PyAV), the uploader alone (no PyAV), and
    # each without lean.py's two steps (as the previous session measured)
    opened = "from vigil_camera.media import clip_duration\nfor p in sys.argv[1:]:\n    clip_duration(Path(p))\n"

    def peak(code: str) -> float:
        out = subprocess.run([sys.executable, "-c", code + HWM, *map(str, clips * 3)], capture_output=True, text=True,
                             check=True)
        return int(out.stdout.strip()) / 1024     # VmHWM: the child's own high-water mark (ru_maxrss would
                                                 # carry this pytest process's across exec)

    rows = [("analysing 1080p clips", peak(lean + imports + analyse), peak(imports + analyse)),
            ("opening them with PyAV, no analysis", peak(lean + imports + opened), peak(imports + opened)),
            ("the uploader's imports alone", peak(lean + imports), peak(imports))]
    print(f"\ncamera process peak RSS (VmHWM of a child process; target < 80 MB; load average "
          f"{os.getloadavg()[0]:.1f})")
    print(f"  {'':<38} {'as the camera runs':>18} {'without lean.py':>17}")
    for name, lean_mb, eager_mb in rows:
        print(f"  {name:<38} {lean_mb:>15.1f} MB {eager_mb:>14.1f} MB")
    print(f"  analysis adds {rows[0][1] - rows[1][1]:+.1f} MB to a camera that opens its clips with PyAV anyway")
    assert rows[0][1] >= rows[2][1] > 0


HWM = ("print(next(int(line.split()[1]) for line in open('/proc/self/status') "
       "if line.startswith('VmHWM:')))\n")


ROUNDS = 60


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def test_api_days_events_and_histogram(cloud: Any) -> None:
    bucket = cloud.bucket()
    camera = new_camera(bucket, "bench-ev")
    day_ms = int(ORIGIN.timestamp() * 1000)
    busy = set(range(0, 8640, 17))                       # 509 clips with a 4-second run each → 500+ events
    write_day(bucket, camera, ORIGIN, clips=8640, activity=dict.fromkeys(busy, CROSSING), compact=True)
    name, password = f"bench-{uuid.uuid4().hex[:6]}", secrets.token_urlsafe(12)
    UserStore(bucket).create(name, password, "viewer")
    base = str(cloud.functions["vigil-api"]).rstrip("/")
    http = requests.Session()
    assert http.post(f"{base}/api/v1/login", json={"username": name, "password": password}, timeout=30).ok
    day = {"start": day_ms, "end": day_ms + 86_400_000}

    def once(path: str, params: dict[str, int]) -> tuple[float, Any]:
        resp = http.get(f"{base}{path}", params=params, timeout=60)
        assert resp.status_code == 200, resp.text[:300]
        return float(resp.headers["Server-Timing"].split("dur=")[1]), resp.json()

    routes = {"events": (f"/api/v1/cameras/{camera}/events", day),
              "histogram": (f"/api/v1/cameras/{camera}/activity", {**day, "bins": 1440}),
              "timeline": (f"/api/v1/cameras/{camera}/timeline", day)}
    times: dict[str, list[float]] = {name: [] for name in routes}
    docs: dict[str, Any] = {}
    for _ in range(ROUNDS):     # interleaved, so the machine's load falls on the routes and their peer alike
        for name, (path, params) in routes.items():
            took, docs[name] = once(path, params)
            times[name].append(took)
    assert len(docs["events"]["events"]) == len(busy)
    assert sum(1 for p in docs["histogram"]["peaks"] if p > 0) > 400
    ev_ms, hist_ms, tl_ms = times["events"], times["histogram"], times["timeline"]
    print(f"\napi, a day of 8,640 clips with {len(busy)} events (server time, {ROUNDS} requests each, "
          f"interleaved, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"  day's events:           p50 {statistics.median(ev_ms):6.1f} ms, p95 {_p95(ev_ms):6.1f} ms (target < 50)")
    print(f"  day's histogram (1440): p50 {statistics.median(hist_ms):6.1f} ms, p95 {_p95(hist_ms):6.1f} ms "
          f"(target < 30)")
    print(f"  peer: the same day's timeline: p50 {statistics.median(tl_ms):6.1f} ms, p95 {_p95(tl_ms):6.1f} ms "
          f"→ events/timeline {_p95(ev_ms) / _p95(tl_ms):.2f}x")
