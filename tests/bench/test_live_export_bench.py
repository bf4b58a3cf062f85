"""Export and live-view benchmarks (issue 11), each beside a peer measured in the same run.

Export: `VIGIL_BENCH_EXPORT_MINUTES` (default 60) of 1080p H.264 at ~4 Mbit/s — one real 10 s
clip encoded here, listed as many times as needed (a stream copy does the same work whatever the
pictures are) — exported by the export code in a child process (ranged GETs from localcloud OSS,
multipart upload back; the range is cut between keyframes of the first clip and inside the last,
so the cut's GOP buffer and early stop are in the figure), against a plain PyAV `-c copy` remux of
the same clips from a local file into a local `+faststart` MP4. Figures: video seconds per
CPU-second, wall time, peak RSS (VmHWM of the child itself).

Live: a real-time `vigil-camera simulate --live-view` and Chromium (Playwright) playing the Live
view; latency = now − hls.js `playingDate` (checked against the clock drawn in the pixels), time
to first frame from the click. Peer: how old a recorded clip's first frame is when it becomes
playable from the recordings (index event time − clip start) for the same camera in the same run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import av
import pytest
from vigil_camera import media
from vigil_camera.keys import clip_key

pytestmark = pytest.mark.bench
ROOT = Path(__file__).resolve().parents[2]
CLIP_S = 10
FPS = 15
CUT_START_MS = 2_500        # the exported range: 2.5 s into the first clip (between keyframes) ...
CUT_END_BEFORE_MS = 3_300   # ... to 3.3 s before the last clip ends


def _clip_1080p(path: Path) -> Path:
    """A 10 s 1080p H.264 TS clip at 4 Mbit/s CBR (x264 pads with filler), the simulator's pattern."""
    out_path = path / "clip-1080p.ts"
    start = datetime(2026, 10, 1, tzinfo=timezone.utc)
    with av.open(str(out_path), "w", format="mpegts") as out:
        stream: Any = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 1920, 1080, "yuv420p"
        stream.codec_context.bit_rate = 4_000_000
        stream.codec_context.options = {"preset": "ultrafast", "tune": "zerolatency", "x264-params":
                                        f"keyint={FPS}:min-keyint={FPS}:scenecut=0:nal-hrd=cbr:"
                                        "vbv-maxrate=4000:vbv-bufsize=4000"}
        for i in range(CLIP_S * FPS):
            frame = media.test_frame(1920, 1080, i, FPS, start + timedelta(seconds=i / FPS))
            frame.pts = i
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return out_path


EXPORT_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    import oss2
    from vigil_fn.export.remux import SourceClip, remux
    from vigil_fn.export.sink import MultipartSink
    from vigil_fn.export.source import OssSource
    def vm_hwm_kb():
        # the peak RSS of this process's own address space; ru_maxrss is not: a child inherits the
        # parent's through fork+exec (it read 602 MiB where the export peaked at 136 MiB)
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    endpoint, ak, secret, bucket_name, key, size, n, out_key, start, end = sys.argv[1:]
    bucket = oss2.Bucket(oss2.Auth(ak, secret), endpoint, bucket_name)
    clips = [SourceClip(key, i * 10_000, (i + 1) * 10_000, int(size)) for i in range(int(n))]
    t0 = time.perf_counter()
    sink = MultipartSink(bucket, out_key, part_size=8 << 20, headers={"Content-Type": "video/mp4"})
    result = remux(clips, lambda c: OssSource(bucket, c.key, c.size), sink, camera="bench", start=int(start),
                   end=int(end), gaps=[])
    total = sink.finish()
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"wall": time.perf_counter() - t0, "cpu": ru.ru_utime + ru.ru_stime, "rss_kb": vm_hwm_kb(),
                      "size": total, "frames": result.frames, "duration": result.duration,
                      "covered": [result.covered_start, result.covered_end]}))
