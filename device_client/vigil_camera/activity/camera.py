"""The camera's side of activity: analyse each finished clip with the settings its token delivered.

Settings travel inside the token answer the camera already fetches (`activity`, from its registry
record): no new request and no new secret. Masks the camera knows itself (the clock it draws) are
added to them. A failed analysis never holds a clip back: the clip goes without activity.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path
from typing import Any

from .. import logs
from .analyzer import ActivityAnalyzer
from .meta import ActivityMetaError, pack
from .settings import ActivitySettings, ActivitySettingsError, Polygon

log = logs.get("vigil_camera.activity")


class CameraActivity:
    def __init__(self, oss: Any, *, own_masks: tuple[Polygon, ...] = (), mode: Any = "auto") -> None:
        self.oss = oss
        self.own_masks = own_masks
        self.analyzer = ActivityAnalyzer(self._settings(), mode=mode)

    def _settings(self) -> ActivitySettings:
        delivered = None
        try:
            delivered = self.oss.tokens.token().activity
        except Exception as exc:  # noqa: BLE001 - no token yet (offline): analyse with the last settings
            log.info("activity settings not refreshed", extra={"error": type(exc).__name__})
            if hasattr(self, "analyzer"):
                return self.analyzer.settings
        try:
            return ActivitySettings.from_dict(delivered).with_ignore(*self.own_masks)
        except ActivitySettingsError as exc:
            log.warning("activity settings refused, using defaults", extra={"error": str(exc)})
            return ActivitySettings().with_ignore(*self.own_masks)

    def pack_clip(self, path: Path, start: datetime | None) -> str | None:
        """The clip's packed activity header, or None (logged) when it cannot be had."""
        self.analyzer.update(self._settings())
        began = time.process_time()
        try:
            activity = self.analyzer.analyze(path, start=start)
            value = pack(activity)
        except (ActivityMetaError, OSError, ValueError) as exc:
            log.warning("clip sent without activity", extra={"file": path.name, "error": str(exc)})
            return None
        except Exception as exc:  # noqa: BLE001 - PyAV's errors: the clip matters more than its activity
            log.warning("clip sent without activity",
                        extra={"file": path.name, "error": f"{type(exc).__name__}: {exc}"})
            return None
        log.info("clip analysed", extra={"file": path.name, "active_seconds": sum(1 for s in activity.scores if s > 0),
                                         "peak": round(activity.peak, 2), "zones": list(activity.zones),
                                         "cpu_ms": round((time.process_time() - began) * 1000, 1)})
        return value
