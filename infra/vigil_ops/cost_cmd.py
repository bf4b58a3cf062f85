"""`vigil cost`: what a fleet costs a month — storage, OSS requests, FC, STS, egress — beside
Kinesis Video Streams for the same workload.

Prices come from `data/prices.json` (each with its source page and the date it was read). The
indexer's requests and CPU per clip come from the benchmark's measurement
(`data/indexer_measured.json`, written by `tests/bench/test_indexer_bench.py`), not a guess. The
model and its assumptions are documented in docs/cost.md.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .i18n import _, ljust, rjust

DATA = Path(__file__).resolve().parent / "data"
PRICES = DATA / "prices.json"
MEASURED = DATA / "indexer_measured.json"
DAYS_PER_MONTH = 30
GIB = 1 << 30
MULTIPART_THRESHOLD = 8 << 20          # the device client's default (vigil_camera.upload)
TOKEN_TTL_S = 14_400                   # VIGIL_TOKEN_TTL_DEFAULT (s.yaml: 4 h); refreshed at 80 % of its life
TOKEN_OSS_REQUESTS = 4                 # registry GET, nonce PUT, rate-limit LIST + PUT (token function)
INDEX_BYTES_PER_CLIP = 620             # log line + segment row + its share of a summary line (bench data)
HEALTH_REQUESTS_PER_MERGE = 2          # the period's election PUT + the fleet object's PUT (+ LIST, GETs)
LOG_LINE_BYTES = 395                   # one create entry in the day log (bench data)
SEGMENT_BYTES = 8192                   # VIGIL_INDEX_SEGMENT_BYTES default
STILL_BYTES = 4_900                    # a camera's 320-px still of the 640x360 test pattern (test_pictures_bench.py)
GRID_REFRESH_S = 10                    # the grid's newest stills are asked for every 10 s while seen (web/src/pictures)
HOVER_LISTINGS_PER_HOUR = 18           # /stills windows of 200 s: a viewer scrubbing one hour lists each once
ALERT_TICKS = 43_200                   # vigil-alerts' timer trigger: once a minute (s.yaml)
ALERT_TICK_READS = 7                   # GET state + fleet health; LIST rules, channels, registry, outbox, digests
ALERT_TICK_WRITES = 1                  # the state PUT
ALERT_MESSAGE_REQUESTS = 3             # outbox PUT (create-only), its GET when due, DELETE once delivered
# an indexer batch with activity: the indexer reads the day's events (1 conditional GET) and invokes vigil-alerts,
# which lists the rules and checks the event's "told" marker (1 LIST + 1 HEAD); docs/alerts.md
ALERT_ACTIVITY_READS = 3


@dataclass
class Workload:
    cameras: int = 1
    bitrate_mbps: float = 2.0
    clip_seconds: float = 10.0
    retention_days: float = 7.0
    activity_days: float | None = None  # clips tagged as holding activity are kept this long (issue 23)
    activity_share: float = 0.1         # share of clips that hold activity (a front door: ~10 % of the day)
    region: str = "cn-hangzhou"
    viewer_hours: float = 20.0          # per camera per month
    # OSS's event list for EventBridge / FC OSS triggers names ObjectRemoved:DeleteObject(s) but no
    # lifecycle expiration (S3 has LifecycleExpiration:*; OSS does not): expirations never reach the
    # indexer, and the index expires by its own lifecycle rule (`vigil-index`, api/retention.py)
    lifecycle_delete_events: bool = False
    # events per indexer invocation. 1 is what OSS can deliver: an FC OSS trigger, and an EventBridge
    # trigger on OSS's events (source Default, "event-driven" mode), push one event per invocation;
    # a BatchWindow exists only for queue sources (MNS, RocketMQ, Kafka ...: "event-streaming"), so a
    # batch needs OSS -> EventBridge rule -> MNS queue -> FC, and MNS bills its own requests (not counted)
    batch_events: int = 1
    # cameras send each TS clip's duration (x-oss-meta-vigil-duration-ms): the indexer reads no tail.
    # The measurement is made that way; False adds the tail GET back (older cameras)
    camera_duration: bool = True
    fc_vcpu: float = 0.25
    fc_memory_gb: float = 0.25
    oss_latency_ms: float = 5.0
    health_merge_seconds: float = 60.0
    still_every: int = 1                # issue 24: a camera-made JPEG every N clips, 0 = none (docs/pictures.md)
    still_bytes: int = STILL_BYTES
    usd_per_cny: float | None = None
    alert_messages_per_day: float = 20.0   # grouped deliveries (all channels), incl. activity alerts


@dataclass
class Line:
    item: str
    quantity: float
    unit: str
    cost: float
    overhead: bool                      # counts toward the "everything but storage and egress" goal


@dataclass
class Estimate:
    workload: Workload
    currency: str
    lines: list[Line] = field(default_factory=list)
    measured: dict[str, Any] = field(default_factory=dict)
    kvs: dict[str, float] = field(default_factory=dict)

    @property
    def storage(self) -> float:
        return sum(line.cost for line in self.lines if line.item.startswith("storage"))

    @property
    def overhead(self) -> float:
        return sum(line.cost for line in self.lines if line.overhead)

    @property
    def total(self) -> float:
        return sum(line.cost for line in self.lines)


def load_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(_("cannot read %(path)s: %(error)s") % {"path": path, "error": exc}) from exc
    if not isinstance(doc, dict):
        raise ValueError(_("%(path)s is not a JSON object") % {"path": path})
    return doc


def measured_per_clip(doc: dict[str, Any]) -> dict[str, float]:
    """Mean billable requests and CPU per created clip over the benchmark's windows, and per delete."""
    windows = list((doc.get("create") or {}).values())
    if not windows:
        raise ValueError(_("the measurement has no create windows: run `make bench`"))

    def req(w: dict[str, Any]) -> float:
        return float(w.get("billable", w["requests"]))

    delete = doc.get("delete") or {}
    batched = doc.get("create_batched") or {}
    return {
        "create_requests": statistics.mean(req(w) for w in windows),
        "create_cpu_ms": statistics.mean(float(w["cpu_ms"]) for w in windows),
        "batch": float(batched.get("batch", 1)),
        "batched_requests": req(batched) if batched else statistics.mean(req(w) for w in windows),
        "batched_cpu_ms": float(batched["cpu_ms"]) if batched else statistics.mean(float(w["cpu_ms"]) for w in windows),
        "delete_requests": float(delete.get("billable", delete.get("req", 2.0))),
        "delete_cpu_ms": float(delete.get("cpu_ms", 2.0)),
    }


