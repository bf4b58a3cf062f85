"""Which packets of a clip go into an export of [start, end): the cut rule, without re-encoding.

A copied H.264 stream can only begin at a keyframe, so the file starts at the last keyframe at or
before the requested start (its GOP is kept whole: the frames before `start` are needed to decode
the frame on screen at `start`). That is at most one GOP earlier than asked. It ends with the last
frame whose timestamp is before `end`; in decode order, the first packet at or past `end` ends the
clip, so a stream with B-frames never keeps a frame whose reference was cut (it may lose the
reordered frames just before `end` instead, never gain undecodable ones).

Times are plain integers on one scale (the caller uses wall-clock ms × the stream's time-base
denominator, so no packet needs a Fraction). Memory: one GOP of packets while seeking the start.
"""

from __future__ import annotations

from typing import Generic, TypeVar

T = TypeVar("T")
SEEK, COPY, DONE = "seek", "copy", "done"


class ClipCut(Generic[T]):
    """Feed a clip's packets in decode order; get back the ones to write, in order."""

    def __init__(self, start: int, end: int) -> None:
        self.start, self.end = start, end
        self.state = SEEK
        self._gop: list[T] = []       # from the last keyframe at or before `start`
        self._gop_last = 0            # time of the newest buffered packet

    @property
    def done(self) -> bool:
        """Nothing later in this clip can be in the range: stop reading it."""
        return self.state == DONE

    def feed(self, item: T, t: int, keyframe: bool) -> list[T]:
        if self.state == DONE:
            return []
        if t >= self.end:
            self.state = DONE
            return self._flush()       # a buffered GOP lies before `end`: it holds the frame at `start`
        if self.state == COPY:
            return [item]
        if t <= self.start:
            if keyframe:
                self._gop = [item]     # a later keyframe still at or before `start`: the older GOP is not needed
            elif self._gop:
                self._gop.append(item)
            # else: before the clip's first keyframe, undecodable on its own
            self._gop_last = max(self._gop_last, t)
            return []
        if not keyframe and not self._gop:
            return []                  # no keyframe yet in this clip
        self.state = COPY
        return self._flush() + [item]

    def finish(self, period: int) -> list[T]:
        """The clip ended while seeking: its last GOP counts only if its last frame is still on screen
        at `start` (the range starts within the last frame's duration)."""
        if self.state == SEEK and self._gop and self._gop_last + period > self.start:
            self.state = DONE
            return self._flush()
        self.state = DONE
        self._gop = []
        return []

    def _flush(self) -> list[T]:
        out, self._gop = self._gop, []
        return out
