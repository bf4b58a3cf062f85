"""Gateway benchmarks over real RTSP (`make bench`), each beside a peer in the same run.

* CPU per camera-hour: our recorder (remux, audio kept; G.711 transcoded) vs `ffmpeg -c copy`
  recording the same 1080p 4 Mbit/s stream at the same time, as separate processes.
* Memory: peak RSS of one recorder process with 1 and with N cameras.
* Restart: seconds from an RTSP server restart (listening again) to the first packet of a new clip.
* Many cameras (BENCH_GATEWAY_CAMERAS, default "16,32"): one process recording N sessions vs N
  `ffmpeg -c copy` processes of the same stream at the same time: CPU, peak RSS, clip lateness
  (wall time when a clip is handed on minus its media end), the RTSP server's CPU and the machine's
  idle share (what saturates).

The runs are short (BENCH_SECONDS, default 40 s) and CPU is extrapolated to an hour linearly:
steady remuxing costs the same every second, but the figures carry the start-up cost (process
start, FFmpeg probe) spread over a short run, so they overstate an hour slightly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.rtsp.server import RtspServer
from tests.waiting import wait_for

pytestmark = pytest.mark.bench
SECONDS = float(os.environ.get("BENCH_SECONDS", "40"))

RECORDER = textwrap.dedent("""
    import json, resource, sys, threading, time
    from pathlib import Path
    from vigil_camera import logs
    from vigil_camera.recording import Recorder
    logs.setup("WARNING", sys.stderr)     # JSON lines: a lost stream says why
    urls, out, seconds, audio = json.loads(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1"
    counts, late = [], []
    def done(made, c):
        late.append(time.time() - (c.start.timestamp() + c.duration))   # handed on this long after its end
        made.append(c)
        c.path.unlink()
    def run(i, url):
        made = []
        Recorder(url, out / str(i), lambda c: done(made, c), clip_seconds=10.0,
                 max_seconds=seconds, audio=audio).run()
        counts.append(len(made))
    threads = [threading.Thread(target=run, args=(i, u)) for i, u in enumerate(urls)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    ru = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"clips": counts, "maxrss_mb": ru.ru_maxrss / 1024, "late": sorted(late)}))