def _per_event(m: dict[str, float], n: int) -> tuple[float, float]:
    """(requests, CPU ms) per created clip in batches of `n`. The benchmark measures single events and
    batches of `m["batch"]`: what a batch saves (the per-day-log append, shared by the batch) is
    scaled from the measured batch size to `n` as 1 - 1/n."""
    single, cpu = m["create_requests"], m["create_cpu_ms"]
    b = m["batch"]
    if n <= 1 or b <= 1:
        return single, cpu
    scale = (1 - 1 / n) / (1 - 1 / b)
    return (max(single - (single - m["batched_requests"]) * scale, 0.0),
            max(cpu - (cpu - m["batched_cpu_ms"]) * scale, 0.0))


def _fc_cu(invocations: float, duration_s: float, w: Workload, factors: dict[str, Any]) -> float:
    return invocations * (factors["per_10k_invocations"] / 10_000 + duration_s * w.fc_vcpu * factors["per_vcpu_second"]
                          + duration_s * w.fc_memory_gb * factors["per_gb_second"])


def alerts_usage(w: Workload, factors: dict[str, Any]) -> tuple[float, float, float]:
    """(GET-class requests, PUT-class requests, FC CU) a month of vigil-alerts: a tick a minute lists rules,
    channels and the registry (an object is fetched again only when its ETag changes: none in a steady
    fleet), reads the state and the fleet health, and writes the state; each delivered message is an
    outbox PUT, GET and DELETE. Silent cameras add a day-index read each (not modelled: an outage).
    Every indexer batch that holds a clip with activity invokes vigil-alerts once (an event growing over
    several clips is sent with each; the alerts function tells it once)."""
    per_tick = ALERT_TICK_READS + math.ceil(w.cameras / 1000)
    messages = w.alert_messages_per_day * DAYS_PER_MONTH
    clips = w.cameras * DAYS_PER_MONTH * 86_400 / w.clip_seconds
    activity = clips * w.activity_share / w.batch_events
    reads = ALERT_TICKS * per_tick + messages + activity * ALERT_ACTIVITY_READS
    writes = ALERT_TICKS * ALERT_TICK_WRITES + messages * (ALERT_MESSAGE_REQUESTS - 1)
    tick_s = 0.05 + per_tick * w.oss_latency_ms / 1000
    return reads, writes, _fc_cu(ALERT_TICKS + messages + activity, tick_s, w, factors)


