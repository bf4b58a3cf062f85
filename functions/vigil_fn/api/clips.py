"""A clip as the api's handlers select it: typed fields instead of a timeline item's dict, so a
route filters with `clip.ok` and `clip.format` rather than `i.get("type")` and `str(i["key"])`.

Built straight from an index row (`indexer.rows`); pure (the playlist builder uses it too)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..indexer.rows import DURATION, KEY, SIZE, START, STATUS, Row

Format = Literal["mp4", "ts"]


def clip_format(key: str) -> Format:
    """Progressive MP4 (played directly) or MPEG-TS (an HLS segment), from the key's extension."""
    return "mp4" if key.endswith(".mp4") else "ts"


@dataclass(frozen=True, slots=True)
class ClipView:
    key: str
    start: int                 # UTC ms
    duration: int | None       # ms; None when the clip is unreadable
    size: int
    ok: bool                   # readable (status "ok")

    @classmethod
    def of(cls, row: Row) -> ClipView:
        return cls(row[KEY], int(row[START]), row[DURATION], int(row[SIZE] or 0), row[STATUS] == "ok")

    @property
    def end(self) -> int:
        return self.start + (self.duration or 0)

    @property
    def format(self) -> Format:
        return clip_format(self.key)
