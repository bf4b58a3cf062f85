"""Per-camera activity settings: sensitivity, minimum object size, ignore zones and named zones.

Pure Python (no numpy): the api validates settings with this module before it stores them in the
device registry, the token function hands them to the camera, and the camera's analyzer reads them.
One validator, so a setting the page accepts is a setting the camera understands.

Polygons are lists of [x, y] points in 0–1 frame coordinates (x to the right, y down), so a zone
drawn over a still stays right when the camera streams at another resolution.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

ZONE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.-]{0,31}$", re.ASCII)
MAX_ZONES = 16            # the per-second zone mask travels as 3 base-64 digits (18 bits)
MAX_IGNORE_ZONES = 16
MAX_POINTS = 32
DEFAULT_SENSITIVITY = 0.5
DEFAULT_MIN_OBJECT = 0.002   # 0.2 % of the frame: a person at 15 m across a 90° 1080p view covers ~0.5 %

Point = tuple[float, float]
Polygon = tuple[Point, ...]


class SettingWords:
    """A part of a message (which zone) as a `{name}` template and fields, translated with it."""

    def __init__(self, template: str, /, **fields: Any) -> None:
        self.template, self.fields = template, fields

    def __str__(self) -> str:
        return self.template.format_map(self.fields)


class ActivitySettingsError(ValueError):
    """A setting a person must fix; the message names the zone and the problem in plain words.

    The message is a constant `{name}` template with fields, as the api's messages are (issue 31): `str()`
    is English (the camera's log), the api renders `template` in the request's language (routes/events.py);
    the functions' catalog holds these templates."""

    status = 400
    code = "invalid_activity_settings"

    def __init__(self, template: str, /, **fields: Any) -> None:
        self.template, self.fields = template, fields
        super().__init__(template.format_map({k: str(v) if isinstance(v, SettingWords) else v
                                              for k, v in fields.items()}))


@dataclass(frozen=True)
class ActivitySettings:
    sensitivity: float = DEFAULT_SENSITIVITY          # 0 (only large, strong changes) … 1 (everything)
    min_object: float = DEFAULT_MIN_OBJECT            # smallest changed area that counts, fraction of frame
    ignore_zones: tuple[Polygon, ...] = ()            # trees, flags, the on-screen clock
    zones: tuple[tuple[str, Polygon], ...] = field(default=())   # (name, polygon), named for events

    def to_dict(self) -> dict[str, Any]:
        return {
            "sensitivity": self.sensitivity,
            "min_object": self.min_object,
            "ignore_zones": [[list(p) for p in poly] for poly in self.ignore_zones],
            "zones": [{"name": name, "points": [list(p) for p in poly]} for name, poly in self.zones],
        }

    @classmethod
    def from_dict(cls, doc: Any) -> ActivitySettings:
        """Validate a settings document (the registry's `activity` field, the api body, the token
        answer); raises ActivitySettingsError naming what is wrong."""
        if doc is None:
            return cls()
        if not isinstance(doc, dict):
            raise ActivitySettingsError("activity settings must be an object")
        unknown = set(doc) - {"sensitivity", "min_object", "ignore_zones", "zones"}
        if unknown:
            raise ActivitySettingsError("unknown activity setting: {name}", name=sorted(unknown)[0])
        sensitivity = _number(doc.get("sensitivity", DEFAULT_SENSITIVITY), "sensitivity", 0.0, 1.0)
        min_object = _number(doc.get("min_object", DEFAULT_MIN_OBJECT), "min_object", 0.0001, 0.5)
        ignore = doc.get("ignore_zones", [])
        if not isinstance(ignore, list) or len(ignore) > MAX_IGNORE_ZONES:
            raise ActivitySettingsError("ignore_zones must be a list of at most {most} polygons", most=MAX_IGNORE_ZONES)
        ignore_zones = tuple(_polygon(p, SettingWords("ignore zone {n}", n=i + 1)) for i, p in enumerate(ignore))
        raw_zones = doc.get("zones", [])
        if not isinstance(raw_zones, list) or len(raw_zones) > MAX_ZONES:
            raise ActivitySettingsError("zones must be a list of at most {most} named polygons", most=MAX_ZONES)
        zones: list[tuple[str, Polygon]] = []
        for i, z in enumerate(raw_zones):
            if not isinstance(z, dict) or not isinstance(z.get("name"), str):
                raise ActivitySettingsError("zone {n} needs a name and points", n=i + 1)
            name = z["name"]
            if not ZONE_NAME_RE.match(name):
                raise ActivitySettingsError(
                    "zone {n} has the name {name}: use 1 to 32 letters, digits, spaces, '.', '_' "
                    "or '-', starting with a letter or digit", n=i + 1, name=repr(name[:40]))
            if any(name == other for other, _ in zones):
                raise ActivitySettingsError("zone \"{name}\" is named twice", name=name)
            zones.append((name, _polygon(z.get("points"), SettingWords("zone \"{name}\"", name=name))))
        return cls(sensitivity, min_object, ignore_zones, tuple(zones))

    @property
    def zone_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.zones)

    def with_ignore(self, *polygons: Polygon) -> ActivitySettings:
        """These settings plus masks the camera itself knows about (its drawn clock)."""
        return ActivitySettings(self.sensitivity, self.min_object, self.ignore_zones + polygons, self.zones)