def estimate(w: Workload, prices: dict[str, Any], measured: dict[str, Any]) -> Estimate:
    if w.cameras < 1 or w.bitrate_mbps <= 0 or w.clip_seconds <= 0 or w.retention_days <= 0:
        raise ValueError(_("cameras, bitrate, clip seconds and retention days must be positive"))
    if not 1 <= w.batch_events <= 10_000:
        raise ValueError(_("batch events must be 1 to 10,000"))
    if w.still_every < 0:
        raise ValueError(_("--still-every is 0 (no stills) or a positive number of clips"))
    if (w.activity_days is not None and w.activity_days <= 0) or not 0 <= w.activity_share <= 1:
        raise ValueError(_("activity days must be positive and the activity share between 0 and 1"))
    region = (prices.get("regions") or {}).get(w.region)
    if region is None:
        raise ValueError(_("no prices for region %(region)r; known: %(known)s")
                         % {"region": w.region, "known": ", ".join(sorted(prices.get("regions") or {}))})
    p = {k: float(v["price"]) for k, v in region.items() if isinstance(v, dict)}
    factors = prices["fc_cu_factors"]
    m = measured_per_clip(measured)
    est = Estimate(w, str(region["currency"]), measured=m)
    seconds = DAYS_PER_MONTH * 86_400
    byte_rate = w.bitrate_mbps * 1e6 / 8
    clip_bytes = byte_rate * w.clip_seconds
    clips = w.cameras * seconds / w.clip_seconds
    put_price, get_price = p["oss_put_per_10k"] / 10_000, p["oss_get_per_10k"] / 10_000

    def line(item: str, qty: float, unit: str, cost: float, overhead: bool = True) -> None:
        est.lines.append(Line(item, qty, unit, cost, overhead))

    # retention by importance: quiet clips for retention_days, clips with activity for activity_days
    kept_days = w.retention_days if w.activity_days is None else \
        (1 - w.activity_share) * w.retention_days + w.activity_share * w.activity_days
    stored_gib = w.cameras * byte_rate * 86_400 * kept_days / GIB
    line("storage: video", stored_gib, "GiB", stored_gib * p["oss_storage_gb_month"], overhead=False)
    index_days = max(w.retention_days, w.activity_days or 0)          # the index outlives every kept clip
    index_gib = clips / DAYS_PER_MONTH * index_days * INDEX_BYTES_PER_CLIP / GIB
    line("storage: index", index_gib, "GiB", index_gib * p["oss_storage_gb_month"], overhead=False)
    device_puts = clips * (1 if clip_bytes < MULTIPART_THRESHOLD else 2 + math.ceil(clip_bytes / MULTIPART_THRESHOLD))
    line("OSS requests: device uploads", device_puts, "req", device_puts * put_price)
    create_requests, create_cpu_ms = _per_event(m, w.batch_events)
    create_requests += 0.0 if w.camera_duration else 1.0
    indexer = clips * create_requests
    line("OSS requests: indexer + compaction (measured)", indexer, "req", indexer * get_price)
    deletes = clips * m["delete_requests"] if w.lifecycle_delete_events else 0.0
    line("OSS requests: indexer, retention deletes", deletes, "req", deletes * put_price)
    # a merge runs at most once a period, and only when some compaction ran in it
    compactions = clips * LOG_LINE_BYTES / SEGMENT_BYTES
    merges = min(seconds / w.health_merge_seconds, compactions)
    health = merges * (HEALTH_REQUESTS_PER_MERGE + math.ceil(w.cameras / 1000) + w.cameras)
    line("OSS requests: fleet health merge", health, "req", health * get_price)
    tokens = w.cameras * seconds / (0.8 * TOKEN_TTL_S)
    token_requests = tokens * TOKEN_OSS_REQUESTS
    line("OSS requests: token function", token_requests, "req", token_requests * put_price)
    viewer_gets = w.cameras * w.viewer_hours * (3600 / w.clip_seconds + 12 * 2)   # segments + timeline reads
    line("OSS requests: viewer playback", viewer_gets, "req", viewer_gets * get_price)
    create_s = create_cpu_ms / 1000 / w.fc_vcpu + create_requests * w.oss_latency_ms / 1000
    delete_s = m["delete_cpu_ms"] / 1000 / w.fc_vcpu + m["delete_requests"] * w.oss_latency_ms / 1000
    # a batch of N events is one invocation lasting N events' time: the per-invocation charge is
    # spread, the vCPU- and GB-seconds are not (events on the bus and pushes to FC are not charged)
    n = w.batch_events
    cu = _fc_cu(clips / n, create_s * n, w, factors)
    if w.lifecycle_delete_events:
        cu += _fc_cu(clips / n, delete_s * n, w, factors)
    line("FC: indexer", cu, "CU", cu * p["fc_cu"])
    cu_other = _fc_cu(tokens, 0.05, w, factors) + _fc_cu(w.cameras * w.viewer_hours * 12, 0.05, w, factors)
    line("FC: token + viewer api", cu_other, "CU", cu_other * p["fc_cu"])
    line("STS: AssumeRole", tokens, "calls", tokens * p["sts_assume_role"])
    if w.still_every > 0:
        _stills_lines(w, clips, p, factors, line)
    alert_reads, alert_writes, alert_cu = alerts_usage(w, factors)
    line("OSS requests: alerts (ticks + deliveries)", alert_reads + alert_writes, "req",
         alert_reads * get_price + alert_writes * put_price)
    line("FC: alerts (timer ticks + activity)", alert_cu, "CU", alert_cu * p["fc_cu"])
    egress_gib = w.cameras * w.viewer_hours * byte_rate * 3600 / GIB
    line("egress: viewers", egress_gib, "GiB", egress_gib * p["oss_egress_gb"], overhead=False)

    kvs = prices["kinesis_video_streams"]
    usd_per_cny = w.usd_per_cny or float(prices["usd_per_cny"]["value"])
    to_local = 1.0 if est.currency == "USD" else 1 / usd_per_cny
    ingest_gib = w.cameras * byte_rate * seconds / GIB
    est.kvs = {
        "ingest": ingest_gib * kvs["ingest_gb"]["price"] * to_local,
        "storage": stored_gib * kvs["storage_gb_month"]["price"] * to_local,
        "hls_consumed": egress_gib * kvs["hls_consumed_gb"]["price"] * to_local,
        "egress": egress_gib * kvs["egress_gb"]["price"] * to_local,
    }
    return est


