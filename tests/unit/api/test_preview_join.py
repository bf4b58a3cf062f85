"""The preview's join into the next clip (api/preview.py), on real H.264 clips: a clip that carries the
recording on is joined on the first clip's clock; one of another size, or one that does not read, is
left out and the preview ends with its own clip — never an error for the viewer."""

from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from pathlib import Path

import av
from vigil_camera import media
from vigil_fn.api.preview import Then, preview_mp4

FPS = 10
T0 = datetime(2026, 12, 1, 8, 0, tzinfo=timezone.utc)


def _clips(tmp: Path, width: int, start: datetime) -> list[bytes]:
    out: list[media.Clip] = []
    media.simulate(tmp, out.append, fps=FPS, width=width, height=width * 9 // 16, clip_seconds=2.0, count=2,
                   realtime=False, keyframe_seconds=1.0, start=start)
    return [c.path.read_bytes() for c in out]


def _span_ms(mp4: bytes) -> float:
    """Presentation time of the last frame shown."""
    with av.open(io.BytesIO(mp4)) as c:
        return max(float(f.time) for f in c.decode(video=0)) * 1000


def test_joins_a_clip_of_the_same_picture_and_leaves_out_one_that_cannot_join(tmp_path: Path) -> None:
    first, second = _clips(tmp_path / "a", 320, T0)
    alone = _span_ms(preview_mp4(first, 1500))
    joined = _span_ms(preview_mp4(first, 1500, then=Then(second, 2000)))
    assert alone < 500 and 2000 - 2 * 1000 / FPS <= joined < 2500   # 0.5 s left in the clip; 3 s asked
    other = _clips(tmp_path / "b", 480, T0 + timedelta(seconds=2))[0]   # another size: not one track
    assert _span_ms(preview_mp4(first, 1500, then=Then(other, 2000))) == alone
    assert _span_ms(preview_mp4(first, 1500, then=Then(b"\x47" + b"\x00" * 4000, 2000))) == alone