def _number(value: Any, name: str, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ActivitySettingsError("{name} must be a number between {lo:g} and {hi:g}", name=name, lo=lo, hi=hi)
    if not lo <= value <= hi:
        raise ActivitySettingsError("{name} must be between {lo:g} and {hi:g}, not {value:g}", name=name, lo=lo, hi=hi,
                                    value=value)
    return float(value)


def _polygon(points: Any, what: SettingWords) -> Polygon:
    if not isinstance(points, list) or not 3 <= len(points) <= MAX_POINTS:
        raise ActivitySettingsError("{what} must have between 3 and {most} points", what=what, most=MAX_POINTS)
    out: list[Point] = []
    for j, p in enumerate(points):
        if (not isinstance(p, (list, tuple)) or len(p) != 2
                or any(isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) for v in p)):
            raise ActivitySettingsError("{what}: point {n} must be a pair of numbers [x, y]", what=what, n=j + 1)
        x, y = float(p[0]), float(p[1])
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ActivitySettingsError(
                "{what}: point {n} ({x:g}, {y:g}) is outside the picture (use 0 to 1 for x and y)", what=what,
                n=j + 1, x=x, y=y)
        out.append((x, y))
    if _self_intersects(out):
        raise ActivitySettingsError("{what} crosses itself: draw its points in order around the edge", what=what)
    if abs(_area(out)) < 1e-4:
        raise ActivitySettingsError("{what} has no area (its points lie on a line or on top of each other)",
                                    what=what)
    return tuple(out)


def _area(points: list[Point]) -> float:
    return 0.5 * sum(points[i][0] * points[i - 1][1] - points[i - 1][0] * points[i][1] for i in range(len(points)))


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return ((d1 > 0) != (d2 > 0)) and ((d3 > 0) != (d4 > 0)) and 0 not in (d1, d2, d3, d4)


def _self_intersects(points: list[Point]) -> bool:
    n = len(points)
    edges = [(points[i], points[(i + 1) % n]) for i in range(n)]
    for i in range(n):
        for j in range(i + 2, n):
            if i == 0 and j == n - 1:
                continue                    # neighbours through the closing edge
            if _segments_cross(*edges[i], *edges[j]):
                return True
    return False


def contains(poly: Polygon, x: float, y: float) -> bool:
    """Even-odd rule: is (x, y) inside the polygon."""
    inside = False
    n = len(poly)
    for i in range(n):
        (x1, y1), (x2, y2) = poly[i], poly[i - 1]
        if (y1 > y) != (y2 > y) and x < (x2 - x1) * (y - y1) / (y2 - y1) + x1:
            inside = not inside
    return inside
