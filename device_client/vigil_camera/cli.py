"""`vigil-camera`: the device command line (configure, upload, watch, record, simulate, gateway, status,
token)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from . import config as cfg
from . import logs
from .clipsink import ClipHook, ClipSink
from .i18n import _, setup_argparse, translate
from .lean import keep_lean

log = logs.get("vigil_camera.cli")


def _progress(total: int, desc: str) -> Any:
    from tqdm import tqdm
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, file=sys.stderr)


class Runtime:
    """Everything a command needs, built from the settings."""

    def __init__(self, settings: cfg.Settings, *, token_cameras: tuple[str, ...] | None = None) -> None:
        from .credentials import TokenProvider
        from .ossclient import DeviceOss
        from .spool import Spool
        from .upload import ClipUploader

        self.settings = settings.require()
        # a gateway's own token names none of its cameras (`token_cameras=()`): its cameras upload
        # with their groups' tokens (`camera_uploader`)
        self.tokens = TokenProvider(settings.token_url, settings.device_id, settings.device_secret,
                                    cameras=token_cameras)
        self.spool = Spool(settings.spool_path, max_bytes=settings.max_spool_bytes)
        self.oss = DeviceOss(self.tokens, status=self.spool.status)
        self.uploader = ClipUploader(self.oss, multipart_threshold=settings.multipart_threshold,
                                     part_size=settings.part_size)

    def preflight(self, *, one_shot: bool = False) -> Runtime:
        """Ask for a token before any work, so a mistake is reported now, not retried forever.

        A refusal (wrong URL, unknown or disabled device, bad secret) always ends the command. A
        service that does not answer ends a one-shot `upload` after the provider's wait (nothing is
        queued then); a long-running camera (watch, record, simulate) records anyway and uploads
        when the service is back."""
        from .credentials import TokenError
        from .protocol import TOKEN_PATH

        try:
            if one_shot:
                self.tokens.token()          # waits out a short outage; the token is then cached
            else:
                self.tokens.fetch_once()     # one request: a camera must not wait to start recording
        except TokenError as exc:
            if exc.retryable and not one_shot:
                log.warning("token service not reachable yet; recording anyway", extra={"code": exc.code})
                return self
            where = f"POST {self.tokens.token_url}{TOKEN_PATH}"
            if exc.status == 0:
                message = (f"no answer from the token service ({where}: {exc.message}); is it running? "
                           "For the local stack: `make demo` or `vigil local up`")
            else:
                message = f"{exc.message or 'refused'} ({where})"
            raise TokenError(exc.code, message, exc.status) from None
        return self


class Stop(threading.Event):
    """Set by the first SIGINT/SIGTERM: recording stops and the last clip is closed and queued.
    `hard` is set by a second signal: stop waiting for the queue to drain."""

    def __init__(self) -> None:
        super().__init__()
        self.hard = threading.Event()


def _stop_event() -> Stop:
    stop = Stop()

    def handler(signum: int, frame: Any) -> None:
        if stop.is_set():
            stop.hard.set()
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def _settings(args: argparse.Namespace) -> cfg.Settings:
    path = Path(args.config) if args.config else None
    settings = cfg.load(path)
    if path is not None and not path.exists():
        try:
            settings.require()   # the environment may carry everything; then no file is needed
        except cfg.ConfigError:
            raise cfg.ConfigError(
                f"config file {path} does not exist: write it with `vigil devices add ID --config-out {path}` "
                f"or `vigil-camera --config {path} configure ...`") from None
    return settings


# -- commands ---------------------------------------------------------------------------------------
def cmd_configure(args: argparse.Namespace) -> int:
    path = Path(args.config) if args.config else cfg.default_config_path()
    current = cfg.load(path, env={})
    if args.device_secret:
        args.device_secret = cfg.validate_secret(args.device_secret)
    for name in ("token_url", "device_id", "device_secret", "spool_dir"):
        value = getattr(args, name)
        if value:
            setattr(current, name, value)
    if args.max_spool_mb is not None:
        current.max_spool_bytes = int(args.max_spool_mb * (1 << 20))
    current.require()
    written = cfg.save(current, path)
    print(json.dumps({"config": str(written), "device_id": current.device_id, "token_url": current.token_url,
                      "spool_dir": str(current.spool_path)}))
    return 0


def cmd_upload(args: argparse.Namespace) -> int:
    from .clipinfo import NAME_PATTERN, clip_info, start_from_name

    if not (args.key and len(args.files) == 1):
        # the name gives the clip's start: a name without one would silently take the file's
        # modification time and could land on top of a real clip
        unnamed = [n for n in args.files if start_from_name(Path(n).stem) is None]
        if unnamed:
            raise ValueError(f"cannot tell when {', '.join(unnamed)} starts: the name must carry its UTC start "
                             f"time, {NAME_PATTERN} (e.g. 20261128T140000000Z-1.ts); rename the file, or give "
                             f"--key for a single file")
    rt = Runtime(_settings(args))
    rt.tokens.max_wait = args.wait
    rt.preflight(one_shot=True)
    failures_before = rt.spool.status.snapshot()["failures"]
    total = 0
    for name in args.files:
        path = Path(name)
        key = args.key if args.key and len(args.files) == 1 else clip_info(path).key(rt.settings.device_id)
        entry = rt.spool.enqueue(path, key, move=False)
        if entry is not None:
            total += entry.size
    queued = sum(e.size for e in rt.spool.entries())
    with _progress(queued, _("upload")) as bar:
        rt.spool.drain(rt.uploader, concurrency=rt.settings.concurrency, progress=bar.update,
                       stop=_stop_event())
    snap = rt.spool.status.snapshot()
    snap["queue_depth"] = rt.spool.depth()[0]  # the spool itself, not the counter a drain thread last set
    if snap["failures"] == failures_before:
        snap["last_error"] = None   # an error from an earlier run is history, not this upload's outcome
    print(json.dumps({k: snap[k] for k in ("uploaded", "uploaded_bytes", "queue_depth", "last_error")}))
    return 0 if snap["queue_depth"] == 0 else 1


def _run_with_uploader(rt: Runtime, stop: threading.Event, producer: Callable[[], None], *,
                       grace: float = 30.0) -> None:
    """Upload in the background while `producer` makes clips; then wait until the queue is empty.

    A stop (Ctrl-C, SIGTERM) ends the producer, which closes and queues its last clip; the upload
    goes on for up to `grace` seconds so that clip is not left in the spool until the next start.
    A second signal (`Stop.hard`) ends the wait at once (the spool keeps what is left)."""
    done = threading.Event()
    hard = getattr(stop, "hard", done)
    worker = threading.Thread(target=rt.spool.drain, kwargs={
        "uploader": rt.uploader, "concurrency": rt.settings.concurrency, "stop": done, "until_empty": False},
        daemon=True)
    worker.start()
    try:
        producer()
        deadline = None
        while rt.spool.depth()[0] > 0 and not hard.is_set():
            if stop.is_set():
                deadline = deadline or time.monotonic() + grace
                if time.monotonic() >= deadline:
                    break
            hard.wait(0.2)
    finally:
        stop.set()
        done.set()
        worker.join()


def cmd_watch(args: argparse.Namespace) -> int:
    from .watch import FolderWatcher

    folder = Path(args.dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"watch folder {folder} does not exist or is not a folder")
    rt = Runtime(_settings(args)).preflight()
    stop = _stop_event()
    analyzer = _activity(rt, args)
    watcher = FolderWatcher(Path(args.dir), rt.spool, rt.settings.device_id, min_age=args.min_age,
                            analyzer=analyzer, on_activity=print_activity if analyzer is not None else None)
    worker = threading.Thread(target=rt.spool.drain, kwargs={
        "uploader": rt.uploader, "concurrency": rt.settings.concurrency, "stop": stop, "until_empty": False},
        daemon=True)
    worker.start()
    watcher.run(stop, interval=args.interval)
    worker.join()
    return 0


def print_activity(key: str, packed: str | None) -> None:
    """`watch --activity`: one JSON line per clip saying what activity goes with it (docs/activity.md)."""
    from .activity.meta import describe

    print(json.dumps({"clip": key, **describe(packed)}, separators=(",", ":")), flush=True)


def clip_hooks(rt: Runtime, args: argparse.Namespace, camera_id: str, spool: Any) -> list[ClipHook]:
    """The per-clip analyses every recording command runs (record, simulate, each gateway camera;
    `camera_id` is the camera whose clips they see: the device itself, or a gateway's camera, and
    `spool` the one its clips go to).

    THE place to add one: return it here and `ClipSink` calls it with each finished clip before
    the spool takes the file."""
    hooks: list[ClipHook] = []
    every = _still_every(getattr(args, "still_every", 0))
    if every:
        hooks.append(_still_hook(spool, camera_id, every))
    return hooks


def _still_hook(spool: Any, camera_id: str, every: int) -> ClipHook:
    """The clip's still (issue 24), every `every` clips, queued before the clip (docs/pictures.md)."""
    from .clipinfo import clip_info
    from .stills import enqueue_still

    seen = [0]

    def still(clip: Any) -> None:
        seen[0] += 1
        if (seen[0] - 1) % every == 0:
            enqueue_still(spool, clip.path, clip_info(clip.path).key(camera_id))

    return still