def _stills_lines(w: Workload, clips: float, p: dict[str, float], factors: dict[str, Any], line: Any) -> None:
    """Issue 24 (docs/pictures.md): the camera PUTs one still per clip and the lifecycle keeps it as
    long as the clip; a viewer's grid GETs each camera's newest still every GRID_REFRESH_S and calls
    /stills/newest as often; the timeline hover GETs one still per clip passed over and lists a 200-s
    window through the api. Stills decoded by the api for an arbitrary instant are rare (a click) and
    left out."""
    put_price, get_price = p["oss_put_per_10k"] / 10_000, p["oss_get_per_10k"] / 10_000
    made = clips / w.still_every
    every = "clip" if w.still_every == 1 else f"{w.still_every} clips"
    line(f"OSS requests: camera stills (1 PUT per {every})", made, "req", made * put_price)
    gib = made / DAYS_PER_MONTH * w.retention_days * w.still_bytes / GIB
    line("storage: stills", gib, "GiB", gib * p["oss_storage_gb_month"], overhead=False)
    views = w.cameras * w.viewer_hours * 3600 / GRID_REFRESH_S
    hover = w.cameras * w.viewer_hours * 3600 / (w.clip_seconds * w.still_every)
    gets = views + hover
    line("OSS requests: viewer stills (grid + hover)", gets, "req", gets * get_price)
    calls = views + w.cameras * w.viewer_hours * HOVER_LISTINGS_PER_HOUR
    cu = _fc_cu(calls, 0.05, w, factors)
    line("FC: api stills routes", cu, "CU", cu * p["fc_cu"])


