"""The whole-stack fault scenario: localcloud + functions + N real `vigil-camera` processes, faults on a seeded
schedule, then settle and prove that every clip is in OSS exactly once, byte-identical, and in the timeline.

Everything is a real process talking real protocols on the loopback: the stack is `vigil local up`, cameras are
`vigil-camera simulate` (each with its own spool and its own fault proxy, `chaos_proxy.CameraProxy`), operator
actions are `vigil devices ...` / `vigil index backfill`. The schedule is drawn from the seed and printed first,
so a failing run is replayed with the same `--seed`.
"""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import oss2
import psutil
from chaos_proxy import CameraProxy, Fault, TcpProxy
from chaos_viewer import LiveWatcher, Viewer, ViewerBase
from chaos_viewer_check import verify_viewers

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NET_FAULTS = ("drop", "reset", "stall", "slow", "lose")
TOKEN_TTL_S = 900    # the shortest token STS issues: a clock jump past it expires every token at once
GRACE_S = 6.0        # how long after a fault ends its effects (backoff, restart) may still show as 5xx
EXPORT_STALE_S = 30
CLOCK_JUMP_S = 8.0   # how long the stack's clock stays moved ahead: every camera uploads (and meets it) within it
LIVE_ARGS = ["--live-view", "--keyframe-seconds", "1", "--live-probe-seconds", "1"]


@dataclass
class Config:
    seed: int
    cameras: int = 4
    duration_s: float = 90.0
    clip_seconds: float = 2.0
    fps: int = 5
    resolution: str = "320x180"
    settle_timeout_s: float = 240.0
    out_dir: Path = REPO / ".vigil" / "chaos"
    kill_stack: int = 1          # how many kill -9 of the whole stack
    faults: bool = True
    viewers: int = 1             # viewers browsing recordings through the api (plus one live watcher)


@dataclass
class Event:
    """One scheduled action. Window faults (network, token, sts) have a length; the rest are instants."""

    t: float
    kind: str
    target: str = ""
    length: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)

    def line(self) -> str:
        extra = f" for {self.length:.1f}s" if self.length else ""
        params = f" {self.params}" if self.params else ""
        return f"  t={self.t:6.1f}s  {self.kind:<14} {self.target or '*'}{extra}{params}"


def camera_ids(n: int) -> list[str]:
    return [f"chaos-cam-{i:02d}" for i in range(n)]


def net_fault(rng: random.Random, target: str, earliest: float, latest: float) -> Event:
    """A window of one network fault on a link, 3-10 s, hitting 30-70 % of its requests."""
    kind = rng.choice(NET_FAULTS)
    params: dict[str, Any] = {"probability": round(rng.uniform(0.3, 0.7), 2)}
    if kind == "stall":
        params["stall_seconds"] = round(rng.uniform(1, 4), 1)
    if kind == "slow":
        params["rate"] = rng.choice([64 * 1024, 256 * 1024])
    return Event(round(rng.uniform(earliest, latest), 1), kind, target, round(rng.uniform(3, 10), 1), params)


def draw_schedule(cfg: Config) -> list[Event]:
    """The fault schedule for a seed: the same seed always gives the same list."""
    rng = random.Random(cfg.seed)
    cams = camera_ids(cfg.cameras)
    d = cfg.duration_s
    ev: list[Event] = []
    if not cfg.faults:
        return ev
    for cam in cams[1:]:  # camera 0 is the spool-budget camera: its network is cut for a long stretch
        ev += [net_fault(rng, cam, 3, d * 0.85) for _ in range(3)]
    ev.append(Event(round(rng.uniform(5, d * 0.3), 1), "drop", cams[0], round(d * 0.3, 1), {"probability": 1.0}))
    # Outages of the token path only bite when cameras need a token: each starts just after a clock jump past
    # every token's expiry (which is also a camera clock 16 minutes behind the server), so all cameras refresh into it.
    # A token issued while the clock is moved ahead stays valid that much longer once it is moved back, so each
    # jump goes past every earlier jump too: a camera that refreshed inside one jump still needs a token in the next
    # outage (with equal jumps it did not, and whether any camera met the token outage depended on timing).
    outages = [(round(rng.uniform(d * 0.1, d * 0.6), 1), kind, length, params)
               for kind, length, params in (("token503", 10.0, {"probability": 1.0}),
                                            ("token_timeout", 6.0, {"probability": 0.7, "stall_seconds": 4}),
                                            ("sts_down", 8.0, {}))]
    ahead = 0
    for t, kind, length, params in sorted(outages, key=lambda o: o[0]):
        jump = ahead + TOKEN_TTL_S + 60
        ahead += jump
        ev.append(Event(t, "clock_jump", "", params={"seconds": jump}))
        ev.append(Event(round(t + 0.5, 1), kind, "", length, params))
    victim = rng.choice(cams[1:] or cams)
    t_dis = round(rng.uniform(d * 0.1, d * 0.6), 1)
    ev.append(Event(t_dis, "disable", victim))
    ev.append(Event(round(t_dis + rng.uniform(5, 10), 1), "enable", victim))
    for _ in range(cfg.kill_stack):
        ev.append(Event(round(rng.uniform(d * 0.3, d * 0.8), 1), "kill_stack", "", params={"down_s": 3}))
    multipart_cams = cams[1::2] or cams
    for cam in rng.sample(multipart_cams, k=min(2, len(multipart_cams))):  # killed while a multipart is open
        ev.append(Event(round(rng.uniform(d * 0.1, d * 0.9), 1), "kill_camera", cam, params={"down_s": 2}))
    for _ in range(2):  # duplicated, reordered deliveries, and an indexer instance killed in the middle of them
        t = round(rng.uniform(d * 0.2, d * 0.9), 1)
        ev.append(Event(t, "replay_events", rng.choice(cams)))
        ev.append(Event(round(t + 0.4, 1), "kill_fn_worker", "vigil-indexer"))
    ev += draw_viewer_schedule(cfg, rng, victim)
    return sorted(ev, key=lambda e: (e.t, e.kind, e.target))


