"""Device client benchmarks (`make bench`): figures plus a ratio against a peer measured in the same run.

* throughput: one 256 MB clip through `ClipUploader` (parallel multipart) vs a raw
  `oss2.Bucket.put_object` of the same file to the same localcloud;
* memory: peak RSS of a child process uploading a 1 GB clip (target < 80 MB), vs the same child idle;
* record CPU: CPU seconds per hour of 1080p ~4 Mbps H.264 remuxed into TS clips (target < 60 s/h),
  vs decoding the same video (the least a re-encoding recorder would spend).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import psutil
import pytest
from oss2.models import PartInfo
from vigil_camera.crc import crc64_file
from vigil_camera.credentials import TokenProvider
from vigil_camera.ossclient import DeviceOss
from vigil_camera.protocol import device_secret
from vigil_camera.upload import ClipUploader
from vigil_fn.core.devices import DeviceRecord, Registry

pytestmark = pytest.mark.bench
MB = 1_000_000
MiB = 1 << 20


def _device(cloud) -> tuple[str, str]:
    device_id = f"bench-{uuid.uuid4().hex[:10]}"
    Registry(cloud.bucket()).create(DeviceRecord(device_id, name="device bench"))
    return device_id, device_secret(cloud.master_key, device_id, 1)


def _big_file(path: Path, size: int) -> Path:
    block = os.urandom(MiB)
    with open(path, "wb") as fh:
        for _ in range(size // MiB):
            fh.write(block[:-8] + os.urandom(8))   # no two blocks alike
    return path


RUNS = 5   # issue 30's goal: the median of 5 runs >= 1.0x, every run >= 0.9x


def test_upload_throughput_vs_raw_put(cloud, tmp_path):
    device_id, secret = _device(cloud)
    path = _big_file(tmp_path / "clip.ts", 256 * MiB)
    size = path.stat().st_size
    raw = cloud.bucket()
    tokens = TokenProvider(cloud.functions["vigil-token"], device_id, secret)
    uploader = ClipUploader(DeviceOss(tokens), multipart_threshold=8 * MiB, part_size=16 * MiB,
                            part_workers=2)
    tokens.token()  # like the raw side's standing key: the first token (a cold FC start) is not upload time
    t0 = time.perf_counter()
    crc = crc64_file(path)              # the spool computes this at enqueue time, before the upload
    crc_s = time.perf_counter() - t0
    ratios, runs = [], []
    load_before = os.getloadavg()[0]    # the shared cores' load: ratios are only comparable with it
    for run in range(RUNS):             # interleaved, so both sides see the same load on the shared cores
        t0 = time.perf_counter()
        raw.put_object_from_file(f"bench/raw-{uuid.uuid4().hex}.ts", str(path))
        raw_s = time.perf_counter() - t0
        key = f"videos/{device_id}/2026/11/28/000000000Z-{run}.ts"
        t0 = time.perf_counter()
        res = uploader.upload_file(path, key, crc64=crc, checkpoint=tmp_path / f"cp{run}.json")
        client_s = time.perf_counter() - t0
        assert int(raw.head_object(key).server_crc) == crc == res.crc64
        ratios.append(raw_s / client_s)
        runs.append((size / MB / client_s, size / MB / raw_s))

    # The server's share, like for like with the raw PUT: the same oss2 client sends the same file
    # as 16 MiB parts one after the other, then completes (which links the parts, copying nothing).
    mp_key = f"bench/mp-{uuid.uuid4().hex}.ts"
    t0 = time.perf_counter()
    upload_id = raw.init_multipart_upload(mp_key).upload_id
    parts = []
    with open(path, "rb") as fh:
        for number in range(1, size // (16 * MiB) + 1):
            result = raw.upload_part(mp_key, upload_id, number, fh.read(16 * MiB))
            parts.append(PartInfo(number, result.etag))
    t1 = time.perf_counter()
    raw.complete_multipart_upload(mp_key, upload_id, parts)
    complete_s = time.perf_counter() - t1
    mp_s = time.perf_counter() - t0
    assert int(raw.head_object(mp_key).server_crc) == crc
    print(f"\n[device bench] 256 MiB as 16 sequential oss2 parts + complete: {size / MB / mp_s:.1f} MB/s "
          f"({mp_s:.2f} s), CompleteMultipartUpload {complete_s * 1000:.0f} ms; ratio multipart/raw put = "
          f"{size / MB / mp_s / runs[-1][1]:.2f}")
    each = ", ".join(f"{c:.0f}/{r:.0f} MB/s {q:.2f}x" for (c, r), q in zip(runs, ratios, strict=True))
    print(f"\n[device bench] 256 MiB upload, client (16 MiB parts, 2 in flight) / raw oss2 put_object, "
          f"{RUNS} interleaved runs: {each}; median {statistics.median(ratios):.2f}x (target >= 1.0), "
          f"lowest {min(ratios):.2f}x (target >= 0.9); the enqueue-time CRC pass took {crc_s:.2f} s; "
          f"load average {load_before:.1f} -> {os.getloadavg()[0]:.1f}")
    assert all(c > 0 and r > 0 for c, r in runs)


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from vigil_camera.credentials import TokenProvider
    from vigil_camera.ossclient import DeviceOss
    from vigil_camera.upload import ClipUploader
    token_url, device_id, secret, path, key, idle = sys.argv[1:7]
    tokens = TokenProvider(token_url, device_id, secret)
    up = ClipUploader(DeviceOss(tokens), multipart_threshold=8 << 20, part_size=16 << 20, part_workers=2)
    tokens.token()
    if idle == "1":
        time.sleep(1.0)
    else:
        up.upload_file(Path(path), key, checkpoint=Path(path + ".cp.json"))
    print("ok", flush=True)
""")