def _label(item: str, w: Workload) -> str:
    """A line's item as the terminal table shows it, in the locale's language (JSON and the generated
    docs/cost.md keep the English item)."""
    if item.startswith("OSS requests: camera stills"):
        return (_("OSS requests: camera stills (1 PUT per clip)") if w.still_every == 1 else
                _("OSS requests: camera stills (1 PUT per %(n)s clips)") % {"n": w.still_every})
    names = {
        "storage: video": _("storage: video"), "storage: index": _("storage: index"),
        "storage: stills": _("storage: stills"),
        "OSS requests: device uploads": _("OSS requests: device uploads"),
        "OSS requests: indexer + compaction (measured)": _("OSS requests: indexer + compaction (measured)"),
        "OSS requests: indexer, retention deletes": _("OSS requests: indexer, retention deletes"),
        "OSS requests: fleet health merge": _("OSS requests: fleet health merge"),
        "OSS requests: token function": _("OSS requests: token function"),
        "OSS requests: viewer playback": _("OSS requests: viewer playback"),
        "OSS requests: viewer stills (grid + hover)": _("OSS requests: viewer stills (grid + hover)"),
        "OSS requests: alerts (ticks + deliveries)": _("OSS requests: alerts (ticks + deliveries)"),
        "FC: indexer": _("FC: indexer"), "FC: token + viewer api": _("FC: token + viewer api"),
        "FC: alerts (timer ticks + activity)": _("FC: alerts (timer ticks + activity)"),
        "FC: api stills routes": _("FC: api stills routes"),
        "STS: AssumeRole": _("STS: AssumeRole"), "egress: viewers": _("egress: viewers"),
    }
    return names.get(item, item)


def render(est: Estimate) -> str:
    """The terminal table: headings and words in the locale's language, the numbers as they are."""
    w, cur = est.workload, est.currency
    note = "" if w.activity_days is None else (
        _(" (%(days)s days for the %(share)s of clips with activity)")
        % {"days": f"{w.activity_days:g}", "share": f"{w.activity_share:.0%}"})
    out = [_("%(cameras)s camera(s), %(bitrate)s Mbit/s, %(clip)s s clips, %(retention)s-day retention%(note)s, "
             "%(hours)s viewer-hours/camera, %(region)s; per month, %(currency)s")
           % {"cameras": w.cameras, "bitrate": f"{w.bitrate_mbps:g}", "clip": f"{w.clip_seconds:g}",
              "retention": f"{w.retention_days:g}", "note": note, "hours": f"{w.viewer_hours:g}",
              "region": w.region, "currency": cur},
           f"  {ljust(_('item'), 46)} {rjust(_('quantity'), 18)} {rjust(_('cost'), 12)}"]
    for line in est.lines:
        out.append(f"  {ljust(_label(line.item, w), 46)} {line.quantity:>12,.1f} {line.unit:<5} {line.cost:>12.4f}")
    out.append(f"  {ljust(_('total'), 46)} {'':>18} {est.total:>12.4f}")
    pct = 100 * est.overhead / est.storage if est.storage else 0.0
    out.append(_("everything but storage and viewer egress: %(overhead)s %(currency)s = %(pct)s %% of storage "
                 "(goal: under 5 %%)")
               % {"overhead": f"{est.overhead:.4f}", "currency": cur, "pct": f"{pct:.1f}"})
    kvs_total = sum(est.kvs.values())
    out.append(_("Kinesis Video Streams, same workload: %(total)s %(currency)s (ingest %(ingest)s, storage "
                 "%(storage)s, HLS %(hls)s, egress %(egress)s); Vigil / KVS = %(ratio)s")
               % {"total": f"{kvs_total:.4f}", "currency": cur, "ingest": f"{est.kvs['ingest']:.4f}",
                  "storage": f"{est.kvs['storage']:.4f}", "hls": f"{est.kvs['hls_consumed']:.4f}",
                  "egress": f"{est.kvs['egress']:.4f}", "ratio": f"{est.total / kvs_total:.2f}"}
               if kvs_total else _("Kinesis Video Streams: n/a"))
    m = est.measured
    out.append(_("measured per created clip: %(requests)s requests, %(cpu)s ms CPU; per delete: %(deletes)s requests")
               % {"requests": f"{m['create_requests']:.2f}", "cpu": f"{m['create_cpu_ms']:.2f}",
                  "deletes": f"{m['delete_requests']:.2f}"})
    return "\n".join(out)


