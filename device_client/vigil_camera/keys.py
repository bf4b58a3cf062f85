"""The bucket key layout (architecture §2): the one place that builds and parses Vigil's keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timezone

from .protocol import validate_device_id

VIDEOS = "videos/"
LIVE = "live/"
INDEX = "index/"
SYSTEM = "_system/"
CLIP_EXTENSIONS = ("ts", "mp4")

# ASCII only: `\d` would also match other scripts' digits (`２０２６`, `١٢`), which int() accepts.
_CLIP_RE = re.compile(
    r"videos/(?P<device>[a-z0-9][a-z0-9-]{2,62})/(?P<y>[0-9]{4})/(?P<m>[0-9]{2})/(?P<d>[0-9]{2})/"
    r"(?P<hh>[0-9]{2})(?P<mi>[0-9]{2})(?P<ss>[0-9]{2})(?P<ms>[0-9]{3})Z-(?P<seq>[0-9]{1,12})\.(?P<ext>ts|mp4)",
    re.ASCII,
)


@dataclass(frozen=True)
class ClipKey:
    device_id: str
    start: datetime  # UTC, millisecond precision
    seq: int
    ext: str

    @property
    def key(self) -> str:
        return clip_key(self.device_id, self.start, self.seq, self.ext)

    @property
    def day(self) -> date:
        return self.start.date()


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("clip start must be timezone-aware")
    return moment.astimezone(timezone.utc)


def videos_prefix(device_id: str) -> str:
    return f"{VIDEOS}{validate_device_id(device_id)}/"


def live_prefix(device_id: str) -> str:
    return f"{LIVE}{validate_device_id(device_id)}/"


def clip_key(device_id: str, start: datetime, seq: int, ext: str) -> str:
    """`videos/<d>/<YYYY>/<MM>/<DD>/<HHMMSSmmm>Z-<seq>.<ext>`; the time is the clip's UTC start."""
    if ext not in CLIP_EXTENSIONS:
        raise ValueError(f"clip extension must be one of {CLIP_EXTENSIONS}")
    if seq < 0:
        raise ValueError("sequence number must be >= 0")
    t = _utc(start)
    return (
        f"{videos_prefix(device_id)}{t:%Y/%m/%d}/{t:%H%M%S}{t.microsecond // 1000:03d}Z-{seq}.{ext}"
    )


def parse_clip_key(key: str) -> ClipKey | None:
    """The parts of a clip key, or None for anything outside the layout — including keys that parse
    but are not what `clip_key` builds (`Z-007.ts`): one clip, one key, so no twin can shadow it."""
    m = _CLIP_RE.fullmatch(key)
    if not m:
        return None
    try:
        start = datetime(
            int(m["y"]), int(m["m"]), int(m["d"]), int(m["hh"]), int(m["mi"]), int(m["ss"]),
            int(m["ms"]) * 1000, tzinfo=timezone.utc,
        )
    except ValueError:
        return None
    clip = ClipKey(m["device"], start, int(m["seq"]), m["ext"])
    return clip if clip.key == key else None


# --- stills (issue 24): a small JPEG of each clip, under its own prefix -------------------------
# `stills/<d>/<YYYY>/<MM>/<DD>/<HHMMSSmmm>Z-<seq>.jpg`: the clip's name with `.jpg`. Not beside the clip
# under `videos/`: everything that lists or lifecycles `videos/` (index backfill, chaos checks, the
# indexer's trigger) means clips only. The device's session policy and the upload role name the
# prefix; a lifecycle rule expires it with the videos.
STILLS = "stills/"
STILL_EXT = "jpg"


def stills_prefix(device_id: str) -> str:
    return f"{STILLS}{validate_device_id(device_id)}/"


def still_key(device_id: str, start: datetime, seq: int) -> str:
    """The still of the clip that starts at `start` with sequence `seq`."""
    clip = clip_key(device_id, start, seq, "ts")
    return STILLS + clip[len(VIDEOS):-len("ts")] + STILL_EXT


def still_key_for_clip(key: str) -> str | None:
    """The still of a clip key (either extension), or None for a key outside the layout."""
    clip = parse_clip_key(key)
    return still_key(clip.device_id, clip.start, clip.seq) if clip is not None else None


def day_prefix(device_id: str, day: date) -> str:
    return f"{videos_prefix(device_id)}{day:%Y/%m/%d}/"


def index_key(device_id: str, day: date) -> str:
    return f"{INDEX}{validate_device_id(device_id)}/{day:%Y-%m-%d}.jsonl"


def summary_key(device_id: str) -> str:
    return f"{INDEX}{validate_device_id(device_id)}/_summary.json"


# -- the index's derived objects (issue 12: compaction, calendar, health) --------------------------
def index_segments_key(device_id: str, day: date) -> str:
    """Compacted segments of a day's log: one line per fixed-size stretch of the log, folded."""
    return f"{INDEX}{validate_device_id(device_id)}/{day:%Y-%m-%d}.segs.jsonl"


def index_sums_key(device_id: str, day: date) -> str:
    """One small line per compacted segment: counts, last clip, what the camera reported."""
    return f"{INDEX}{validate_device_id(device_id)}/{day:%Y-%m-%d}.sums.jsonl"


def index_month_key(device_id: str, year: int, month: int) -> str:
    """Per-day totals of a month (the calendar)."""
    return f"{INDEX}{validate_device_id(device_id)}/{year:04d}-{month:02d}.month.jsonl"


def device_health_key(device_id: str) -> str:
    return f"{INDEX}{validate_device_id(device_id)}/_health.json"


FLEET_HEALTH_KEY = f"{INDEX}_health.json"
FLEET_HEALTH_ELECTIONS = f"{INDEX}_health/"


def device_record_key(device_id: str) -> str:
    return f"{SYSTEM}devices/{validate_device_id(device_id)}.json"


def camera_owner_key(camera_id: str) -> str:
    """A gateway camera's claim: which gateway uploads for it (one owner per camera id)."""
    return f"{SYSTEM}devices/_cameras/{validate_device_id(camera_id)}.json"


def nonce_key(device_id: str, nonce: str) -> str:
    return f"{SYSTEM}nonces/{validate_device_id(device_id)}/{nonce}"


# --- live view (issue 11): short HLS segments + a sliding playlist, and the "watching" counter ---
LIVE_HLS = "hls/"
LIVE_PLAYLIST = "live.m3u8"
LIVE_WATCH = "_watch"


def live_hls_prefix(device_id: str) -> str:
    return f"{live_prefix(device_id)}{LIVE_HLS}"


def live_segment_key(device_id: str, seq: int) -> str:
    if seq < 0:
        raise ValueError("sequence number must be >= 0")
    return f"{live_hls_prefix(device_id)}{seq}.ts"


def live_playlist_key(device_id: str) -> str:
    return f"{live_hls_prefix(device_id)}{LIVE_PLAYLIST}"


def live_watch_key(device_id: str) -> str:
    """Appendable object whose length only grows while someone watches (see `vigil_camera.liveview`)."""
    return f"{live_prefix(device_id)}{LIVE_WATCH}"
