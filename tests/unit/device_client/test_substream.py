"""`substream.SubstreamActivity`: a main clip gets the substream's seconds by wall clock, waits for
them within a bound, and goes without activity (never lost) when none cover it."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from vigil_camera.activity.meta import ClipActivity, pack, unpack
from vigil_camera.gatewayconfig import parse_camera
from vigil_camera.substream import HeldSink, SubstreamActivity

T0 = datetime(2026, 12, 7, 10, 0, 0, 300000, tzinfo=timezone.utc)


@dataclass
class Clip:
    path: Path
    start: datetime
    duration: float


class Scripted:
    """The analyzer's interface (`pack_clip`), answering the scores scripted per clip start."""

    def __init__(self, scores: dict[datetime, tuple[float, ...]]) -> None:
        self.scores = scores

    def pack_clip(self, path: Path, start: datetime) -> str:
        s = self.scores[start]
        return pack(ClipActivity(s, tuple((0.1, 0.1, 0.5, 0.5) if v else None for v in s), (0,) * len(s), ()))


def _sub_clip(tmp_path: Path, start: datetime, seconds: float) -> Clip:
    path = tmp_path / f"sub-{start.timestamp()}.ts"
    path.write_bytes(b"x")
    return Clip(path, start, seconds)


def test_a_main_clip_gets_the_seconds_it_spans_by_wall_clock(tmp_path: Path) -> None:
    second = T0 + timedelta(seconds=4)
    sub = SubstreamActivity(Scripted({T0: (0, 1, 0, 0), second: (0, 0, 1, 1)}), camera_id="cam-1")
    first = _sub_clip(tmp_path, T0, 4.0)
    sub.on_sub_clip(first)
    assert not first.path.exists()                       # substream clips are never uploaded
    main_start = T0 + timedelta(seconds=0.9)             # 10:00:01.2: its seconds are 1, 2, 3, 4, 5
    assert not sub.wait_covered((main_start + timedelta(seconds=5)).timestamp(), 0.05)
    sub.on_sub_clip(_sub_clip(tmp_path, second, 4.0))
    assert sub.wait_covered((main_start + timedelta(seconds=5)).timestamp(), 0.05)
    value = sub.pack_clip(tmp_path / "main.ts", main_start, 5.0)
    assert value is not None
    assert unpack(value, max_seconds=5).scores == (1.0, 0.0, 0.0, 0.0, 0.0)  # 10:00:01 … 10:00:05
    later = sub.pack_clip(tmp_path / "main.ts", T0 + timedelta(seconds=6), 2.0)
    assert later is not None and unpack(later, max_seconds=2).scores == (1.0, 1.0)
    assert sub.pack_clip(tmp_path / "main.ts", T0 + timedelta(seconds=60), 3.0) is None   # none covered


def test_held_clips_go_to_the_sink_when_covered_or_when_the_substream_ends(tmp_path: Path) -> None:
    sub = SubstreamActivity(Scripted({T0: (1, 1, 1, 1)}), camera_id="cam-1")
    got: list[Clip] = []
    arrived = threading.Event()

    def sink(clip: Clip) -> None:
        got.append(clip)
        arrived.set()

    held = HeldSink(sink, sub, wait_slack=600)
    main = Clip(tmp_path / "main.ts", T0, 3.0)
    held(main)
    assert not arrived.wait(0.2)                          # held: the substream has not covered it
    sub.on_sub_clip(_sub_clip(tmp_path, T0, 4.0))
    assert arrived.wait(30) and got == [main]
    late = Clip(tmp_path / "late.ts", T0 + timedelta(seconds=30), 3.0)
    held(late)
    sub.close()                                           # the substream ended: no more waiting
    held.close()
    assert got == [main, late]


def test_activity_per_camera_in_the_config() -> None:
    assert parse_camera({"id": "cam-1", "url": "rtsp://h/s", "activity": False}, 0, {}).activity is False
    assert parse_camera({"id": "cam-1", "url": "rtsp://h/s"}, 0, {}).activity is None