DOC_BEGIN = "<!-- BEGIN vigil cost --markdown (generated: .venv/bin/vigil cost --write-doc docs/cost.md) -->"
DOC_END = "<!-- END vigil cost --markdown -->"
GOAL = {"viewer_hours": 30.0}           # issue 30's workload: stills every clip, alerts on, a viewer-hour a day
SCENARIOS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("10 s clips, 7 days, as deployed (OSS trigger: 1 event per invocation; cameras send their duration)", {}),
    ("cameras that do not send their clip's duration (the indexer reads each clip's tail)",
     {"camera_duration": False}),
    ("the same if lifecycle expirations reached the indexer (OSS sends none)", {"lifecycle_delete_events": True}),
    ("batches of 8 events per invocation (OSS -> EventBridge -> MNS queue -> FC; MNS requests not counted)",
     {"batch_events": 8}),
    ("issue 30's workload: one viewer-hour a day, stills every clip, alerts on", GOAL),
    ("the same, 100 cameras (one alerts function for the fleet)", {**GOAL, "cameras": 100}),
    ("the same, 100 cameras, a still every 3 clips", {**GOAL, "cameras": 100, "still_every": 3}),
    ("30 s clips, 7 days", {"clip_seconds": 30.0}),
    ("10 s clips, 30 days", {"retention_days": 30.0}),
)


def _md_line(line: Line, storage: float) -> str:
    share = f" ({100 * line.cost / storage:.1f} %)" if line.overhead and storage else ""
    return f"| {line.item} | {line.quantity:,.1f} {line.unit} | {line.cost:.4f}{share} |"


def render_markdown(prices: dict[str, Any], measured: dict[str, Any]) -> str:
    """docs/cost.md's results: the default workload line by line, then the goal's ratio for the
    variants the text discusses — all from `estimate`, so the doc cannot drift from the command."""
    base = estimate(Workload(), prices, measured)
    w, cur = base.workload, base.currency
    kvs_total = sum(base.kvs.values())
    out = [DOC_BEGIN,
           f"Per month, {cur}: {w.cameras} camera, {w.bitrate_mbps:g} Mbit/s, {w.clip_seconds:g} s clips, "
           f"{w.retention_days:g}-day retention, {w.viewer_hours:g} viewer-hours, {w.region} "
           f"(`vigil cost` with its defaults; % = share of storage).",
           "",
           "| item | quantity | cost |",
           "|---|---:|---:|"]
    out += [_md_line(line, base.storage) for line in base.lines]
    out.append(f"| **everything but storage and egress** | | **{base.overhead:.4f} = "
               f"{100 * base.overhead / base.storage:.1f} % of storage** |")
    out.append(f"| total | | {base.total:.4f} |")
    out.append(f"| Kinesis Video Streams, same workload | | {kvs_total:.4f} (Vigil / KVS = "
               f"{base.total / kvs_total:.2f}) |")
    m = base.measured
    out += ["", f"Measured per created clip: {m['create_requests']:.2f} billed requests, "
                f"{m['create_cpu_ms']:.2f} ms CPU; per delete: {m['delete_requests']:.2f} requests.", "",
            "| variant | everything but storage and egress | % of storage (goal: under 5 %) | Vigil / KVS |",
            "|---|---:|---:|---:|"]
    for name, change in SCENARIOS:
        est = estimate(Workload(**change), prices, measured)
        kvs = sum(est.kvs.values())
        out.append(f"| {name} | {est.overhead:.4f} | {100 * est.overhead / est.storage:.1f} % | "
                   f"{est.total / kvs:.2f} |")
    out.append(DOC_END)
    return "\n".join(out)


def write_doc(path: Path, block: str) -> bool:
    """Replace the generated block in `path`; True when the file changed."""
    text = path.read_text()
    start, end = text.find(DOC_BEGIN), text.find(DOC_END)
    if start < 0 or end < start:
        raise ValueError(f"{path} has no generated block ({DOC_BEGIN} ... {DOC_END})")
    new = text[:start] + block + text[end + len(DOC_END):]
    if new != text:
        path.write_text(new)
    return new != text


