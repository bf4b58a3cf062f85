"""Continuous recording as an append log: one appendable object per device and UTC hour,
`live/<device>/<YYYY>/<MM>/<DD>/<HH>.ts` (MPEG-TS concatenates byte-wise, so the hour object
plays as one stream). Each finished clip is appended whole; an hour boundary starts a new object.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from .files import OssFile
from .keys import live_prefix
from .ossclient import DeviceOss


def live_key(device_id: str, moment: datetime) -> str:
    t = moment.astimezone(timezone.utc)
    return f"{live_prefix(device_id)}{t:%Y/%m/%d/%H}.ts"


class LiveAppender:
    def __init__(self, oss: DeviceOss, device_id: str, chunk: int = 1 << 20) -> None:
        self.oss = oss
        self.device_id = device_id
        self.chunk = chunk
        self._file: OssFile | None = None

    def append_clip(self, path: Path, start: datetime) -> str:
        """Append the clip's bytes to its hour's object; returns that key."""
        key = live_key(self.device_id, start)
        if self._file is None or self._file.key != key:
            self._file = OssFile(self.oss, key, "a")
        with open(path, "rb") as fh:
            while block := fh.read(self.chunk):
                self._file.write(block)
        return key