def _clip_sink(rt: Runtime, args: argparse.Namespace, camera_id: str | None = None,
               analyzer: Any = None) -> ClipSink:
    from .live import LiveAppender

    camera = camera_id or rt.settings.device_id
    appender = LiveAppender(rt.oss, camera) if getattr(args, "live", False) else None
    return ClipSink(spool=rt.spool, camera_id=camera, appender=appender, analyzer=analyzer,
                    hooks=clip_hooks(rt, args, camera, rt.spool))


def _still_every(n: int) -> int:
    if n < 0:
        raise ValueError("--still-every must be 0 (no stills) or a positive number of clips")
    return n


def _activity(rt: Runtime, args: argparse.Namespace, own_masks: tuple[Any, ...] = ()) -> Any:
    """The camera's activity analyzer (issue 23) when `--activity` is given, else None."""
    if not getattr(args, "activity", False):
        return None
    from .activity.camera import CameraActivity

    return CameraActivity(rt.oss, own_masks=own_masks)


def _live_view(rt: Runtime, args: argparse.Namespace) -> Any:
    """The live view (issue 11) when `--live-view` is given, else None."""
    if not getattr(args, "live_view", False):
        return None
    from .liveview import LiveView

    rt.oss.status.live_view = True   # said with every clip: the page tells "no live video" from "not yet"
    return LiveView(rt.oss, rt.settings.device_id, segment_seconds=args.segment_seconds,
                    list_size=args.live_list_size, probe_seconds=args.live_probe_seconds,
                    state_path=rt.settings.spool_path / "live-state.json").start()