def register(sub: Any) -> None:
    p = sub.add_parser("cost", help=_("monthly cost of a fleet (storage, OSS requests, FC, STS, egress) vs KVS"),
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    d = Workload()
    p.add_argument("--cameras", type=int, default=d.cameras, help=_("number of cameras"))
    p.add_argument("--bitrate", type=float, default=d.bitrate_mbps, metavar="MBPS", help=_("video bitrate, Mbit/s"))
    p.add_argument("--clip-seconds", type=float, default=d.clip_seconds, metavar="S", help=_("clip length"))
    p.add_argument("--retention-days", type=float, default=d.retention_days, metavar="D", help=_("days kept"))
    p.add_argument("--activity-days", type=float, default=argparse.SUPPRESS, metavar="D",
                   help=_("days clips with activity are kept (default: as --retention-days)"))
    p.add_argument("--activity-share", type=float, default=d.activity_share, metavar="F",
                   help=_("share of clips that hold activity, 0..1 (default %(default)s)"))
    p.add_argument("--region", default=d.region, help=_("price region in data/prices.json"))
    p.add_argument("--viewer-hours", type=float, default=d.viewer_hours, help=_("hours watched per camera per month"))
    p.add_argument("--lifecycle-delete-events", action="store_true",
                   help=_("count an indexer invocation per clip the lifecycle expires (OSS delivers none today)"))
    p.add_argument("--still-every", type=int, default=d.still_every, metavar="N",
                   help=_("cameras upload a still every N clips, 0 = none (issue 24)"))
    p.add_argument("--still-bytes", type=int, default=d.still_bytes, help=_("bytes of one camera still"))
    p.add_argument("--no-lifecycle-deletes", action="store_true",
                   help=_("the default now (kept for scripts): lifecycle expirations are not charged"))
    p.add_argument("--batch-events", type=int, default=d.batch_events, metavar="N",
                   help=_("OSS events per indexer invocation (1 = what OSS delivers; more needs an MNS queue "
                        "between OSS and FC, whose requests are not counted)"))
    p.add_argument("--camera-duration", action=argparse.BooleanOptionalAction, default=d.camera_duration,
                   help=_("cameras send each TS clip's duration, sparing the indexer's tail GET (vigil-camera does)"))
    p.add_argument("--fc-vcpu", type=float, default=d.fc_vcpu, help=_("vCPU of the indexer function"))
    p.add_argument("--fc-memory-gb", type=float, default=d.fc_memory_gb, help=_("memory of the indexer function"))
    p.add_argument("--alert-messages-per-day", type=float, default=d.alert_messages_per_day,
                   help=_("alert messages sent a day (grouped, all channels)"))
    p.add_argument("--usd-per-cny", type=float, default=argparse.SUPPRESS,
                   help=_("exchange rate for the KVS comparison (default: data file)"))
    p.add_argument("--prices", type=Path, default=PRICES, help=_("price list"))
    p.add_argument("--measured", type=Path, default=MEASURED, help=_("the indexer benchmark's measurement"))
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help=_("print the estimate as JSON"))
    out.add_argument("--markdown", action="store_true",
                     help=_("print docs/cost.md's results block: the default workload and its variants"))
    out.add_argument("--write-doc", type=Path, metavar="FILE", default=argparse.SUPPRESS,
                     help=_("rewrite the results block in FILE (docs/cost.md) from the price list and measurement "
                          "(default: no file is written)"))
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    w = Workload(cameras=args.cameras, bitrate_mbps=args.bitrate, clip_seconds=args.clip_seconds,
                 retention_days=args.retention_days, activity_days=getattr(args, "activity_days", None),
                 activity_share=args.activity_share, region=args.region, viewer_hours=args.viewer_hours,
                 lifecycle_delete_events=args.lifecycle_delete_events and not args.no_lifecycle_deletes,
                 batch_events=args.batch_events, camera_duration=args.camera_duration, fc_vcpu=args.fc_vcpu,
                 fc_memory_gb=args.fc_memory_gb, usd_per_cny=getattr(args, "usd_per_cny", None),
                 still_every=args.still_every, still_bytes=args.still_bytes,
                 alert_messages_per_day=args.alert_messages_per_day)
    try:
        prices, measured = load_json(args.prices), load_json(args.measured)
        est = estimate(w, prices, measured)
        if args.markdown or hasattr(args, "write_doc"):
            block = render_markdown(prices, measured)
            if args.markdown:
                print(block)
            else:
                changed = write_doc(args.write_doc, block)
                done = _("%(file)s: updated") if changed else _("%(file)s: already current")
                print(done % {"file": args.write_doc})
            return 0
    except (ValueError, KeyError, OSError) as exc:
        print(_("vigil cost: %(error)s") % {"error": exc}, file=sys.stderr)
        return 2
    if args.json:
        doc = {"workload": asdict(w), "currency": est.currency, "lines": [asdict(x) for x in est.lines],
               "storage": est.storage, "overhead": est.overhead, "total": est.total,
               "overhead_pct_of_storage": 100 * est.overhead / est.storage, "kvs": est.kvs,
               "kvs_total": sum(est.kvs.values()), "measured": est.measured}
        print(json.dumps(doc))
    else:
        print(render(est))
    return 0