def _peak_rss(argv: list[str]) -> tuple[float, float]:
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ps = psutil.Process(proc.pid)
    peak = 0
    t0 = time.perf_counter()
    while proc.poll() is None:
        try:
            peak = max(peak, ps.memory_info().rss)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.02)
    out, err = proc.communicate()
    assert proc.returncode == 0, err.decode()[-2000:]
    return peak / MiB, time.perf_counter() - t0


def test_peak_rss_uploading_1gb(cloud, tmp_path):
    device_id, secret = _device(cloud)
    path = _big_file(tmp_path / "big.ts", 1024 * MiB)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    base = [sys.executable, str(script), cloud.functions["vigil-token"], device_id, secret, str(path)]
    idle_mb, _ = _peak_rss([*base, f"videos/{device_id}/2026/11/28/000000000Z-9.ts", "1"])
    peak_mb, secs = _peak_rss([*base, f"videos/{device_id}/2026/11/28/000000000Z-1.ts", "0"])
    assert int(cloud.bucket().head_object(f"videos/{device_id}/2026/11/28/000000000Z-1.ts").content_length) \
        == 1024 * MiB
    print(f"\n[device bench] 1 GiB upload in a child: peak RSS {peak_mb:.1f} MiB ({secs:.1f} s, "
          f"{1024 / secs:.1f} MiB/s); same child idle {idle_mb:.1f} MiB; ratio upload/idle = "
          f"{peak_mb / idle_mb:.2f} (target < 80 MiB)")
    assert peak_mb > 0


def test_record_cpu_per_hour_of_1080p(tmp_path):
    import av
    from vigil_camera import media

    src = tmp_path / "src.ts"
    fps, seconds = 25, 12
    with av.open(str(src), "w", format="mpegts") as out:
        stream = None
        for s, packet, _ in media.encode_test_packets(1920, 1080, fps, 2.0, frames=fps * seconds,
                                                      bitrate=4_000_000):
            if stream is None:
                stream = out.add_stream_from_template(s)
            packet.stream = stream
            out.mux(packet)
    mbps = src.stat().st_size * 8 / seconds / 1e6

    def cpu() -> float:
        t = os.times()
        return t.user + t.system

    c0 = cpu()
    clips: list[media.Clip] = []
    media.record(str(src), tmp_path / "clips", clips.append, clip_seconds=2.0)
    remux_cpu = cpu() - c0
    c0 = cpu()
    with av.open(str(src)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    decode_cpu = cpu() - c0
    assert frames == fps * seconds and len(clips) >= seconds // 2 - 1
    per_hour = remux_cpu * 3600 / seconds
    print(f"\n[device bench] record (remux) of 1080p {mbps:.1f} Mbit/s H.264: {remux_cpu:.3f} CPU s for "
          f"{seconds} s -> {per_hour:.1f} CPU s/hour (target < 60); decode of the same video "
          f"{decode_cpu:.2f} CPU s -> {decode_cpu * 3600 / seconds:.0f} CPU s/hour; "
          f"ratio remux/decode = {remux_cpu / decode_cpu:.3f}")
    assert remux_cpu > 0