def _camera_activity(camera_id: str, uploader: Any) -> Any:
    """A gateway camera's activity analyzer: its own settings (set for this camera, kept in its
    gateway's record) come with its group's token, refreshed with it."""
    from .activity.camera import CameraActivity
    from .tokengroups import CameraActivitySource

    return CameraActivity(CameraActivitySource(uploader.oss.tokens))


def _camera_live_view(args: argparse.Namespace) -> Callable[[str, Any, Any], Any]:
    """Live view per gateway camera: each probes its own `live/<camera>/_watch` and uploads its own
    segments with its group's token; its state file lives in the camera's spool."""
    from .liveview import LiveView

    def start(camera_id: str, uploader: Any, spool: Any) -> Any:
        uploader.oss.status.live_view = True
        return LiveView(uploader.oss, camera_id, segment_seconds=args.segment_seconds,
                        list_size=args.live_list_size, probe_seconds=args.live_probe_seconds,
                        state_path=spool.root / "live-state.json").start()

    return start


def _camera_live_log(camera_id: str, uploader: Any) -> Any:
    """A gateway camera's hourly append log, written with its group's token (which names its
    `live/<camera>/` prefix)."""
    from .live import LiveAppender

    return LiveAppender(uploader.oss, camera_id)


def _add_clip_options(p: argparse.ArgumentParser, *, clip_seconds: float) -> None:
    """The options every recording command shares (record, simulate, gateway)."""
    p.add_argument("--clip-seconds", type=float, default=clip_seconds,
                   help=_("clip length in seconds; cut on the first keyframe after it (default %(default)s)"))
    p.add_argument("--duration", type=float,
                   help=_("stop after this many seconds of media, counted from the first keyframe "
                        "(default: until Ctrl-C)"))
    p.add_argument("--live", action="store_true", help=_("also append to live/<id>/<YYYY>/<MM>/<DD>/<HH>.ts"))
    p.add_argument("--still-every", type=int, default=1, metavar="N",
                   help=_("upload a 320-px JPEG of the first frame of every Nth clip to stills/ for the viewer's "
                        "grid and timeline; 0 = none (default %(default)s: every clip; docs/pictures.md)"))
    _add_live_view_options(p)
    p.add_argument("--work-dir", metavar="DIR",
                   help=_("where clips are cut before entering the spool (default: a new temporary folder)"))


