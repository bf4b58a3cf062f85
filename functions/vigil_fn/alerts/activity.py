"""The activity event alerts consume: a small typed record, parsed at the edge.

The activity issue's indexer step writes one record per detected event; the alerts function
receives them as an async invocation `{"activity": [record, ...]}` (the indexer already has the
event in hand, so an invocation is one request and no extra object read — an OSS trigger on an
events prefix would cost a PUT plus a GET and a second hop of OSS event latency). Fields:

    {"id": "<stable event id>", "camera": "<device id>", "zone": "<zone name>", "label": "person",
     "score": 0.0..1.0, "start_ms": <epoch ms>, "end_ms": <epoch ms>, "clip_key": "videos/..."}

`label` and `clip_key` are optional. A record that does not parse is refused alone (the others go on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from vigil_camera.keys import validate_device_id


class EventError(ValueError):
    """An activity record that cannot be used."""


@dataclass(frozen=True)
class ActivityEvent:
    id: str
    camera: str
    zone: str
    score: float
    start_ms: int
    end_ms: int
    label: str = ""
    clip_key: str = ""

    @classmethod
    def parse(cls, doc: Any) -> ActivityEvent:
        if not isinstance(doc, dict):
            raise EventError("an activity event must be an object")
        try:
            camera = validate_device_id(str(doc.get("camera", "")))
        except ValueError:
            raise EventError("camera: not a camera id") from None
        event_id, zone = doc.get("id"), doc.get("zone", "")
        if not isinstance(event_id, str) or not 0 < len(event_id) <= 200:
            raise EventError("id: must be text of 1 to 200 characters")
        if not isinstance(zone, str) or len(zone) > 64:
            raise EventError("zone: must be text of at most 64 characters")
        score = doc.get("score")
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise EventError("score: must be a number from 0 to 1")
        start, end = doc.get("start_ms"), doc.get("end_ms")
        if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool) \
                or isinstance(end, bool) or start <= 0 or end < start:
            raise EventError("start_ms, end_ms: epoch milliseconds, end not before start")
        label, clip = doc.get("label", ""), doc.get("clip_key", "")
        if not isinstance(label, str) or len(label) > 64 or not isinstance(clip, str) or len(clip) > 1024:
            raise EventError("label, clip_key: text")
        return cls(id=event_id, camera=camera, zone=zone, score=float(score), start_ms=start, end_ms=end,
                   label=label, clip_key=clip)

    def to_doc(self) -> dict[str, Any]:
        return {"id": self.id, "camera": self.camera, "zone": self.zone, "label": self.label, "score": self.score,
                "start_ms": self.start_ms, "end_ms": self.end_ms, "clip_key": self.clip_key}


def parse_batch(docs: Any) -> tuple[list[ActivityEvent], list[str]]:
    """(events, reasons for the refused ones)."""
    if not isinstance(docs, list):
        return [], ["activity: must be a list of events"]
    events, refused = [], []
    for i, doc in enumerate(docs[:1000]):
        try:
            events.append(ActivityEvent.parse(doc))
        except EventError as exc:
            refused.append(f"activity[{i}].{exc}")
    return events, refused