""")


def _child_cpu(proc: subprocess.Popen[bytes]) -> tuple[float, float]:
    """(cpu seconds, peak RSS MB) of a finished child, from wait4."""
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return ru.ru_utime + ru.ru_stime, ru.ru_maxrss / 1024


def _ours(urls: list[str], out: Path, seconds: float, audio: bool, nice: int = 0) -> subprocess.Popen[bytes]:
    return subprocess.Popen([*_niced(nice), sys.executable, "-c", RECORDER, json.dumps(urls), str(out), str(seconds),
                             "1" if audio else "0"], stdout=subprocess.PIPE)


def _niced(nice: int) -> list[str]:
    return ["nice", "-n", str(nice)] if nice else []


def _ffmpeg(url: str, out: Path, seconds: float, nice: int = 0) -> subprocess.Popen[bytes]:
    out.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([*_niced(nice), "ffmpeg", "-nostdin", "-loglevel", "error", "-rtsp_transport", "tcp",
                             "-i", url, "-t", str(seconds), "-map", "0", "-c", "copy", "-f", "segment",
                             "-segment_time", "10", "-reset_timestamps", "1", str(out / "%05d.ts")])


@pytest.fixture(scope="module")
def hd() -> RtspServer:
    server = RtspServer(size="1920x1080", fps=25, gop=50, kbps=4000).start()
    yield server
    server.stop()


@pytest.mark.parametrize("mount", ["aac", "pcmu"])
def test_cpu_per_camera_hour_vs_ffmpeg_copy(hd: RtspServer, tmp_path: Path, mount: str) -> None:
    url = hd.url(mount)
    ours = _ours([url], tmp_path / "ours", SECONDS, audio=True)
    peer = _ffmpeg(url, tmp_path / "ffmpeg", SECONDS)
    ours_cpu, ours_rss = _child_cpu(ours)
    peer_cpu, peer_rss = _child_cpu(peer)
    assert ours.returncode == 0 and peer.returncode == 0
    # start-up (interpreter + imports / ffmpeg's own), spread over a short run, is not per-hour cost
    ours_start, _ = _child_cpu(subprocess.Popen([sys.executable, "-c", "import av, vigil_camera.recording"]))
    peer_start, _ = _child_cpu(subprocess.Popen(["ffmpeg", "-hide_banner", "-version"], stdout=subprocess.DEVNULL))
    assert json.loads(ours.stdout.read())["clips"][0] >= int(SECONDS // 10)   # it recorded (stdout is ours)
    per_hour = 3600 / SECONDS
    audio = "AAC kept" if mount == "aac" else "G.711 -> AAC"
    print(f"\n[gateway bench] RTSP 1080p25 4 Mbit/s H.264 + {mount} ({audio}),"
          f" {SECONDS:g} s run extrapolated to an hour:"
          f"\n  ours  {ours_cpu * per_hour:7.1f} CPU-s/camera-hour  peak RSS {ours_rss:6.1f} MB"
          f"\n  ffmpeg -c copy {peer_cpu * per_hour:7.1f} CPU-s/camera-hour  peak RSS {peer_rss:6.1f} MB"
          f"\n  ratio ours/ffmpeg {ours_cpu / max(peer_cpu, 1e-6):.2f}x (target <= 1.2x for AAC)"
          f"\n  without start-up (ours {ours_start:.2f} s, ffmpeg {peer_start:.2f} s): ours "
          f"{(ours_cpu - ours_start) * per_hour:.1f}, ffmpeg {(peer_cpu - peer_start) * per_hour:.1f} CPU-s/h, "
          f"ratio {(ours_cpu - ours_start) / max(peer_cpu - peer_start, 1e-6):.2f}x")


def test_memory_for_one_and_n_cameras(hd: RtspServer, tmp_path: Path) -> None:
    n = int(os.environ.get("BENCH_CAMERAS", "4"))
    figures = {}
    for count in (1, n):
        urls = [f"{hd.url('aac')}?cam={i}" for i in range(count)]    # one shared stream, N sessions
        proc = _ours(urls, tmp_path / f"n{count}", min(SECONDS, 20), audio=True)
        _, rss = _child_cpu(proc)
        assert proc.returncode == 0
        figures[count] = rss
    idle = subprocess.run([sys.executable, "-c", "import resource, av, vigil_camera.recording;"
                           "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)"],
                          capture_output=True, text=True, check=True)
    per_camera = (figures[n] - figures[1]) / max(1, n - 1)
    print(f"\n[gateway bench] peak RSS, 1080p 4 Mbit/s + AAC: 1 camera {figures[1]:.1f} MB (bound 80 MB), "
          f"{n} cameras {figures[n]:.1f} MB, {per_camera:.1f} MB per added camera (bound 25 MB); "
          f"peer: the same process idle with PyAV imported {float(idle.stdout):.1f} MB")


def test_first_clip_after_a_server_restart(tmp_path: Path) -> None:
    import threading

    from vigil_camera.recording import Recorder

    server = RtspServer(size="1280x720", fps=25, gop=25, kbps=2000).start()
    packets: list[float] = []
    stop = [False]
    recorder = Recorder(server.url("aac"), tmp_path, lambda c: None, clip_seconds=2.0, audio=True,
                        read_timeout=3.0, stop=lambda: stop[0],
                        on_packet=lambda s, p, m: packets.append(time.monotonic()))
    thread = threading.Thread(target=recorder.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: len(packets) > 50, 30, "recording")
        server.kill()
        killed = time.monotonic()
        wait_for(lambda: recorder.last_error is not None, 30, "the loss noticed")
        server.start()
        back = time.monotonic()
        wait_for(lambda: packets[-1] > back, 30, "recording again")
        first = next(t for t in packets if t > back)
    finally:
        stop[0] = True
        thread.join(30)
        server.stop()
    # No peer: `ffmpeg -c copy` does not reconnect at all (it exits when the server goes away).
    print(f"\n[gateway bench] RTSP server restart (kill -9, then listening again {back - killed:.2f} s later): "
          f"first packet of a new clip {first - back:.2f} s after the server listened again (target < 5 s)")


def _proc_cpu(pid: int) -> float:
    """CPU seconds a running process has used (utime + stime from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _machine_idle() -> tuple[float, float]:
    """(idle, total) jiffies of the whole machine, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return values[3] + values[4], sum(values)


MANY_SIZE = os.environ.get("BENCH_GATEWAY_SIZE", "1280x720")
MANY_KBPS = int(os.environ.get("BENCH_GATEWAY_KBPS", "2000"))
# Ours and the N ffmpeg peers run at this niceness, the same for both, the RTSP server at 0: at 16
# cameras on a shared 2-core machine the server's one live encode starved otherwise (the 16- and
# 8-camera runs timed out), and a starved source measures the server, not the recorders.
MANY_NICE = int(os.environ.get("BENCH_GATEWAY_NICE", "10"))


@pytest.fixture(scope="module")
def many() -> RtspServer:
    """720p by default: the server encodes the one shared stream live, and on a shared 2-core machine
    a 1080p encode starves before the recorders do (measured: 3 s of 1080p took 24 s to serve)."""
    server = RtspServer(size=MANY_SIZE, fps=25, gop=50, kbps=MANY_KBPS).start()
    yield server
    server.stop()


@pytest.mark.parametrize("n", [int(v) for v in os.environ.get("BENCH_GATEWAY_CAMERAS", "16,32").split(",")])
def test_many_cameras_in_one_process_vs_as_many_ffmpeg(many: RtspServer, tmp_path: Path, n: int) -> None:
    seconds = min(SECONDS, 30)
    urls = [f"{many.url('aac')}?cam={i}" for i in range(n)]    # one shared stream, N RTSP sessions
    assert many.proc is not None
    server_before, (idle_before, total_before) = _proc_cpu(many.proc.pid), _machine_idle()
    began = time.monotonic()
    ours = _ours(urls, tmp_path / "ours", seconds, audio=True, nice=MANY_NICE)
    peers = [_ffmpeg(url, tmp_path / f"ffmpeg{i}", seconds, nice=MANY_NICE) for i, url in enumerate(urls)]
    try:
        ours_cpu, ours_rss = _child_cpu(ours)
        peer = [_child_cpu(p) for p in peers]
    finally:                      # a timeout must not leave N recorders behind on a shared machine
        for proc in (ours, *peers):
            if proc.returncode is None:
                proc.kill()
    server_cpu = _proc_cpu(many.proc.pid) - server_before
    wall = time.monotonic() - began
    idle_after, total_after = _machine_idle()
    assert ours.returncode == 0 and [p.returncode for p in peers] == [0] * n
    result = json.loads(ours.stdout.read())
    assert min(result["clips"]) >= int(seconds // 10) - 1, result["clips"]    # every camera recorded
    late = result["late"]
    peer_cpu = sum(c for c, _ in peer)
    peer_rss = sum(r for _, r in peer)
    per_hour = 3600 / seconds
    idle = (idle_after - idle_before) / max(1, total_after - total_before)
    print(f"\n[gateway bench] {n} cameras, RTSP {MANY_SIZE} 25 fps {MANY_KBPS} kbit/s H.264 + AAC kept, {seconds:g} s,"
          f" all at once on {os.cpu_count()} cores (server on the same machine, recorders at nice {MANY_NICE}):"
          f"\n  ours, one process  {ours_cpu * per_hour / n:6.1f} CPU-s/camera-hour  peak RSS {ours_rss:6.1f} MB"
          f" ({ours_rss / n:.1f} MB/camera; bound 450 MB for 16)"
          f"\n  {n} x ffmpeg -c copy {peer_cpu * per_hour / n:6.1f} CPU-s/camera-hour  RSS sum {peer_rss:6.1f} MB"
          f"\n  ratio ours/ffmpeg CPU {ours_cpu / max(peer_cpu, 1e-6):.2f}x, RSS {ours_rss / max(peer_rss, 1e-6):.2f}x"
          f"\n  clip lateness (handed on after its media end): median {late[len(late) // 2]:.2f} s,"
          f" max {late[-1]:.2f} s over {len(late)} clips"
          f"\n  over {wall:.0f} s wall: RTSP server {server_cpu / wall:.2f} cores; ours {ours_cpu / wall:.2f} cores;"
          f" ffmpeg {peer_cpu / wall:.2f} cores; machine idle {idle:.0%}, load average {os.getloadavg()[0]:.0f}"
          f" (everyone on it; lateness grows when the server's live encode is starved)")