def _add_camera_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--audio", action="store_true",
                   help=_("keep the camera's audio (AAC as is, G.711 as AAC); off by default: recording sound "
                        "is regulated in many places"))
    p.add_argument("--transport", choices=("tcp", "udp"), default="tcp",
                   help=_("RTSP transport (default %(default)s; udp loses packets on a busy network)"))
    p.add_argument("--read-timeout", type=float, default=5.0, metavar="SECONDS",
                   help=_("a stream with no packet for this long is reconnected (default %(default)s)"))


def _add_testsrc_options(p: argparse.ArgumentParser, *, only: bool = False) -> None:
    """The test pattern's options; `only` says in the help that they apply to `testsrc` alone."""
    p.add_argument("--fps", type=int, default=15,
                   help=_("frames per second (testsrc only) (default %(default)s)") if only
                   else _("frames per second (default %(default)s)"))
    p.add_argument("--resolution", default="640x360",
                   help=_("frame size WxH, even numbers (testsrc only) (default %(default)s)") if only
                   else _("frame size WxH, even numbers (default %(default)s)"))
    p.add_argument("--keyframe-seconds", type=float, default=None,
                   help=_("keyframe interval (testsrc only) (default: the clip length; use 1 with --live-view)")
                   if only else _("keyframe interval (default: the clip length; use 1 with --live-view)"))


def _add_live_view_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--live-view", action="store_true",
                   help=_("also cut short HLS segments and upload them to live/<id>/hls/ while someone watches"))
    p.add_argument("--segment-seconds", type=float, default=1.0,
                   help=_("live segment target; cut on the first keyframe after it (default %(default)s)"))
    p.add_argument("--live-list-size", type=int, default=6,
                   help=_("segments in the live playlist (default %(default)s)"))
    p.add_argument("--live-probe-seconds", type=float, default=4.0,
                   help=_("how often an idle camera checks whether someone watches (default %(default)s)"))


class _Scene:
    """`simulate --activity`: the drawn scene with seeded crossings, its ground-truth file and the
    masks of what the scene moves on purpose (the clock, the tree), for the analyzer (issue 23)."""

    def __init__(self, args: argparse.Namespace) -> None:

        from .activity.scene import TREE_ZONE, ActivityScene, clock_zone

        w, h = _resolution(args.resolution)
        self.truth = open(args.truth, "a", encoding="utf-8") if args.truth else None  # noqa: SIM115 - close()
        # the scene's origin is also the first frame's wall time: truth times are the frames' own times
        self.origin = datetime.now(timezone.utc)
        self.render = ActivityScene(w, h, seed=args.seed, origin=self.origin, truth=self.truth).render
        self.masks: tuple[Any, ...] = (clock_zone(w, h), TREE_ZONE)
        self.keyframe_seconds = args.keyframe_seconds or 1.0   # the analyzer reads keyframes (docs/activity.md)

    def close(self) -> None:
        if self.truth is not None:
            self.truth.close()


def _activity_scene(args: argparse.Namespace) -> _Scene | None:
    if getattr(args, "source", "testsrc") == "testsrc" and getattr(args, "activity", False) \
            and args.command == "simulate":
        return _Scene(args)
    return None


def _produce(args: argparse.Namespace, work: Path, sink: ClipSink, stop: Stop,
             on_packet: Callable[[Any, Any, Any], None] | None, scene: _Scene | None = None) -> None:
    """Make clips from the command's source: the synthetic camera (`simulate`, `record testsrc`)
    or the shared recording loop (`record URL|FILE`)."""
    from . import media

    source = getattr(args, "source", "testsrc")
    if source == "testsrc":
        w, h = _resolution(args.resolution)
        media.simulate(work, sink, fps=args.fps, width=w, height=h, clip_seconds=args.clip_seconds,
                       count=getattr(args, "count", None), duration=args.duration,
                       realtime=not getattr(args, "fast", False), stop=stop.is_set,
                       keyframe_seconds=scene.keyframe_seconds if scene is not None else args.keyframe_seconds,
                       on_packet=on_packet, render=scene.render if scene is not None else None,
                       start=scene.origin if scene is not None else None)
    else:
        media.record(source, work, sink, clip_seconds=args.clip_seconds, stop=stop.is_set,
                     max_seconds=args.duration, on_packet=on_packet, audio=args.audio,
                     transport=args.transport, read_timeout=args.read_timeout)