def viewer_names(cfg: Config) -> list[str]:
    return [f"viewer-{i}" for i in range(cfg.viewers)] + (["live-0"] if cfg.viewers else [])


def draw_viewer_schedule(cfg: Config, rng: random.Random, live_camera: str) -> list[Event]:
    """The viewer side's faults, drawn after the cameras' (so adding viewers leaves the camera schedule as it was):
    bad links between each viewer and the api/OSS, api instances killed mid-invocation, exports started during
    faults with an export instance killed mid-job. The live watcher watches the camera that is disabled."""
    d = cfg.duration_s
    ev: list[Event] = []
    if not cfg.viewers:
        return ev
    for name in viewer_names(cfg):
        ev += [net_fault(rng, name, 5, d * 0.85) for _ in range(2)]
    for _ in range(2):
        ev.append(Event(round(rng.uniform(d * 0.15, d * 0.9), 1), "kill_api", "vigil-api"))
    t = round(rng.uniform(d * 0.3, d * 0.5), 1)
    cams = camera_ids(cfg.cameras)
    ev.append(Event(t, "export", "viewer-0", params={"kill": True, "camera": rng.choice(cams[1:] or cams)}))
    ev.append(Event(round(rng.uniform(d * 0.5, d * 0.8), 1), "export", f"viewer-{cfg.viewers - 1}",
                    params={"camera": rng.choice(cams[1:] or cams)}))
    ev.append(Event(0.0, "watch_live", "live-0", params={"camera": live_camera}))
    return ev


def free_port_block(n: int, rng: random.Random) -> int:
    """A base port P such that P..P+n-1 are free on the loopback (the stack keeps its ports across restarts)."""
    for _ in range(200):
        base = rng.randrange(20000, 60000 - n)
        socks = []
        try:
            for i in range(n):
                s = socket.socket()
                s.bind(("127.0.0.1", base + i))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise RuntimeError("no free block of ports on the loopback")


# -- the stack -----------------------------------------------------------------------------------

