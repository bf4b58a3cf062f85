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

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
NET_FAULTS = ("drop", "reset", "stall", "slow", "lose")
TOKEN_TTL_S = 900    # the shortest token STS issues: a clock jump past it expires every token at once
GRACE_S = 6.0        # how long after a fault ends its effects (backoff, restart) may still show as 5xx


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


def draw_schedule(cfg: Config) -> list[Event]:
    """The fault schedule for a seed: the same seed always gives the same list."""
    rng = random.Random(cfg.seed)
    cams = camera_ids(cfg.cameras)
    d = cfg.duration_s
    ev: list[Event] = []
    if not cfg.faults:
        return ev
    for cam in cams[1:]:  # camera 0 is the spool-budget camera: its network is cut for a long stretch
        for _ in range(3):
            kind = rng.choice(NET_FAULTS)
            params: dict[str, Any] = {"probability": round(rng.uniform(0.3, 0.7), 2)}
            if kind == "stall":
                params["stall_seconds"] = round(rng.uniform(1, 4), 1)
            if kind == "slow":
                params["rate"] = rng.choice([64 * 1024, 256 * 1024])
            ev.append(Event(round(rng.uniform(3, d * 0.85), 1), kind, cam, round(rng.uniform(3, 10), 1), params))
    ev.append(Event(round(rng.uniform(5, d * 0.3), 1), "drop", cams[0], round(d * 0.3, 1), {"probability": 1.0}))
    # Outages of the token path only bite when cameras need a token: each starts just after a clock jump past
    # every token's expiry (which is also a camera clock 16 minutes behind the server), so all cameras refresh into it.
    for kind, length, params in (("token503", 10.0, {"probability": 1.0}),
                                 ("token_timeout", 6.0, {"probability": 0.7, "stall_seconds": 4}),
                                 ("sts_down", 8.0, {})):
        t = round(rng.uniform(d * 0.1, d * 0.6), 1)
        ev.append(Event(t, "clock_jump", "", params={"seconds": TOKEN_TTL_S + 60}))
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
    return sorted(ev, key=lambda e: (e.t, e.kind, e.target))


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
             "--function-env", f"VIGIL_TOKEN_TTL_DEFAULT={TOKEN_TTL_S}"],
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
                                 str(self.cfg.fps), "--resolution", self.cfg.resolution])

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
        self.t0 = time.monotonic()
        self._arm_windows()
        for cam in self.cameras.values():
            cam.start()
        meter = CpuMeter(self).start()
        try:
            self._play()
            self.say(f"t={self.clock():.1f}s: faults over; settling")
            cpu = meter.stop()
            settle = self._settle()
            report = self._verify(settle)
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
            if i % 2 == 1:  # every other camera uploads each clip as a multipart upload (kill -9 mid-multipart)
                doc.update({"multipart_threshold": 8 * 1024, "part_size": 100 * 1024})
            if i == 0:
                doc["max_spool_bytes"] = 120 * 1024   # a small disk (~6 clips): the long outage drops the oldest
            (root / "config.json").write_text(json.dumps(doc))
            os.chmod(root / "config.json", 0o600)
            proxy = CameraProxy(device_id, self.clock, random.Random(f"{self.cfg.seed}-{device_id}"), token_port)
            cams[device_id] = Camera(device_id, root, proxy, self.cfg)
        return cams

    def _arm_windows(self) -> None:
        for e in self.events:
            if e.kind in NET_FAULTS:
                self.cameras[e.target].proxy.faults.append(
                    Fault(e.kind, e.t, e.t + e.length, float(e.params.get("probability", 1.0)), e.params))
            elif e.kind in ("token503", "token_timeout"):
                for cam in self.cameras.values():
                    cam.proxy.faults.append(
                        Fault(e.kind, e.t, e.t + e.length, float(e.params.get("probability", 1.0)), e.params))
            if e.kind in ("token503", "token_timeout", "sts_down"):
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
        if e.kind == "sts_down":
            self.sts_proxy.down = True
            threading.Timer(e.length, lambda: setattr(self.sts_proxy, "down", False)).start()
        elif e.kind in ("disable", "enable"):
            subprocess.run([str(BIN / "vigil"), "devices", e.kind, e.target], env=self.stack.ops_env(),
                           capture_output=True, check=True, timeout=60)
            if e.kind == "disable":
                self.windows.append((t, t + 30, "disabled", e.target))
        elif e.kind == "clock_jump":
            self.stack.advance_clock(float(e.params["seconds"]))
            self.windows.append((t, t + 20, "clock_jump", ""))
        elif e.kind == "kill_stack":
            n = self.stack.kill9()
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

    def _settle(self) -> dict[str, Any]:
        start = time.monotonic()
        deadline = start + self.cfg.settle_timeout_s
        for proc in self.replays:
            proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        for cam in self.cameras.values():
            cam.stop()
            cam.proxy.faults.clear()
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
            "faults_applied": dict(self.applied), "requests_faulted_by_proxies": dict(injected),
            "sts_connections_refused": self.sts_proxy.refused, "stack_starts": self.stack.starts,
            "responses_5xx": len(seen_5xx), "cameras": cameras, "settle": settle, "dead_letters": len(dead),
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
        out: Counter[str] = Counter()
        for group, seconds in self.last.values():
            out[group] += seconds
        return {k: round(v, 1) for k, v in out.most_common()}


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
    lines = _log_lines(cam.root)
    queued = {d["key"] for d in lines if d.get("msg") == "clip queued" and "key" in d}
    dropped_oldest = {d["key"] for d in lines if d.get("msg") == "spool full: oldest clip dropped"}
    dropped_new = {d["key"] for d in lines if d.get("msg") == "spool full: new clip dropped"}
    sent: dict[str, str] = {}
    for name in ("sent.jsonl.1", "sent.jsonl"):
        path = cam.spool / name
        if path.exists():
            for line in path.read_text().splitlines():
                doc = json.loads(line)
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
    counted = int(status.get("dropped", 0))
    if counted != len(dropped_oldest) + len(dropped_new):
        problems.append(f"dropped counter {counted} != {len(dropped_oldest) + len(dropped_new)} drops logged")
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
                f"{not any('unexplained' in p for p in report['problems'])}); dead letters: {report['dead_letters']}")
    s = report["settle"]
    rows.append(f"settle: spools drained in {s['drain_s']}s, index clean after {s['settle_s']}s")
    if "cpu_seconds" in report:
        rows.append(f"load: {report['clips_per_minute']} clips/min from {len(report['cameras'])} cameras, "
                    f"peak backlog {report['peak_backlog_clips']} clips, {report['cpu_cores_busy']} cores busy; "
                    "CPU s by part: " + ", ".join(f"{k} {v}" for k, v in report["cpu_seconds"].items()))
    rows.append("result: " + ("OK — every clip exactly once, byte-identical, in the timeline" if report["ok"]
                              else "FAILED (seed " + str(report["seed"]) + "):\n  " + "\n  ".join(report["problems"])))
    return "\n".join(rows)