def _run_source(args: argparse.Namespace) -> int:
    """`record` and `simulate`: one camera's clips through the clip sink into the spool, uploaded
    in the background; ends with the summary line."""
    rt = Runtime(_settings(args)).preflight()
    stop = _stop_event()
    work = Path(args.work_dir or tempfile.mkdtemp(prefix=f"vigil-{args.command}-"))
    scene = _activity_scene(args)
    analyzer = _activity(rt, args, own_masks=scene.masks if scene is not None else ())
    sink = _clip_sink(rt, args, analyzer=analyzer)
    live = _live_view(rt, args)
    on_packet = live.on_packet if live is not None else None
    uploaded_before = rt.spool.status.snapshot()["uploaded"]
    try:
        _run_with_uploader(rt, stop, lambda: _produce(args, work, sink, stop, on_packet, scene))
    finally:
        if live is not None:
            live.stop()
        if scene is not None:
            scene.close()
    return _summary(rt, sink.clips, uploaded_before)


cmd_record = _run_source
cmd_simulate = _run_source


def _summary(rt: Runtime, clips: int, uploaded_before: int = 0) -> int:
    """The one JSON line `record` / `simulate` end with (this run's clips and uploads); exit 1 if
    clips are still queued."""
    snap = rt.spool.status.snapshot()
    snap["queue_depth"] = rt.spool.depth()[0]  # the spool itself, not the counter a drain thread last set
    print(json.dumps({"clips": clips, "uploaded": snap["uploaded"] - uploaded_before,
                      "queue_depth": snap["queue_depth"]}))
    return 0 if snap["queue_depth"] == 0 else 1