""")

PEER_CHILD = textwrap.dedent("""
    import json, resource, sys, time
    import av
    def vm_hwm_kb():
        # the peak RSS of this process's own address space; ru_maxrss is not: a child inherits the
        # parent's through fork+exec (it read 602 MiB where the export peaked at 136 MiB)
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    path, n, out = sys.argv[1:]
    t0 = time.perf_counter()
    frames = 0
    with av.open(out, "w", format="mp4", options={"movflags": "+faststart"}) as o:
        ost = None
        base = 0
        for _ in range(int(n)):
            with av.open(path) as c:
                st = c.streams.video[0]
                if ost is None:
                    ost = o.add_stream_from_template(st)
                first = None
                end = 0
                for p in c.demux(st):
                    if p.dts is None or p.size == 0:
                        continue
                    first = p.dts if first is None else first
                    end = max(end, p.pts - first + 6000)
                    p.dts, p.pts = p.dts - first + base, p.pts - first + base
                    p.stream = ost
                    o.mux(p)
                    frames += 1
                base += end
    ru = resource.getrusage(resource.RUSAGE_SELF)
    import os
    print(json.dumps({"wall": time.perf_counter() - t0, "cpu": ru.ru_utime + ru.ru_stime, "rss_kb": vm_hwm_kb(),
                      "size": os.path.getsize(out), "frames": frames}))
