"""HLS VOD playlists (RFC 8216) over indexed clips — pure functions, no I/O.

- Only readable MPEG-TS clips with a known duration are segments (hls.js needs `moof` for MP4,
  so progressive MP4 clips are played directly instead; see `playback`).
- `#EXT-X-PROGRAM-DATE-TIME` on every segment, so players show wall-clock time.
- `#EXT-X-DISCONTINUITY` before a segment whose start does not continue the previous one within
  `CONTINUITY_TOLERANCE_MS` (a gap or an overlap) or whose sequence number does not follow (the
  camera restarted: its timestamps start again) — RFC 8216 §4.3.2.3.
- `#EXT-X-TARGETDURATION` = ceil(longest EXTINF): every EXTINF rounded is ≤ it (§4.3.3.1).
- A playlist covers at most an hour and `MAX_SEGMENTS` segments, keeping it far under 1 MB even
  with ~2 KB presigned STS URLs; `windows` splits a long range into such playlists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from vigil_camera.keys import parse_clip_key

from .clips import ClipView
from .times import iso

CONTINUITY_TOLERANCE_MS = 250
MAX_PLAYLIST_MS = 3600 * 1000
MAX_SEGMENTS = 400
MAX_PLAYLIST_BYTES = 1024 * 1024
CONTENT_TYPE = "application/vnd.apple.mpegurl"


class PlaylistTooLarge(ValueError):
    """The playlist would exceed MAX_PLAYLIST_BYTES; ask for a shorter range."""


@dataclass(frozen=True)
class Segment:
    key: str
    start: int      # ms
    duration: int   # ms, > 0
    seq: int = -1   # the clip's sequence number from its key (-1 unknown)

    @property
    def end(self) -> int:
        return self.start + self.duration


def is_segment(clip: ClipView) -> bool:
    return clip.ok and clip.format == "ts" and (clip.duration or 0) > 0


@lru_cache(maxsize=8192)   # an hour's keys come back with every request for that hour
def clip_seq(key: str) -> int:
    """The clip's sequence number from its key (-1 when the key is not a clip key)."""
    parsed = parse_clip_key(key)
    return parsed.seq if parsed else -1


def segments(clips: Iterable[ClipView]) -> list[Segment]:
    """The HLS-playable clips, by start time (unreadable and MP4 left out)."""
    out = []
    for clip in clips:
        if is_segment(clip):
            out.append(Segment(clip.key, clip.start, int(clip.duration or 0), clip_seq(clip.key)))
    out.sort(key=lambda s: (s.start, s.key))
    return out


def continues(prev: Segment, seg: Segment) -> bool:
    """True when `seg` plays on from `prev` without a timestamp jump."""
    if abs(seg.start - prev.end) > CONTINUITY_TOLERANCE_MS:
        return False
    return prev.seq < 0 or seg.seq < 0 or seg.seq == prev.seq + 1


def target_duration(segs: Sequence[Segment]) -> int:
    return max(1, max((math.ceil(s.duration / 1000) for s in segs), default=1))


def render(segs: Sequence[Segment], urls: Sequence[str]) -> str:
    """The VOD playlist text; `urls[i]` is the absolute (presigned) URL of `segs[i]`."""
    if len(segs) != len(urls):
        raise ValueError("one URL per segment")
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", f"#EXT-X-TARGETDURATION:{target_duration(segs)}",
             "#EXT-X-MEDIA-SEQUENCE:0", "#EXT-X-PLAYLIST-TYPE:VOD", "#EXT-X-INDEPENDENT-SEGMENTS"]
    prev: Segment | None = None
    for seg, url in zip(segs, urls, strict=True):
        if prev is not None and not continues(prev, seg):
            lines.append("#EXT-X-DISCONTINUITY")
        lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{iso(seg.start)}")
        lines.append(f"#EXTINF:{seg.duration / 1000:.3f},")
        lines.append(url)
        prev = seg
    lines.append("#EXT-X-ENDLIST")
    text = "\n".join(lines) + "\n"
    if len(text.encode()) > MAX_PLAYLIST_BYTES:
        raise PlaylistTooLarge(f"the playlist would be over {MAX_PLAYLIST_BYTES} bytes; ask for a shorter range")
    return text


def windows(segs: Sequence[Segment], lo: int, hi: int) -> list[tuple[int, int]]:
    """Split segments into playlist ranges [start, end): each ≤ 1 h and ≤ MAX_SEGMENTS segments.

    A range selects the segments whose start lies in it (`select`), so the ranges partition the
    segments exactly; the first range begins at the first segment's start (it may start before `lo`
    when that clip overlaps `lo`).
    """
    bounds: list[int] = []
    count = 0
    for seg in segs:
        if not bounds or seg.start - bounds[-1] >= MAX_PLAYLIST_MS or count >= MAX_SEGMENTS:
            bounds.append(seg.start)
            count = 0
        count += 1
    out = []
    for i, start in enumerate(bounds):
        limit = start + MAX_PLAYLIST_MS
        nxt = bounds[i + 1] if i + 1 < len(bounds) else max(hi, start + 1)
        out.append((start, min(limit, nxt)))
    return out


def select(segs: Sequence[Segment], start: int, end: int) -> list[Segment]:
    return [s for s in segs if start <= s.start < end]
