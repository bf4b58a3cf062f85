"""Where a clip file belongs in the bucket: its UTC start time and sequence number, from its name.

Rules (documented in docs/device-client.md):
* start time: the first `YYYYMMDD[T_-]HHMMSS[.mmm|mmm]` in the name, read as UTC (cameras are set
  to UTC, and a trailing `Z` is accepted); else the file's mtime minus its duration (probed with
  PyAV when the `media` extra is installed, else 0 — then the mtime, i.e. the clip's end, is used);
* sequence: the last run of digits after the time (e.g. `..._000123.ts` → 123); a name without one
  gets a stable number from a CRC-32 of the file name, so the same file always maps to the same key
  (a retry never makes a second copy) and two different files at the same millisecond do not clash.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .keys import CLIP_EXTENSIONS, clip_key

_TIME_RE = re.compile(
    r"(?P<y>\d{4})-?(?P<m>\d{2})-?(?P<d>\d{2})[T_\-]?(?P<hh>\d{2})[:\-]?(?P<mi>\d{2})[:\-]?(?P<ss>\d{2})"
    r"(?:[.,]?(?P<ms>\d{3}))?Z?"
)
NAME_PATTERN = "YYYYMMDDTHHMMSS[mmm][Z][-SEQ].ts|.mp4"
"""How a clip's name says when it starts, as the messages that refuse a name put it."""
_SEQ_RE = re.compile(r"(\d{1,12})(?!.*\d)")


@dataclass(frozen=True)
class ClipInfo:
    start: datetime
    seq: int
    ext: str

    def key(self, device_id: str) -> str:
        return clip_key(device_id, self.start, self.seq, self.ext)


def start_from_name(name: str) -> tuple[datetime, int] | None:
    """(start, end index of the match) when the name carries a timestamp."""
    for m in _TIME_RE.finditer(name):
        try:
            start = datetime(int(m["y"]), int(m["m"]), int(m["d"]), int(m["hh"]), int(m["mi"]), int(m["ss"]),
                             int(m["ms"] or 0) * 1000, tzinfo=timezone.utc)
        except ValueError:
            continue
        if 2000 <= start.year <= 2200:
            return start, m.end()
    return None


def probe_duration(path: Path) -> float:
    """Duration in seconds by reading the container with PyAV; 0.0 when unknown or unavailable."""
    try:
        from .media import clip_duration
    except ImportError:
        return 0.0
    try:
        return clip_duration(path)
    except Exception:  # noqa: BLE001 - any decoding problem means "unknown"
        return 0.0


def clip_info(path: Path) -> ClipInfo:
    ext = path.suffix.lstrip(".").lower()
    if ext not in CLIP_EXTENSIONS:
        raise ValueError(f"not a clip ({', '.join(CLIP_EXTENSIONS)}): {path.name}")
    stem = path.stem
    found = start_from_name(stem)
    if found is not None:
        start, end = found
        m = _SEQ_RE.search(stem[end:])
        seq = int(m.group(1)) if m else zlib.crc32(path.name.encode()) % 1_000_000
    else:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
        start = mtime - timedelta(seconds=probe_duration(path))
        m = _SEQ_RE.search(stem)
        seq = int(m.group(1)) if m else zlib.crc32(path.name.encode()) % 1_000_000
    return ClipInfo(start.replace(microsecond=start.microsecond // 1000 * 1000), seq, ext)