def _resolution(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("resolution must look like 1280x720") from exc
    if w <= 0 or h <= 0 or w % 2 or h % 2:
        raise argparse.ArgumentTypeError("resolution must be positive and even")
    return w, h


def cmd_gateway(args: argparse.Namespace) -> int:
    """Record every camera of the gateway config until Ctrl-C / SIGTERM (or --duration)."""
    from . import gatewayconfig
    from .gateway import Gateway

    if not args.config:
        raise cfg.ConfigError("gateway needs --config FILE (the gateway config with its cameras; see docs/gateway.md)")
    loaded = gatewayconfig.load(Path(args.config))
    for err in loaded.errors:        # that camera is left out; the others record
        print(json.dumps({"error": {"code": "camera_config", "camera": err.camera, "field": err.field,
                                    "message": err.message}}), file=sys.stderr)
    if not loaded.cameras:
        raise cfg.ConfigError(f"{args.config}: no camera left to record")
    rt = Runtime(loaded.settings, token_cameras=()).preflight()
    stop = _stop_event()
    gateway = Gateway(loaded.cameras, spool_root=rt.settings.spool_path,
                      uploader=camera_uploaders(rt, [c.id for c in loaded.cameras]),
                      hooks=lambda camera_id, spool: clip_hooks(rt, args, camera_id, spool),
                      live_view=_camera_live_view(args) if args.live_view else None,
                      live_log=_camera_live_log, live_all=args.live,
                      activity=_camera_activity, activity_all=args.activity)
    if args.duration:
        timer = threading.Timer(args.duration, stop.set)
        timer.daemon = True
        timer.start()
    cameras = gateway.run(stop, grace=args.grace)
    print(json.dumps({"cameras": cameras}))
    clean = not loaded.errors and all(c["error"] is None and c["queue_depth"] == 0 for c in cameras.values())
    return 0 if clean else 1


def camera_uploaders(rt: Runtime, cameras: list[str]) -> Callable[[str, Any], Any]:
    """Per gateway camera: an uploader signing with the token of the camera's group (`tokengroups`),
    reporting that camera's own spool health with each clip."""
    from .credentials import TokenProvider
    from .ossclient import DeviceOss
    from .tokengroups import TokenGroups
    from .upload import ClipUploader

    s = rt.settings
    groups = TokenGroups(lambda group: TokenProvider(s.token_url, s.device_id, s.device_secret, cameras=group),
                         cameras)

    def uploader(camera_id: str, spool: Any) -> Any:
        oss = DeviceOss(groups.for_camera(camera_id), status=spool.status)
        return ClipUploader(oss, multipart_threshold=s.multipart_threshold, part_size=s.part_size)

    return uploader


def _host_port(text: str) -> tuple[str, int]:
    host, _sep, port = text.rpartition(":")
    try:
        return (host or text, int(port) if host else 3702)
    except ValueError:
        # argparse prints it for a person (`argument --target: ...`): the locale's language
        raise argparse.ArgumentTypeError(_("--target must be HOST or HOST:PORT")) from None


def cmd_discover(args: argparse.Namespace) -> int:
    """ONVIF WS-Discovery on the LAN; each camera's RTSP stream URLs (docs/gateway.md)."""
    from .discover import discover

    password = os.environ.get(args.password_env) if args.password_env else None
    if args.password_env and password is None:
        raise cfg.ConfigError(f"--password-env {args.password_env}: that variable is not set")
    cameras = discover(args.timeout, target=args.target, username=args.username, password=password,
                       streams=not args.no_streams)
    if args.json:
        print(json.dumps({"cameras": [c.to_dict() for c in cameras]}, indent=2))
        return 0
    for line in discover_lines(cameras):
        print(line)
    return 0


def discover_lines(cameras: Sequence[Any]) -> list[str]:
    """`discover`'s listing for a person, in the locale's language (issue 31); the cameras' own words
    (names, hardware, URLs) as they sent them. `--json` keeps the English error."""
    if not cameras:
        return [_("no ONVIF camera answered (is multicast allowed on this network? try --target HOST)")]
    lines = []
    for cam in cameras:
        lines.append(f"{cam.address}  {cam.name or '-'}  {cam.hardware or '-'}  {' '.join(cam.xaddrs)}")
        lines += [f"    {stream['profile']}: {stream['uri']}" for stream in cam.streams]
        if cam.error:
            error = translate(*cam.problem) if cam.problem else cam.error
            lines.append("    " + _("error: %(error)s") % {"error": error})
    return lines


def cmd_status(args: argparse.Namespace) -> int:
    from .status import spool_status

    settings = _settings(args).require()
    doc = spool_status(settings.spool_path)
    doc["device_id"] = settings.device_id
    print(json.dumps(doc, indent=2, sort_keys=True))
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    from .credentials import TokenError, TokenProvider

    settings = _settings(args).require()
    provider = TokenProvider(settings.token_url, settings.device_id, settings.device_secret,
                             max_wait=args.wait)
    try:
        tok = provider.token()
    except TokenError as exc:  # errors are one JSON line on stderr, like every other command's
        print(json.dumps({"error": {"code": exc.code, "message": exc.message, "status": exc.status}}),
              file=sys.stderr)
        return 1
    doc = tok.describe()
    doc["clock_skew_seconds"] = round(provider.skew, 3)
    print(json.dumps(doc, indent=2))
    return 0


# -- parser -----------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vigil-camera",
                                     description=_("Vigil camera client: upload recordings to OSS "
                                                 "with a device token. Settings come from the config file, "
                                                 "overridden by VIGIL_TOKEN_URL, VIGIL_DEVICE_ID, "
                                                 "VIGIL_DEVICE_SECRET, VIGIL_SPOOL_DIR."))
    parser.add_argument("--config", metavar="FILE",
                        help=_("config file, as `vigil devices add --config-out` writes it "
                             "(default ~/.config/vigil-camera/config.json)"))
    parser.add_argument("--log-level", default="WARNING",
                        help=_("JSON log lines on stderr at DEBUG, INFO, WARNING or ERROR (default %(default)s)"))
    # The same option after the subcommand (`vigil-camera record URL --log-level INFO`) wins.
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--log-level", default=argparse.SUPPRESS,
                        help=_("DEBUG, INFO, WARNING or ERROR (default: as given before the command, else WARNING)"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("configure", parents=[common], help=_("write the config file (0600)"),
                       description=_("Write token URL, device id, secret and spool folder to the config file "
                                   "(--config). Options not given keep their value from the file."))
    p.add_argument("--token-url", dest="token_url", metavar="URL",
                   help=_("the token function's base URL (default: keep the file's)"))
    p.add_argument("--device-id", dest="device_id", metavar="ID",
                   help=_("device id, ^[a-z0-9][a-z0-9-]{2,62}$ (default: keep the file's)"))
    p.add_argument("--device-secret", dest="device_secret", metavar="HEX",
                   help=_("the 64 hex characters `vigil devices add` printed (default: keep the file's)"))
    p.add_argument("--spool-dir", dest="spool_dir", metavar="DIR",
                   help=_("where clips wait for upload (default ~/.local/state/vigil-camera/spool)"))
    p.add_argument("--max-spool-mb", type=float, metavar="MB",
                   help=_("spool disk budget; oldest clips are dropped beyond it (default: unlimited)"))
    p.set_defaults(func=cmd_configure)

    p = sub.add_parser("upload", parents=[common], help=_("upload clip files (through the spool)"),
                       description=_("Queue the files (kept in place) and upload them, with a progress bar. "
                                   "Ends with one JSON line; exit 1 if something is left queued."))
    p.add_argument("files", nargs="+", metavar="FILE",
                   help=_("clip files (.ts/.mp4); the start time comes from the name, e.g. 20261128T140000000Z-1.ts"))
    p.add_argument("--key", help=_("explicit object key, one file only (default: from the file name)"))
    p.add_argument("--wait", type=float, default=30.0,
                   help=_("seconds to wait for the token service before giving up (default %(default)s)"))
    p.set_defaults(func=cmd_upload)

    p = sub.add_parser("watch", parents=[common], help=_("upload finished clips appearing in a folder"),
                       description=_("Move finished *.ts/*.mp4 clips (stable size, older than --min-age) "
                                   "into the spool and upload them until interrupted."))
    p.add_argument("dir", metavar="DIR", help=_("the folder the camera writes clips into (must exist)"))
    p.add_argument("--interval", type=float, default=1.0, help=_("seconds between scans (default %(default)s)"))
    p.add_argument("--min-age", type=float, default=2.0,
                   help=_("seconds a clip must be untouched before upload (default %(default)s)"))
    p.add_argument("--activity", action="store_true",
                   help=_("analyse each clip for activity (keyframes; set the camera's GOP to 1 s), send it "
                          "with the clip and print it: one JSON line per clip with its active seconds, peak "
                          "score, zones and the seconds that were active"))
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("record", help=_("record a source (rtsp://..., a file, or testsrc) into clips"),
                       parents=[common],
                       description=_("Remux the source's video (and audio, for a camera whose audio is on) into "
                                   "MPEG-TS clips cut on keyframes (no video re-encoding) and upload them "
                                   "through the spool. Ends with one JSON line."))
    p.add_argument("source", metavar="SOURCE",
                   help=_("what to record: an rtsp:// URL, a video file, or testsrc (a synthetic pattern)"))
    _add_clip_options(p, clip_seconds=10.0)
    _add_camera_options(p)
    _add_testsrc_options(p, only=True)
    p.add_argument("--activity", action="store_true",
                   help=_("analyse each clip for activity (keyframes; set the camera's GOP to 1 s) and send it along"))
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("simulate", help=_("a synthetic camera: H.264 test pattern with the time drawn in"),
                       parents=[common],
                       description=_("Encode a moving test pattern with the wall-clock time drawn into "
                                   "each frame as H.264 MPEG-TS clips and upload them through the spool."))
    _add_clip_options(p, clip_seconds=4.0)
    _add_testsrc_options(p)
    p.add_argument("--count", type=int, help=_("stop after this many clips (default: until Ctrl-C or --duration)"))
    p.add_argument("--fast", action="store_true", help=_("encode as fast as possible instead of in real time"))
    p.add_argument("--activity", action="store_true",
                   help=_("draw a scene with objects crossing at seeded times (and noise, dusk, IR switches, "
                        "a swaying tree, the clock) and send each clip's activity with it"))
    p.add_argument("--seed", type=int, default=1,
                   help=_("--activity: the seed of the crossing schedule (default %(default)s)"))
    p.add_argument("--truth", metavar="FILE",
                   help=_("--activity: append the ground truth, one JSON line per crossing: "
                        "start, end (ISO 8601 UTC), kind (default: no truth file)"))
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("gateway", parents=[common], help=_("record many RTSP cameras in one process"),
                       description=_("Record every camera in the gateway config (one JSON file: the gateway's "
                                   "device settings and its cameras; see docs/gateway.md) into clips, one spool "
                                   "per camera, uploaded with the gateway's token. A camera with a mistake is "
                                   "reported (JSON on stderr, naming it) and the others record. Ends with one "
                                   "JSON line per run."))
    _add_live_view_options(p)
    p.add_argument("--live", action="store_true",
                   help=_("also append every camera's clips to live/<camera>/<YYYY>/<MM>/<DD>/<HH>.ts; a camera's "
                        "\"live\": true or false in the config decides for that camera (default: off)"))
    p.add_argument("--activity", action="store_true",
                   help=_("analyse each camera for activity (keyframes of its substream, or of its main stream "
                        "when it has none) and send it with its clips; a camera's \"activity\": true or false "
                        "in the config decides for that camera (default: off)"))
    p.add_argument("--config", metavar="FILE", default=argparse.SUPPRESS,
                   help=_("the gateway config (default: as given before the command)"))
    p.add_argument("--duration", type=float,
                   help=_("stop after this many seconds, as SIGTERM would (default: until Ctrl-C/SIGTERM)"))
    p.add_argument("--grace", type=float, default=30.0,
                   help=_("seconds to keep uploading after a stop (default %(default)s)"))
    p.set_defaults(func=cmd_gateway)

    p = sub.add_parser("status", parents=[common], help=_("show the uploader's counters and queue"),
                       description=_("Print status.json of the spool (uploaded, bytes, retries, queue, "
                                   "dropped, last success, last error) and the queue on disk now."))
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("discover", parents=[common], help=_("find ONVIF cameras on the LAN and their RTSP URLs"),
                       description=_("Send an ONVIF WS-Discovery probe (multicast 239.255.255.250:3702, or to "
                                   "--target), list the cameras that answer and, per camera, each media "
                                   "profile's RTSP URL (ONVIF GetStreamUri; most cameras need --username and "
                                   "--password-env). Needs no device settings."))
    p.add_argument("--timeout", type=float, default=3.0, help=_("seconds to collect answers (default %(default)s)"))
    p.add_argument("--target", type=_host_port, metavar="HOST[:PORT]",
                   help=_("probe one address instead of multicast (another subnet; default port 3702)"))
    p.add_argument("--username", help=_("ONVIF user for reading stream URLs (WS-Security digest; default: none)"))
    p.add_argument("--password-env", metavar="VAR",
                   help=_("the environment variable holding that user's password "
                          "(never on the command line; default: none)"))
    p.add_argument("--no-streams", action="store_true", help=_("only list who answers; ask no camera for URLs"))
    p.add_argument("--json", action="store_true", help=_("one JSON document: {\"cameras\": [...]}"))
    p.set_defaults(func=cmd_discover)

    p = sub.add_parser("token", parents=[common], help=_("fetch a token and show its expiry and prefixes (debug)"),
                       description=_("Fetch a token; shows expiry, bucket, endpoint and prefixes — "
                                   "never the secret. Errors are one JSON line on stderr."))
    p.add_argument("--wait", type=float, default=10.0,
                   help=_("seconds to wait for the token service (default %(default)s)"))
    p.set_defaults(func=cmd_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    keep_lean()   # before anything imports oss2 or PyAV: see lean.py
    from .credentials import TokenError
    from .sources import RecordError

    setup_argparse()   # argparse's own words ("usage:", errors) in the locale's language, before any parser
    parser = build_parser()
    args = parser.parse_args(argv)
    logs.setup(args.log_level)
    try:
        return int(args.func(args) or 0)
    except cfg.ConfigError as exc:
        print(json.dumps({"error": {"code": "config", "message": str(exc)}}), file=sys.stderr)
        return 2
    except TokenError as exc:
        print(json.dumps({"error": {"code": exc.code, "message": exc.message, "status": exc.status}}),
              file=sys.stderr)
        return 1
    except RecordError as exc:   # redacted: an rtsp://user:password@ never reaches the terminal
        print(json.dumps({"error": {"code": exc.code, "message": exc.message}}), file=sys.stderr)
        return 2 if exc.code in ("bad_source", "bad_config") else 1
    except (FileNotFoundError, ValueError, argparse.ArgumentTypeError) as exc:
        print(json.dumps({"error": {"code": "bad_input", "message": str(exc)}}), file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return reader_left()


def reader_left() -> int:
    """`vigil-camera … | head` (and `vigil … | head`): the reader went away. Point stdout at
    /dev/null so the interpreter's final flush cannot raise again; exit with the shell's SIGPIPE status."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141


if __name__ == "__main__":
    sys.exit(main())