class Stack:
    """`vigil local up` on one data folder and fixed ports, so it can be killed and started again."""

    def __init__(self, data: Path, port: int, sts_proxy_port: int) -> None:
        self.data = data
        self.port = port
        self.sts_proxy_port = sts_proxy_port
        self.proc: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}
        self.starts = 0

    def start(self, timeout: float = 120.0) -> dict[str, Any]:
        self.starts += 1
        log = open(self.data.parent / f"stack.{self.starts}.log", "w")  # noqa: SIM115 - lives with the child
        self.proc = subprocess.Popen(
            [str(BIN / "vigil"), "local", "up", "--data", str(self.data), "--port", str(self.port), "--json",
             "--function-env", f"VIGIL_STS_ENDPOINT=http://127.0.0.1:{self.sts_proxy_port}",
             "--function-env", f"VIGIL_TOKEN_TTL_DEFAULT={TOKEN_TTL_S}",
             # an export whose instance was killed reads as failed (and is retried) after this, not 120 s
             "--function-env", f"VIGIL_EXPORT_STALE_SECONDS={EXPORT_STALE_S}"],
            stdout=subprocess.PIPE, stderr=log, text=True, start_new_session=True)
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self.proc.stdout.readline() if self.proc and
                                                             self.proc.stdout else ""), daemon=True)
        reader.start()
        reader.join(timeout)
        if not line or not line[0].strip():
            raise RuntimeError(f"the stack did not come up within {timeout:.0f}s (see {log.name})")
        self.info = json.loads(line[0])
        return self.info

    def processes(self) -> list[psutil.Process]:
        if self.proc is None:
            return []
        try:
            root = psutil.Process(self.proc.pid)
            return [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def kill9(self) -> int:
        """SIGKILL every process of the stack: OSS, STS, the FC runtime and its function workers."""
        procs = self.processes()
        for p in procs:
            try:
                p.send_signal(signal.SIGKILL)
            except psutil.NoSuchProcess:
                pass
        psutil.wait_procs(procs, timeout=10)
        if self.proc is not None:
            self.proc.wait(timeout=10)
        return len(procs)

    def worker_pids(self, function: str) -> list[int]:
        pids = []
        for p in self.processes()[1:]:
            try:
                if "localcloud.fc.worker" in " ".join(p.cmdline()) and p.cwd():
                    env_fn = p.environ().get("FC_FUNCTION_NAME", "")
                    if not env_fn or env_fn == function:
                        pids.append(p.pid)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return pids

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill9()

    def bucket(self) -> oss2.Bucket:
        i = self.info
        return oss2.Bucket(oss2.Auth(i["access_key_id"], i["access_key_secret"]), i["oss_endpoint"], i["bucket"])

    def advance_clock(self, seconds: float) -> None:
        req = urllib.request.Request(f"{self.info['oss_endpoint']}/_localcloud/clock", method="PUT",
                                     data=json.dumps({"advance": seconds}).encode(),
                                     headers={"X-Localcloud-Admin": self.info["admin_token"],
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10):  # noqa: S310 - loopback admin endpoint
            pass

    def dead_letters(self) -> list[dict[str, Any]]:
        req = urllib.request.Request(f"{self.info['fc_endpoint']}/_localcloud/fc/dead-letters",
                                     headers={"X-Localcloud-Admin": self.info["admin_token"]})
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - loopback admin endpoint
            return list(json.loads(resp.read()).get("deadLetters", []))

    def ops_env(self) -> dict[str, str]:
        return {**os.environ, "VIGIL_LOCAL_DATA": str(self.data)}


# -- the cameras ---------------------------------------------------------------------------------

class Camera:
    """One real `vigil-camera simulate` process, its config, spool, logs and fault proxy."""

    def __init__(self, device_id: str, root: Path, proxy: CameraProxy, cfg: Config) -> None:
        self.id = device_id
        self.root = root
        self.proxy = proxy
        self.cfg = cfg
        self.config = root / "config.json"
        self.spool = root / "spool"
        self.proc: subprocess.Popen[bytes] | None = None
        self.runs = 0
        self.extra_args: list[str] = []

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k.lower() not in ("http_proxy", "https_proxy", "no_proxy")}
        return {**env, "HTTP_PROXY": self.proxy.url, "http_proxy": self.proxy.url, "NO_PROXY": "", "no_proxy": "",
                "VIGIL_LOG_LEVEL": "INFO"}

    def _spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        self.runs += 1
        log = open(self.root / f"camera.{self.runs}.log", "ab")  # noqa: SIM115 - lives with the child
        return subprocess.Popen([str(BIN / "vigil-camera"), "--log-level", "INFO", "--config", str(self.config), *args],
                                env=self._env(), stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)

    def start(self) -> None:
        self.proc = self._spawn(["simulate", "--clip-seconds", str(self.cfg.clip_seconds), "--fps",
                                 str(self.cfg.fps), "--resolution", self.cfg.resolution, *self.extra_args])

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()

    def wait_for_open_multipart(self, timeout: float) -> bool:
        """Until a multipart checkpoint exists (an upload is half done), so a kill lands mid-multipart."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if any((self.spool / "checkpoints").glob("*.json")):
                return True
            time.sleep(0.02)
        return False

    def queued(self) -> int:
        return sum(1 for _ in (self.spool / "queue").glob("*.json"))

    def drain(self, deadline: float) -> bool:
        """Upload what is still spooled with a real `vigil-camera watch` on an empty folder, until empty."""
        empty = self.root / "empty"
        empty.mkdir(exist_ok=True)
        self.proc = self._spawn(["watch", str(empty)])
        try:
            while time.monotonic() < deadline:
                if self.queued() == 0:
                    return True
                time.sleep(0.5)
            return self.queued() == 0
        finally:
            self.stop()


# -- the scenario --------------------------------------------------------------------------------

class Scenario:
    def __init__(self, cfg: Config, say: Callable[[str], None] = print) -> None:
        self.cfg = cfg
        self.say = say
        self.rng = random.Random(cfg.seed)
        self.work = cfg.out_dir / str(cfg.seed)
        self.events = draw_schedule(cfg)
        self.t0 = time.monotonic()
        self.applied: Counter[str] = Counter()
        self.windows: list[tuple[float, float, str, str]] = []   # (start, end, kind, target) that may cause 5xx
        self.replays: list[subprocess.Popen[bytes]] = []
        self.offsets: list[tuple[float, float]] = [(0.0, 0.0)]     # (t, the stack clock's offset from then on)
        self.helpers: list[threading.Thread] = []                  # fault actions that wait for their moment
        self.viewers: dict[str, ViewerBase] = {}
        self.users: dict[str, str] = {}
        self.wall_t0_ms = 0
        self.grace_s = GRACE_S
        self.max_lateness_s = 0.0
        self.clock_lock = threading.Lock()
        self.done: list[tuple[str, str, float]] = []               # (kind, target, when it took effect)

    def clock(self) -> float:
        return time.monotonic() - self.t0

    def run(self) -> dict[str, Any]:
        import shutil

        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        self.say(f"chaos seed {self.cfg.seed}: {self.cfg.cameras} cameras, {self.cfg.duration_s:.0f}s, "
                 f"{self.cfg.clip_seconds}s clips; schedule ({len(self.events)} events):")
        for e in self.events:
            self.say(e.line())
        port = free_port_block(10, self.rng)
        sts_proxy = TcpProxy(port + 1)
        self.stack = Stack(self.work / "data", port, sts_proxy.port)
        self.sts_proxy = sts_proxy
        self.stack.start()
        self.cameras = self._provision(port + 3)
        self.viewers = self._make_viewers()
        self.t0 = time.monotonic()
        self.wall_t0_ms = int(time.time() * 1000)
        self._arm_windows()
        for cam in self.cameras.values():
            cam.start()
        for viewer in self.viewers.values():
            viewer.start()
        meter = CpuMeter(self).start()
        try:
            self._play()
            self.say(f"t={self.clock():.1f}s: faults over; settling")
            for viewer in self.viewers.values():
                viewer.stop()
            for thread in [*self.helpers, *self.viewers.values()]:
                thread.join(timeout=90)
            cpu = meter.stop()
            settle = self._settle()
            report = self._verify(settle)
            viewer_report, viewer_problems = verify_viewers(self)
            report["viewer"] = viewer_report
            report["problems"] += viewer_problems
            report["ok"] = not report["problems"]
            report["cpu_seconds"] = cpu
            report["cpu_cores_busy"] = round(sum(cpu.values()) / max(1.0, self.cfg.duration_s), 2)
            report["peak_backlog_clips"] = meter.peak_backlog
            report["clips_per_minute"] = round(sum(c["produced"] for c in report["cameras"].values())
                                               / (self.cfg.duration_s / 60), 1)
        finally:
            for cam in self.cameras.values():
                cam.stop()
            self.stack.stop()
            sts_proxy.close()
            for cam in self.cameras.values():
                cam.proxy.close()
            for viewer in self.viewers.values():
                viewer.stop()
                viewer.proxy.close()
        path = self.cfg.out_dir / f"{self.cfg.seed}.json"
        path.write_text(json.dumps(report, indent=2, default=str))
        report["report_file"] = str(path)
        return report

    def _provision(self, token_port: int) -> dict[str, Camera]:
        from vigil_ops.demo_cmd import provision

        info = _Info(self.stack.info)
        configs = provision(info, self.work / "data", camera_ids(self.cfg.cameras))
        cams = {}
        for i, (device_id, src) in enumerate(configs.items()):
            root = self.work / "cameras" / device_id
            root.mkdir(parents=True)
            doc = json.loads(Path(src).read_text())
            doc["spool_dir"] = str(root / "spool")
            extra = LIVE_ARGS if device_id == self.live_camera() else []
            if i % 2 == 1:  # every other camera uploads each clip as a multipart upload (kill -9 mid-multipart)
                doc.update({"multipart_threshold": 8 * 1024, "part_size": 100 * 1024})
            if i == 0:
                doc["max_spool_bytes"] = 120 * 1024   # a small disk (~6 clips): the long outage drops the oldest
            (root / "config.json").write_text(json.dumps(doc))
            os.chmod(root / "config.json", 0o600)
            proxy = CameraProxy(device_id, self.clock, random.Random(f"{self.cfg.seed}-{device_id}"), token_port)
            cams[device_id] = Camera(device_id, root, proxy, self.cfg)
            cams[device_id].extra_args = extra
        return cams

    def live_camera(self) -> str:
        return next((str(e.params["camera"]) for e in self.events if e.kind == "watch_live"), "")

    def _make_viewers(self) -> dict[str, ViewerBase]:
        """One account per viewer (exports are per user), each viewer behind its own fault proxy."""
        import secrets

        from vigil_fn.api.users import UserStore

        store = UserStore(self.stack.bucket())
        base = str(self.stack.info["functions"]["vigil-api"]).rstrip("/")
        bucket = str(self.stack.info["bucket"])
        viewers: dict[str, ViewerBase] = {}
        for name in viewer_names(self.cfg):
            user, password = f"chaos-{name}", secrets.token_urlsafe(16)
            store.create(user, password, "viewer")
            self.users[name] = user
            proxy = CameraProxy(name, self.clock, random.Random(f"{self.cfg.seed}-{name}"), token_port=-1)
            args = (name, base, bucket, (user, password), proxy, self.clock, f"{self.cfg.seed}-{name}")
            if name.startswith("live"):
                viewers[name] = LiveWatcher(*args, camera=self.live_camera())
            else:
                viewers[name] = Viewer(*args, cameras=list(self.cameras))
        return viewers

    def _arm_windows(self) -> None:
        for e in self.events:
            if e.kind in NET_FAULTS and e.target in self.viewers:
                self.viewers[e.target].proxy.faults.append(
                    Fault(e.kind, e.t, e.t + e.length, float(e.params.get("probability", 1.0)), e.params))
                self.windows.append((e.t, e.t + e.length, "viewer_link", e.target))
            elif e.kind in NET_FAULTS:
                self.cameras[e.target].proxy.faults.append(
                    Fault(e.kind, e.t, e.t + e.length, float(e.params.get("probability", 1.0)), e.params))
            elif e.kind in ("token503", "token_timeout"):
                for cam in self.cameras.values():
                    cam.proxy.faults.append(
                        Fault(e.kind, e.t, e.t + e.length, float(e.params.get("probability", 1.0)), e.params))
            if e.kind in ("token503", "token_timeout"):  # armed in the proxies by the schedule; sts_down when applied
                self.windows.append((e.t, e.t + e.length, e.kind, ""))

    def _play(self) -> None:
        pending = list(self.events)
        while pending or self.clock() < self.cfg.duration_s:
            if pending and self.clock() >= pending[0].t:
                self._apply(pending.pop(0))
                continue
            nxt = pending[0].t if pending else self.cfg.duration_s
            time.sleep(max(0.0, min(0.5, nxt - self.clock())))

    def _apply(self, e: Event) -> None:
        self.applied[e.kind] += 1
        t = self.clock()
        self.max_lateness_s = max(self.max_lateness_s, t - e.t)  # an operator command ahead of it took long
        if e.kind == "sts_down":
            self.sts_proxy.down = True
            self.windows.append((t, t + e.length, e.kind, ""))
            threading.Timer(e.length, lambda: setattr(self.sts_proxy, "down", False)).start()
        elif e.kind in ("disable", "enable"):
            subprocess.run([str(BIN / "vigil"), "devices", e.kind, e.target], env=self.stack.ops_env(),
                           capture_output=True, check=True, timeout=60)
            self.done.append((e.kind, e.target, self.clock()))
            if e.kind == "disable":
                self.windows.append((t, t + 30, "disabled", e.target))
        elif e.kind == "clock_jump":
            self._move_clock(t, float(e.params["seconds"]))
            self.windows.append((t, t + 20, "clock_jump", ""))
            starts = self.stack.starts
            # and back after a while (unless the stack restarted, which resets its clock): the functions sign with
            # the wall clock, as on FC, so a stack clock left ahead would make every URL the api signs arrive expired
            # for the rest of the run, which no deployment sees
            timer = threading.Timer(CLOCK_JUMP_S, self._move_clock_back, args=(starts, float(e.params["seconds"])))
            timer.daemon = True
            timer.start()
        elif e.kind == "kill_stack":
            with self.clock_lock:
                n = self.stack.kill9()
                self.offsets.append((t, 0.0))   # a new stack starts with localcloud's clock at the wall clock
            self.say(f"t={t:.1f}s: kill -9 of the stack ({n} processes)")
            time.sleep(float(e.params.get("down_s", 3)))
            self.stack.start()
            self.windows.append((t, self.clock() + 10, "kill_stack", ""))
        elif e.kind == "kill_camera":
            cam = self.cameras[e.target]
            if cam.wait_for_open_multipart(timeout=8.0):
                self.applied["kill_camera_mid_multipart"] += 1
            cam.kill9()
            time.sleep(float(e.params.get("down_s", 2)))
            cam.start()
        elif e.kind == "replay_events":  # every clip of the camera sent again (async): duplicates, out of order
            self.replays.append(subprocess.Popen(
                [str(BIN / "vigil"), "index", "backfill", "--device", e.target], env=self.stack.ops_env(),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        elif e.kind == "kill_fn_worker":
            pids = self.stack.worker_pids(e.target)
            if pids:
                os.kill(self.rng.choice(pids), signal.SIGKILL)
            else:
                self.applied["kill_fn_worker_no_instance"] += 1
        elif e.kind in ("kill_api", "export"):  # these wait for their moment (a request, a job) off the schedule
            action = self._kill_api if e.kind == "kill_api" else self._export
            helper = threading.Thread(target=action, args=(e,), daemon=True)
            helper.start()
            self.helpers.append(helper)

    def _move_clock(self, t: float, seconds: float) -> None:
        with self.clock_lock:
            self.stack.advance_clock(seconds)
            self.offsets.append((t, self.offsets[-1][1] + seconds))

    def _move_clock_back(self, starts: int, seconds: float) -> None:
        with self.clock_lock:
            if self.stack.starts != starts or self.offsets[-1][1] < seconds:
                return   # the stack restarted since the jump: its clock already is the wall clock
            try:
                self.stack.advance_clock(-seconds)
            except OSError:
                return   # being killed right now; the restart resets the clock
            self.offsets.append((self.clock(), self.offsets[-1][1] - seconds))

    def _kill_api(self, e: Event) -> None:
        """kill -9 every api instance while a viewer's request is on its way: the viewer must get FC's gateway
        answer (or no answer), and the next request a fresh instance. Up to 3 tries to land mid-invocation."""
        for _ in range(3):
            pids = self.stack.worker_pids(e.target)
            deadline = time.monotonic() + 10
            inflight = None
            while time.monotonic() < deadline and inflight is None:
                inflight = next((v.inflight for v in self.viewers.values()
                                 if v.inflight and self.clock() - v.inflight[0] > 0.005), None)
                time.sleep(0.002)
            if inflight is None or not pids:
                self.applied["kill_api_no_request_or_instance"] += 1
                return
            self.windows.append((self.clock() - 1, self.clock() + 3, "kill_api", ""))
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.applied["kill_api_instances"] += len(pids)
            tag = inflight[1]
            end = time.monotonic() + 40
            while time.monotonic() < end:
                call = next((c for v in self.viewers.values() for c in list(v.calls) if c.tag == tag), None)
                if call is not None:
                    if call.shape == "fc_gateway" or call.status is None:
                        self.applied["kill_api_mid_invocation"] += 1
                        return
                    break
                time.sleep(0.05)
        self.applied["kill_api_missed"] += 1

    def _export(self, e: Event) -> None:
        """A viewer exports the run so far of a camera; with `kill`, the export instance is killed mid-job."""
        viewer = self.viewers[e.target]
        assert isinstance(viewer, Viewer)
        viewer.request_export(str(e.params["camera"]), self.wall_t0_ms, int(time.time() * 1000))
        if not e.params.get("kill"):
            return
        bucket = self.stack.bucket()
        prefix = f"exports/{self.users[e.target]}/"
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                running = any(json.loads(bucket.get_object(o.key).read()).get("state") == "running"
                              for o in oss2.ObjectIteratorV2(bucket, prefix=prefix) if o.key.endswith(".json"))
            except (oss2.exceptions.OssError, ValueError):
                running = False
            if running:
                pids = self.stack.worker_pids("vigil-export")
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                self.applied["kill_export_mid_job"] += 1 if pids else 0
                self.windows.append((self.clock() - 1, self.clock() + 3, "kill_export", ""))
                return
            time.sleep(0.05)
        self.applied["kill_export_missed"] += 1

    def _settle(self) -> dict[str, Any]:
        start = time.monotonic()
        deadline = start + self.cfg.settle_timeout_s
        for proc in self.replays:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        for cam in self.cameras.values():
            cam.stop()
            cam.proxy.faults.clear()
        for viewer in self.viewers.values():
            viewer.proxy.faults.clear()
        self.sts_proxy.down = False
        if self.stack.proc is None or self.stack.proc.poll() is not None:
            self.stack.start()
        drained = {cid: cam.drain(deadline) for cid, cam in self.cameras.items()}
        drained_at = time.monotonic() - start
        from vigil_ops.index_cmd import verify

        bucket = self.stack.bucket()
        index: dict[str, list[str]] = {"missing": ["not checked"], "stale": []}
        while time.monotonic() < deadline:
            index = verify(bucket, None, None)
            if not index["missing"] and not index["stale"]:
                break
            time.sleep(1.0)
        return {"drained": drained, "drain_s": round(drained_at, 1), "index": index,
                "settle_s": round(time.monotonic() - start, 1)}

    def _verify(self, settle: dict[str, Any]) -> dict[str, Any]:
        bucket = self.stack.bucket()
        cameras = {cid: verify_camera(cam, bucket) for cid, cam in self.cameras.items()}
        dead = self.stack.dead_letters()
        seen_5xx = [(cid, s) for cid, cam in self.cameras.items() for s in cam.proxy.seen
                    if s.status is not None and s.status >= 500]
        unexplained = [{"camera": cid, **asdict(s)} for cid, s in seen_5xx if not self._explained(cid, s.t)]
        injected: Counter[str] = Counter()
        for cam in self.cameras.values():
            injected.update(cam.proxy.injected)
        problems = [f"{cid}: {p}" for cid, c in cameras.items() for p in c["problems"]]
        problems += [f"camera {cid} did not drain" for cid, ok in settle["drained"].items() if not ok]
        if settle["index"]["missing"] or settle["index"]["stale"]:
            problems.append(f"index verify not clean: {len(settle['index']['missing'])} missing, "
                            f"{len(settle['index']['stale'])} stale, e.g. "
                            f"{(settle['index']['missing'] + settle['index']['stale'])[:3]}")
        problems += [f"dead letter {d.get('id')}: {str(d.get('error'))[:200]}" for d in dead]
        problems += [f"unexplained {u['status']} for {u['camera']} at t={u['t']:.1f}s {u['method']} {u['path'][:80]}"
                     for u in unexplained]
        return {
            "seed": self.cfg.seed, "config": {k: str(v) for k, v in asdict(self.cfg).items()},
            "ok": not problems, "problems": problems,
            "schedule": [asdict(e) for e in self.events],
            "faults_applied": dict(self.applied),
            "max_event_lateness_s": round(self.max_lateness_s, 1), "requests_faulted_by_proxies": dict(injected),
            "sts_connections_refused": self.sts_proxy.refused, "stack_starts": self.stack.starts,
            "responses_5xx": len(seen_5xx), "unexplained_5xx": len(unexplained),
            "cameras": cameras, "settle": settle, "dead_letters": len(dead),
        }

    def _explained(self, cam: str, t: float) -> bool:
        return any(start <= t <= end + GRACE_S and target in ("", cam) for start, end, _kind, target in self.windows)


class CpuMeter:
    """CPU seconds by part of the system (stack process, function workers, cameras, this runner and its proxies),
    sampled every second so processes that are killed still count up to their last sample."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.last: dict[int, tuple[str, float]] = {}
        self.peak_backlog = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def start(self) -> CpuMeter:
        self._thread.start()
        return self

    def _group(self, proc: psutil.Process) -> str:
        if proc.pid == os.getpid():
            return "runner+proxies"
        if self.scenario.stack.proc is not None and proc.pid == self.scenario.stack.proc.pid:
            return "stack (oss/sts/fc runtime)"
        return "function workers"

    def sample(self) -> None:
        procs: list[tuple[str, psutil.Process]] = [("runner+proxies", psutil.Process())]
        procs += [(self._group(p), p) for p in self.scenario.stack.processes()]
        for cam in self.scenario.cameras.values():
            if cam.proc is not None and cam.proc.poll() is None:
                try:
                    procs.append(("cameras", psutil.Process(cam.proc.pid)))
                except psutil.NoSuchProcess:
                    pass
        for group, p in procs:
            try:
                t = p.cpu_times()
                self.last[p.pid] = (group, t.user + t.system + t.children_user + t.children_system
                                    if group == "cameras" else t.user + t.system)
            except psutil.NoSuchProcess:
                continue
        backlog = sum(cam.queued() for cam in self.scenario.cameras.values())
        self.peak_backlog = max(self.peak_backlog, backlog)

    def _loop(self) -> None:
        while not self._stop.wait(1.0):
            self.sample()

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sample()
        out: dict[str, float] = {}
        for group, seconds in self.last.values():
            out[group] = out.get(group, 0.0) + seconds
        return {k: round(v, 1) for k, v in sorted(out.items(), key=lambda kv: -kv[1])}


class _Info:
    """The stack's `--json` line as the attribute object `vigil_ops.demo_cmd.provision` expects."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.__dict__.update(doc)


def _log_lines(root: Path) -> list[dict[str, Any]]:
    out = []
    for path in sorted(root.glob("camera.*.log")):
        for line in path.read_text(errors="replace").splitlines():
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
    return out


def verify_camera(cam: Camera, bucket: oss2.Bucket) -> dict[str, Any]:
    """The camera's own record (its log of queued/dropped clips, its sent ledger) against what OSS holds."""
    # the proof is about clips: the camera's stills (stills/<id>/, issue 24) share its spool and ledger
    clip = f"videos/{cam.id}/"
    lines = [d for d in _log_lines(cam.root) if str(d.get("key", "")).startswith(clip)]
    queued = {d["key"] for d in lines if d.get("msg") == "clip queued" and "key" in d}
    dropped_oldest = {d["key"] for d in lines if d.get("msg") == "spool full: oldest clip dropped"}
    dropped_new = {d["key"] for d in lines if d.get("msg") == "spool full: new clip dropped"}
    sent: dict[str, str] = {}
    for name in ("sent.jsonl.1", "sent.jsonl"):
        path = cam.spool / name
        if path.exists():
            for line in path.read_text().splitlines():
                doc = json.loads(line)
                if str(doc["key"]).startswith(clip):
                    sent[doc["key"]] = str(doc["crc64"])
    in_oss: dict[str, str] = {}
    for info in oss2.ObjectIteratorV2(bucket, prefix=f"videos/{cam.id}/"):
        in_oss[info.key] = str(bucket.head_object(info.key).server_crc)
    status = json.loads((cam.spool / "status.json").read_text()) if (cam.spool / "status.json").exists() else {}
    problems = []
    if set(in_oss) != set(sent):
        problems.append(f"OSS and the camera's ledger differ: only in OSS {sorted(set(in_oss) - set(sent))[:3]}, "
                        f"only in the ledger {sorted(set(sent) - set(in_oss))[:3]}")
    bad_crc = sorted(k for k in set(in_oss) & set(sent) if in_oss[k] != sent[k])
    if bad_crc:
        problems.append(f"{len(bad_crc)} clips differ from the camera's CRC-64, e.g. {bad_crc[:3]}")
    lost = sorted(queued - set(sent) - dropped_oldest)
    if lost:
        problems.append(f"{len(lost)} queued clips neither uploaded nor counted as dropped, e.g. {lost[:3]}")
    if set(sent) & dropped_oldest:
        problems.append(f"clips both dropped and uploaded: {sorted(set(sent) & dropped_oldest)[:3]}")
    if (unqueued := sorted(set(sent) - queued)):
        problems.append(f"{len(unqueued)} uploads the camera never queued, e.g. {unqueued[:3]}")
    all_drops = [d for d in _log_lines(cam.root) if str(d.get("msg", "")).startswith("spool full:")]
    counted = int(status.get("dropped", 0))
    if counted != len(all_drops):
        problems.append(f"dropped counter {counted} != {len(all_drops)} drops logged")
    return {"produced": len(queued) + len(dropped_new), "in_oss": len(in_oss), "uploaded": len(sent),
            "dropped": len(dropped_oldest) + len(dropped_new), "existed": int(status.get("existed", 0)),
            "retries_or_failures": int(status.get("failures", 0)) + int(status.get("retries", 0)),
            "runs": cam.runs, "problems": problems}


def summary_table(report: dict[str, Any]) -> str:
    rows = [f"{'camera':<14} {'produced':>8} {'in OSS':>7} {'dropped':>7} {'existed':>7} {'retries':>7} {'runs':>4}"]
    for cid, c in report["cameras"].items():
        rows.append(f"{cid:<14} {c['produced']:>8} {c['in_oss']:>7} {c['dropped']:>7} {c['existed']:>7} "
                    f"{c['retries_or_failures']:>7} {c['runs']:>4}")
    rows.append("faults applied: " + ", ".join(f"{k}={v}" for k, v in sorted(report["faults_applied"].items())))
    rows.append("requests faulted at the camera proxies: "
                + ", ".join(f"{k}={v}" for k, v in sorted(report["requests_faulted_by_proxies"].items())))
    rows.append(f"STS connections refused: {report['sts_connections_refused']}; stack starts: "
                f"{report['stack_starts']}; 5xx seen by cameras: {report['responses_5xx']} (all explained: "
                f"{not report.get('unexplained_5xx')}); dead letters: {report['dead_letters']}")
    s = report["settle"]
    rows.append(f"settle: spools drained in {s['drain_s']}s, index clean after {s['settle_s']}s")
    if "cpu_seconds" in report:
        rows.append(f"load: {report['clips_per_minute']} clips/min from {len(report['cameras'])} cameras, "
                    f"peak backlog {report['peak_backlog_clips']} clips, {report['cpu_cores_busy']} cores busy; "
                    "CPU s by part: " + ", ".join(f"{k} {v}" for k, v in report["cpu_seconds"].items()))
    rows += viewer_rows(report.get("viewer") or {})
    rows.append("result: " + ("OK — every clip exactly once, byte-identical, in the timeline" if report["ok"]
                              else "FAILED (seed " + str(report["seed"]) + "):\n  " + "\n  ".join(report["problems"])))
    return "\n".join(rows)


def viewer_rows(v: dict[str, Any]) -> list[str]:
    """The viewer side of the summary: answers by code, latency with faults on/off, presigned GETs, live, exports."""
    if not v:
        return []
    rows = [f"viewers: {v['viewers']} ({v['api_calls']} API calls, {v['playlists_parsed']} playlists parsed as "
            f"RFC 8216); session kept across stack restarts: {v['authenticated_after_each_restart']}"]
    for phase in ("faults_on", "faults_off"):
        rows.append(f"  answers, {phase.replace('_', ' ')}: "
                    + ", ".join(f"{k}={n}" for k, n in v["answers"][phase].items()))
    for route, lat in v["latency_ms"].items():
        on, off = lat["faults_on"], lat["faults_off"]
        rows.append(f"  {route:<14} faults on: n={on['n']} p50={on.get('p50_ms', '-')} p95={on.get('p95_ms', '-')} ms"
                    f" | off: n={off['n']} p50={off.get('p50_ms', '-')} p95={off.get('p95_ms', '-')} ms")
    p = v["presigned"]
    rows.append(f"  presigned GETs: {p['played']} played, {p['failed']} failed: "
                + (", ".join(f"{k} x{n}" for k, n in p["failed_by_reason"].items()) or "-"))
    if "live" in v:
        lv = v["live"]
        rows.append(f"  live: {lv['polls']} polls {lv['statuses']}, {lv['distinct_segments_seen']} segments, resumed "
                    f"{lv['resumed_after_enable_s']} s after re-enable, advanced while disabled "
                    f"{lv['advanced_while_disabled']}x")
    for name, ex in v.get("exports", {}).items():
        rows.append(f"  exports of {name}: {ex['states']} (retried {ex['retried']}, POST answers "
                    f"{ex['create_answers']})")
    rows.append(f"  final timeline through the API: {v['timeline_api_clips']} clips, each once")
    return rows