""")


def _child(script: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "functions"), str(ROOT / "device_client")])}
    res = subprocess.run([sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, timeout=3600)
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


def test_export_throughput_and_memory_vs_plain_remux(cloud: Any, tmp_path: Path) -> None:
    minutes = float(os.environ.get("VIGIL_BENCH_EXPORT_MINUTES", "60"))
    n = max(1, round(minutes * 60 / CLIP_S))
    clip = _clip_1080p(tmp_path)
    size = clip.stat().st_size
    with av.open(str(clip)) as c:
        frames_per_clip = sum(1 for p in c.demux(video=0) if p.size)
    bitrate = size * 8 / CLIP_S / 1e6
    camera = f"bench-{uuid.uuid4().hex[:6]}"
    key = clip_key(camera, datetime(2026, 10, 1, tzinfo=timezone.utc), 1, "ts")
    bucket = cloud.bucket()
    bucket.put_object_from_file(key, str(clip))
    out_key = f"exports/bench/{uuid.uuid4().hex[:8]}.mp4"
    # a range cut like a user's: from mid-GOP in the first clip to mid-clip in the last (the cut
    # buffers the first GOP and stops reading the last clip at the end)
    start_ms, end_ms = CUT_START_MS, n * CLIP_S * 1000 - CUT_END_BEFORE_MS
    ours = _child(EXPORT_CHILD, cloud.oss_endpoint, cloud.access_key_id, cloud.access_key_secret,
                  cloud.bucket_name, key, str(size), str(n), out_key, str(start_ms), str(end_ms))
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        peer = _child(PEER_CHILD, str(clip), str(n), str(Path(tmp) / "peer.mp4"))
    video_s = n * CLIP_S
    assert peer["frames"] == n * frames_per_clip
    lead_frames = CUT_START_MS // 1000 * FPS                              # keyframe every FPS frames
    tail_frames = -(-(CLIP_S * 1000 - CUT_END_BEFORE_MS) * FPS // 1000)   # frames before the end
    assert ours["frames"] == n * frames_per_clip - lead_frames - (frames_per_clip - tail_frames)
    assert ours["covered"] == [CUT_START_MS // 1000 * 1000, end_ms]
    ours_video_s = ours["duration"]
    assert int(bucket.head_object(out_key).content_length) == ours["size"]
    bucket.delete_object(out_key)
    ours_rate, peer_rate = ours_video_s / ours["cpu"], video_s / peer["cpu"]
    hour = 3600 / video_s
    print(f"\nEXPORT {minutes:g} min of 1080p at {bitrate:.2f} Mbit/s ({n} clips, {ours['size'] / 1e9:.2f} GB)")
    print(f"  export of {start_ms / 1000:g} s .. {end_ms / 1000:g} s ({ours_video_s:.1f} video-s, cut from "
          f"the keyframe at {ours['covered'][0] / 1000:g} s to the end)")
    print(f"  export (OSS ranged GETs -> multipart, faststart in part 1): {ours_rate:.0f} video-s/CPU-s, "
          f"wall {ours['wall']:.1f} s (1 h: {ours['wall'] * hour:.0f} s), peak RSS {ours['rss_kb'] / 1024:.0f} MiB")
    print(f"  peer (PyAV -c copy local file -> local +faststart MP4):    {peer_rate:.0f} video-s/CPU-s, "
          f"wall {peer['wall']:.1f} s (1 h: {peer['wall'] * hour:.0f} s), peak RSS {peer['rss_kb'] / 1024:.0f} MiB")
    print(f"  ratio export/peer: throughput per CPU {ours_rate / peer_rate:.2f}, "
          f"wall {ours['wall'] / peer['wall']:.2f}")
    assert ours["rss_kb"] / 1024 < 512   # the function's memorySize in s.yaml


def _load(path: Path, name: str) -> Any:
    import importlib.util

    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    path = os.environ.get("VIGIL_CHROMIUM", "/usr/bin/chromium")
    assert Path(path).exists(), f"{path} is missing: run `make chromium`"
    assert (ROOT / "functions/webroot/index.html").exists(), "the web page is not built: run `make web`"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=path, headless=True, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--autoplay-policy=no-user-gesture-required"])
        try:
            yield b
        finally:
            b.close()


def test_live_latency_and_time_to_first_frame(cloud: Any, chromium: Any, tmp_path: Path) -> None:
    from vigil_fn.indexer import reader

    support = _load(ROOT / "tests/e2e/web/support.py", "vigil_web_test_support")
    live = _load(ROOT / "tests/e2e/web/live_support.py", "vigil_live_support")
    tag = uuid.uuid4().hex[:6]
    device = f"bench-live-{tag}"
    support.provision(cloud, device, "bench live")
    support.create_user(cloud, f"bench-{tag}", f"bench-password-{tag}", "viewer", [device])
    cam = live.LiveCamera(cloud, device, tmp_path / "cam")
    cam.start()
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
    ttffs: list[float] = []
    samples: list[float] = []
    try:
        cam.wait_recording(cloud, device)
        page = ctx.new_page()
        page.goto(cloud.functions["vigil-api"] + f"/cameras/{device}")
        page.get_by_label("User name").fill(f"bench-{tag}")
        page.get_by_label("Password").fill(f"bench-password-{tag}")
        page.get_by_role("button", name="Sign in").click()
        page.get_by_role("button", name="Sign out").wait_for()
        ready = ("() => { const v = document.querySelector('video.live-video'); return v && v.vigilHls"
                 " && v.vigilHls.playingDate && !v.paused && v.readyState >= 2 }")
        pd_js = ("() => { const v = document.querySelector('video.live-video'); const h = v && v.vigilHls;"
                 " return h && h.playingDate && !v.paused ? h.playingDate.getTime() : null }")
        for round_ in range(3):
            if round_:
                page.get_by_role("button", name="Stop live view").click()
                time.sleep(60)      # lease (30 s) + renew and probe periods: the camera is idle again
            pressed = time.time()
            page.get_by_role("button", name="Live", exact=True).click()
            page.wait_for_function(ready, timeout=60_000, polling=100)
            ttffs.append(time.time() - pressed)
            for _ in range(40):
                time.sleep(0.5)
                pd = page.evaluate(pd_js)
                if pd is not None:
                    samples.append(time.time() * 1000 - pd)
        recorded = reader.day_clips(cloud.bucket(), device, datetime.now(timezone.utc).date())
    finally:
        ctx.close()
        cam.stop()
    peer = [c.event_time - c.start for c in recorded if c.event_time]
    p50, p95 = statistics.median(samples), sorted(samples)[int(0.95 * (len(samples) - 1))]
    print(f"\nLIVE latency p50 {p50 / 1000:.2f} s, p95 {p95 / 1000:.2f} s ({len(samples)} samples, 3 viewers); "
          f"time to first frame {', '.join(f'{t:.2f}' for t in ttffs)} s")
    if peer:
        peer50 = statistics.median(peer)
        print(f"  peer (a recorded clip becomes playable; age of its first frame then): p50 "
              f"{peer50 / 1000:.2f} s over {len(peer)} clips; live/peer {p50 / peer50:.2f}")
    assert samples and len(ttffs) == 3
