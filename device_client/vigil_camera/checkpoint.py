"""The multipart checkpoint: enough to resume an upload after a reboot without re-sending parts.

    {"version": 1, "key": ..., "upload_id": ..., "size": <file bytes>, "part_size": ...,
     "crc64": <whole-file CRC, str>, "parts": {"<n>": {"etag": "...", "crc64": "<str>", "size": n}}}

CRCs are stored as decimal strings (64-bit values do not survive every JSON reader). The file is
rewritten atomically (temp + fsync + rename) after each confirmed part.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .status import write_json_atomic

VERSION = 1


@dataclass
class PartRecord:
    etag: str
    crc64: int
    size: int


@dataclass
class Checkpoint:
    key: str
    upload_id: str
    size: int
    part_size: int
    crc64: int
    parts: dict[int, PartRecord] = field(default_factory=dict)

    @property
    def part_count(self) -> int:
        return max(1, -(-self.size // self.part_size))

    def part_range(self, number: int) -> tuple[int, int]:
        """(offset, length) of part `number` (1-based)."""
        offset = (number - 1) * self.part_size
        return offset, min(self.part_size, self.size - offset)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION, "key": self.key, "upload_id": self.upload_id, "size": self.size,
            "part_size": self.part_size, "crc64": str(self.crc64),
            "parts": {str(n): {"etag": p.etag, "crc64": str(p.crc64), "size": p.size}
                      for n, p in sorted(self.parts.items())},
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Checkpoint:
        if doc.get("version") != VERSION:
            raise ValueError("unknown checkpoint version")
        parts = {int(n): PartRecord(str(p["etag"]), int(p["crc64"]), int(p["size"]))
                 for n, p in doc.get("parts", {}).items()}
        return cls(str(doc["key"]), str(doc["upload_id"]), int(doc["size"]), int(doc["part_size"]),
                   int(doc["crc64"]), parts)


class CheckpointFile:
    """A checkpoint on disk, updated under a lock by the part workers."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()

    def load(self) -> Checkpoint | None:
        """The saved checkpoint, or None if absent or unreadable (then the upload starts over)."""
        try:
            return Checkpoint.from_json(json.loads(self.path.read_text()))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, cp: Checkpoint) -> None:
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.path, cp.to_json())

    def record_part(self, cp: Checkpoint, number: int, part: PartRecord) -> None:
        with self._lock:
            cp.parts[number] = part
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomic(self.path, cp.to_json())

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
