"""`vigil-camera`: the device command line (configure, upload, watch, record, simulate, status, token)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import config as cfg
from . import logs

log = logs.get("vigil_camera.cli")


def _progress(total: int, desc: str) -> Any:
    from tqdm import tqdm
    return tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc, file=sys.stderr)


class Runtime:
    """Everything a command needs, built from the settings."""

    def __init__(self, settings: cfg.Settings) -> None:
        from .credentials import TokenProvider
        from .ossclient import DeviceOss
        from .spool import Spool
        from .upload import ClipUploader

        self.settings = settings.require()
        self.tokens = TokenProvider(settings.token_url, settings.device_id, settings.device_secret)
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


def _stop_event() -> threading.Event:
    stop = threading.Event()

    def handler(signum: int, frame: Any) -> None:
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
    with _progress(queued, "upload") as bar:
        rt.spool.drain(rt.uploader, concurrency=rt.settings.concurrency, progress=bar.update,
                       stop=_stop_event())
    snap = rt.spool.status.snapshot()
    snap["queue_depth"] = rt.spool.depth()[0]  # the spool itself, not the counter a drain thread last set
    if snap["failures"] == failures_before:
        snap["last_error"] = None   # an error from an earlier run is history, not this upload's outcome
    print(json.dumps({k: snap[k] for k in ("uploaded", "uploaded_bytes", "queue_depth", "last_error")}))
    return 0 if snap["queue_depth"] == 0 else 1


def _run_with_uploader(rt: Runtime, stop: threading.Event, producer: Callable[[], None]) -> int:
    """Upload in the background while `producer` makes clips; then wait until the queue is empty
    (or Ctrl-C)."""
    worker = threading.Thread(target=rt.spool.drain, kwargs={
        "uploader": rt.uploader, "concurrency": rt.settings.concurrency, "stop": stop, "until_empty": False},
        daemon=True)
    worker.start()
    try:
        producer()
        while not stop.is_set() and rt.spool.depth()[0] > 0:
            stop.wait(0.2)
    finally:
        stop.set()
        worker.join()
    return 0


def cmd_watch(args: argparse.Namespace) -> int:
    from .watch import FolderWatcher

    folder = Path(args.dir)
    if not folder.is_dir():
        raise FileNotFoundError(f"watch folder {folder} does not exist or is not a folder")
    rt = Runtime(_settings(args)).preflight()
    stop = _stop_event()
    watcher = FolderWatcher(Path(args.dir), rt.spool, rt.settings.device_id, min_age=args.min_age)
    worker = threading.Thread(target=rt.spool.drain, kwargs={
        "uploader": rt.uploader, "concurrency": rt.settings.concurrency, "stop": stop, "until_empty": False},
        daemon=True)
    worker.start()
    watcher.run(stop, interval=args.interval)
    worker.join()
    return 0


def _clip_sink(rt: Runtime, live: bool) -> Callable[[Any], None]:
    from .clipinfo import clip_info
    from .live import LiveAppender

    appender = LiveAppender(rt.oss, rt.settings.device_id) if live else None

    def on_clip(clip: Any) -> None:
        if appender is not None:
            try:
                appender.append_clip(clip.path, clip.start)
            except Exception as exc:  # noqa: BLE001 - the live log is best effort, the clip is not
                log.warning("live append failed", extra={"error": f"{type(exc).__name__}: {exc}"})
        rt.spool.enqueue(clip.path, clip_info(clip.path).key(rt.settings.device_id), move=True)

    return on_clip


def _live_view(rt: Runtime, args: argparse.Namespace) -> Any:
    """The live view (issue 11) when `--live-view` is given, else None."""
    if not getattr(args, "live_view", False):
        return None
    from .liveview import LiveView

    return LiveView(rt.oss, rt.settings.device_id, segment_seconds=args.segment_seconds,
                    list_size=args.live_list_size, probe_seconds=args.live_probe_seconds,
                    state_path=rt.settings.spool_path / "live-state.json").start()


def _add_live_view_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--live-view", action="store_true",
                   help="also cut short HLS segments and upload them to live/<id>/hls/ while someone watches")
    p.add_argument("--segment-seconds", type=float, default=1.0,
                   help="live segment target; cut on the first keyframe after it (default %(default)s)")
    p.add_argument("--live-list-size", type=int, default=6, help="segments in the live playlist (default %(default)s)")
    p.add_argument("--live-probe-seconds", type=float, default=4.0,
                   help="how often an idle camera checks whether someone watches (default %(default)s)")


def cmd_record(args: argparse.Namespace) -> int:
    from . import media

    rt = Runtime(_settings(args)).preflight()
    stop = _stop_event()
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="vigil-record-"))
    sink = _Counting(_clip_sink(rt, args.live))
    live = _live_view(rt, args)
    on_packet = live.on_packet if live is not None else None

    def produce() -> None:
        if args.source == "testsrc":
            w, h = _resolution(args.resolution)
            media.simulate(work, sink, fps=args.fps, width=w, height=h, clip_seconds=args.clip_seconds,
                           duration=args.duration, realtime=True, stop=stop.is_set,
                           keyframe_seconds=args.keyframe_seconds, on_packet=on_packet)
        else:
            media.record(args.source, work, sink, clip_seconds=args.clip_seconds, stop=stop.is_set,
                         max_seconds=args.duration, on_packet=on_packet)

    try:
        _run_with_uploader(rt, stop, produce)
    finally:
        if live is not None:
            live.stop()
    return _summary(rt, sink.clips)


class _Counting:
    """A clip sink that counts the clips it was handed (for the summary line)."""

    def __init__(self, sink: Callable[[Any], None]) -> None:
        self.sink = sink
        self.clips = 0

    def __call__(self, clip: Any) -> None:
        self.sink(clip)
        self.clips += 1


def _summary(rt: Runtime, clips: int) -> int:
    """The one JSON line `record` / `simulate` end with; exit 1 if clips are still queued."""
    snap = rt.spool.status.snapshot()
    snap["queue_depth"] = rt.spool.depth()[0]  # the spool itself, not the counter a drain thread last set
    print(json.dumps({"clips": clips, "uploaded": snap["uploaded"], "queue_depth": snap["queue_depth"]}))
    return 0 if snap["queue_depth"] == 0 else 1


def _resolution(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError("resolution must look like 1280x720") from exc
    if w <= 0 or h <= 0 or w % 2 or h % 2:
        raise argparse.ArgumentTypeError("resolution must be positive and even")
    return w, h


def cmd_simulate(args: argparse.Namespace) -> int:
    from . import media

    rt = Runtime(_settings(args)).preflight()
    stop = _stop_event()
    w, h = _resolution(args.resolution)
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="vigil-sim-"))
    sink = _clip_sink(rt, args.live)
    made = [0]
    live = _live_view(rt, args)

    def produce() -> None:
        made[0] = media.simulate(work, sink, fps=args.fps, width=w, height=h, clip_seconds=args.clip_seconds,
                                 count=args.count, duration=args.duration, realtime=not args.fast,
                                 stop=stop.is_set, keyframe_seconds=args.keyframe_seconds,
                                 on_packet=live.on_packet if live is not None else None)

    try:
        _run_with_uploader(rt, stop, produce)
    finally:
        if live is not None:
            live.stop()
    return _summary(rt, made[0])


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
                                     description="Vigil camera client: upload recordings to OSS "
                                                 "with a device token. Settings come from the config file, "
                                                 "overridden by VIGIL_TOKEN_URL, VIGIL_DEVICE_ID, "
                                                 "VIGIL_DEVICE_SECRET, VIGIL_SPOOL_DIR.")
    parser.add_argument("--config", metavar="FILE",
                        help="config file, as `vigil devices add --config-out` writes it "
                             "(default ~/.config/vigil-camera/config.json)")
    parser.add_argument("--log-level", default="WARNING",
                        help="JSON log lines on stderr at DEBUG, INFO, WARNING or ERROR (default %(default)s)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("configure", help="write the config file (0600)",
                       description="Write token URL, device id, secret and spool folder to the config file "
                                   "(--config). Options not given keep their value from the file.")
    p.add_argument("--token-url", dest="token_url", metavar="URL",
                   help="the token function's base URL (default: keep the file's)")
    p.add_argument("--device-id", dest="device_id", metavar="ID",
                   help="device id, ^[a-z0-9][a-z0-9-]{2,62}$ (default: keep the file's)")
    p.add_argument("--device-secret", dest="device_secret", metavar="HEX",
                   help="the 64 hex characters `vigil devices add` printed (default: keep the file's)")
    p.add_argument("--spool-dir", dest="spool_dir", metavar="DIR",
                   help="where clips wait for upload (default ~/.local/state/vigil-camera/spool)")
    p.add_argument("--max-spool-mb", type=float, metavar="MB",
                   help="spool disk budget; oldest clips are dropped beyond it (default: unlimited)")
    p.set_defaults(func=cmd_configure)

    p = sub.add_parser("upload", help="upload clip files (through the spool)",
                       description="Queue the files (kept in place) and upload them, with a progress bar. "
                                   "Ends with one JSON line; exit 1 if something is left queued.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="clip files (.ts/.mp4); the start time comes from the name, e.g. 20261128T140000000Z-1.ts")
    p.add_argument("--key", help="explicit object key, one file only (default: from the file name)")
    p.add_argument("--wait", type=float, default=30.0,
                   help="seconds to wait for the token service before giving up (default %(default)s)")
    p.set_defaults(func=cmd_upload)

    p = sub.add_parser("watch", help="upload finished clips appearing in a folder",
                       description="Move finished *.ts/*.mp4 clips (stable size, older than --min-age) "
                                   "into the spool and upload them until interrupted.")
    p.add_argument("dir", metavar="DIR", help="the folder the camera writes clips into (must exist)")
    p.add_argument("--interval", type=float, default=1.0, help="seconds between scans (default %(default)s)")
    p.add_argument("--min-age", type=float, default=2.0,
                   help="seconds a clip must be untouched before upload (default %(default)s)")
    p.set_defaults(func=cmd_watch)

    p = sub.add_parser("record", help="record a source (rtsp://..., a file, or testsrc) into clips",
                       description="Remux the source's video into MPEG-TS clips cut on keyframes "
                                   "(no re-encoding) and upload them through the spool. Ends with one JSON line.")
    p.add_argument("source", metavar="SOURCE",
                   help="what to record: an rtsp:// URL, a video file, or testsrc (a synthetic pattern)")
    p.add_argument("--clip-seconds", type=float, default=10.0, help="clip length in seconds (default %(default)s)")
    p.add_argument("--duration", type=float, help="stop after this many seconds of media (default: until Ctrl-C)")
    p.add_argument("--fps", type=int, default=15, help="frames per second, testsrc only (default %(default)s)")
    p.add_argument("--resolution", default="640x360", help="WxH, testsrc only (default %(default)s)")
    p.add_argument("--live", action="store_true", help="also append to live/<id>/<YYYY>/<MM>/<DD>/<HH>.ts")
    p.add_argument("--keyframe-seconds", type=float, default=None,
                   help="testsrc only: keyframe interval (default: the clip length)")
    _add_live_view_options(p)
    p.add_argument("--work-dir", metavar="DIR",
                   help="where clips are cut before entering the spool (default: a new temporary folder)")
    p.set_defaults(func=cmd_record)

    p = sub.add_parser("simulate", help="a synthetic camera: H.264 test pattern with the time drawn in",
                       description="Encode a moving test pattern with the wall-clock time drawn into "
                                   "each frame as H.264 MPEG-TS clips and upload them through the spool.")
    p.add_argument("--fps", type=int, default=15, help="frames per second (default %(default)s)")
    p.add_argument("--resolution", default="640x360", help="frame size WxH, even numbers (default %(default)s)")
    p.add_argument("--clip-seconds", type=float, default=4.0, help="clip length in seconds (default %(default)s)")
    p.add_argument("--count", type=int, help="stop after this many clips (default: until Ctrl-C or --duration)")
    p.add_argument("--duration", type=float, help="stop after this many seconds of video (default: until Ctrl-C)")
    p.add_argument("--fast", action="store_true", help="encode as fast as possible instead of in real time")
    p.add_argument("--live", action="store_true", help="also append to the hourly live object")
    p.add_argument("--keyframe-seconds", type=float, default=None,
                   help="keyframe interval (default: the clip length; use 1 with --live-view)")
    _add_live_view_options(p)
    p.add_argument("--work-dir", metavar="DIR",
                   help="where clips are written before entering the spool (default: a new temporary folder)")
    p.set_defaults(func=cmd_simulate)

    p = sub.add_parser("status", help="show the uploader's counters and queue",
                       description="Print status.json of the spool (uploaded, bytes, retries, queue, "
                                   "dropped, last success, last error) and the queue on disk now.")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("token", help="fetch a token and show its expiry and prefixes (debug)",
                       description="Fetch a token; shows expiry, bucket, endpoint and prefixes — "
                                   "never the secret. Errors are one JSON line on stderr.")
    p.add_argument("--wait", type=float, default=10.0,
                   help="seconds to wait for the token service (default %(default)s)")
    p.set_defaults(func=cmd_token)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    from .credentials import TokenError

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
