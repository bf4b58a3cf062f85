"""The gateway's activity analyzer per camera-hour on a substream vs on the main stream (`make bench`).

The same analyzer (`ActivityAnalyzer`, keyframes, as `CameraActivity` runs it) on the RTSP server's
`/sub` (320x180, 15 fps, keyframe 1 s: what `substream.py` analyses) and, at the same time, on its
main `/video` (1280x720, 25 fps, keyframe 1 s: what a camera without a substream gets). Each runs in
its own `Recorder` thread; the figures are that thread's CPU (`time.thread_time`), the analyzer's
alone and the recorder's with it (the substream's second RTSP session is its own cost), per hour of
media. Printed with the ratio and the load average; nothing is asserted on them.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.rtsp.server import RtspServer

pytestmark = pytest.mark.bench
SECONDS = float(os.environ.get("BENCH_SECONDS", "40"))


def _analyse(url: str, work: Path, clip_seconds: float, into: dict[str, float]) -> None:
    from vigil_camera.activity.analyzer import ActivityAnalyzer
    from vigil_camera.activity.meta import pack
    from vigil_camera.recording import Recorder

    analyzer = ActivityAnalyzer()

    def on_clip(clip: Any) -> None:
        began = time.thread_time()
        pack(analyzer.analyze(clip.path, start=clip.start))
        into["analyzer"] += time.thread_time() - began
        into["media"] += clip.duration
        clip.path.unlink()

    t0, cpu0 = time.monotonic(), time.thread_time()
    Recorder(url, work, on_clip, clip_seconds=clip_seconds, stop=lambda: time.monotonic() - t0 > SECONDS).run()
    into["total"] = time.thread_time() - cpu0
    into["frames"] = analyzer.frames_decoded


def test_analyzer_cpu_on_the_substream_vs_the_main_stream(tmp_path: Path) -> None:
    server = RtspServer(size="1280x720", fps=25, gop=25, kbps=2000).start()
    try:
        figures: dict[str, dict[str, float]] = {m: {"analyzer": 0.0, "media": 0.0, "total": 0.0, "frames": 0}
                                                for m in ("sub", "video")}
        threads = [threading.Thread(target=_analyse, args=(server.url(m), tmp_path / m, c, figures[m]))
                   for m, c in (("sub", 4.0), ("video", 10.0))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        server.kill()
    per_hour = {m: {k: f[k] * 3600 / f["media"] for k in ("analyzer", "total")} for m, f in figures.items()}
    for f in figures.values():
        assert f["media"] > 0 and f["frames"] > 0          # both streams were recorded and analysed
    sub, main = per_hour["sub"], per_hour["video"]
    print(f"\n[substream bench] {SECONDS:g} s each, at once; CPU-seconds per camera-hour: analyzer on the "
          f"substream 320x180 {sub['analyzer']:.1f} (recorder + analyzer {sub['total']:.1f}), on the main "
          f"1280x720 {main['analyzer']:.1f} (recorder + analyzer {main['total']:.1f}); analyzer ratio "
          f"substream/main {sub['analyzer'] / max(main['analyzer'], 1e-9):.2f}; load {os.getloadavg()[0]:.1f}")
