"""Notice a stalled RTSP session (no packet for `read_timeout` s) without PyAV's read timeout.

PyAV's read timeout is an FFmpeg interrupt callback that takes the GIL on every call, and FFmpeg
calls it several times per RTP packet: with many cameras in one process that was a large share of
the recorder's CPU (issue 22: 1.31x → 1.21x `ffmpeg -c copy` at 4 cameras without it). FFmpeg's own
socket `timeout` is not enough alone: a camera (or server) that keeps its RTSP connection alive
while the media stops (RTCP sender reports keep flowing over TCP) never lets the socket go idle, and
a 10 s stall went unnoticed.

So a session is opened with only an open timeout, and one watcher thread per process looks at every
RTSP session four times a second: a session with no packet for its `read_timeout`, or whose
recorder was told to stop, has its RTSP TCP connection shut down (`shutdown(2)` on a duplicate of
the descriptor, checked by socket inode, so a reused descriptor number is never touched): FFmpeg's
blocked read returns end-of-stream, the session ends and is reopened (or the recorder stops).

Which socket is the session's: the one TCP socket of this process connected to the camera's address
that appeared after the open began. Opens to one host:port take turns in a process until that
socket shows up (milliseconds: the watcher looks every 10 ms while an open waits), so that it is
exactly one; the rest of the open (RTSP handshake, stream probing) runs side by side. Where
`/proc/self/fd` is missing (not Linux), `available()` is false and the recorder keeps PyAV's read timeout.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from . import logs

log = logs.get("vigil_camera.stallwatch")
T = TypeVar("T")

PROC_FD = Path("/proc/self/fd")
TICK = 0.25                      # seconds between looks: a stall is noticed within read_timeout + TICK
PENDING_TICK = 0.01              # while an open waits for its socket to appear
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322}

_open_locks: dict[tuple[str, int], threading.Lock] = {}
_open_locks_guard = threading.Lock()


def available() -> bool:
    return PROC_FD.is_dir()


def _inode(fd: int) -> int | None:
    try:
        target = os.readlink(PROC_FD / str(fd))
    except OSError:
        return None
    return int(target[8:-1]) if target.startswith("socket:[") else None


def _on_socket(fd: int, inode: int, act: Callable[[socket.socket], T]) -> T | None:
    """`act` on a duplicate of descriptor `fd` if it is still socket `inode` (a number reused
    meanwhile is never touched); None when it is not, or on an OSError."""
    try:
        dup = os.dup(fd)
    except OSError:
        return None
    try:
        if os.fstat(dup).st_ino != inode:
            return None
        with socket.socket(fileno=dup) as sock:
            dup = -1                             # the socket object owns (and closes) the duplicate
            return act(sock)
    except OSError:
        return None
    finally:
        if dup >= 0:
            os.close(dup)


def _tcp_peer(sock: socket.socket) -> tuple[str, int] | None:
    if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return None
    peer = sock.getpeername()
    return (str(peer[0]), int(peer[1]))


def _shutdown(sock: socket.socket) -> bool:
    sock.shutdown(socket.SHUT_RDWR)
    return True


def connected_to(addresses: set[str], port: int) -> dict[int, int]:
    """inode → descriptor of this process's TCP sockets connected to one of `addresses` at `port`."""
    found: dict[int, int] = {}
    try:
        names = os.listdir(PROC_FD)
    except OSError:
        return found
    for name in names:
        fd = int(name)
        inode = _inode(fd)
        if inode is None:
            continue
        peer = _on_socket(fd, inode, _tcp_peer)
        if peer is not None and peer[1] == port and peer[0] in addresses:
            found[inode] = fd
    return found


def shut(inode: int) -> bool:
    """Shut down the socket `inode` (read and write) if this process still has it."""
    try:
        names = os.listdir(PROC_FD)
    except OSError:
        return False
    for name in names:
        fd = int(name)
        if _inode(fd) == inode:
            return bool(_on_socket(fd, inode, _shutdown))
    return False


def _address(source: str) -> tuple[str, int, set[str]] | None:
    parts = urlsplit(source)
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    port = parts.port or DEFAULT_PORTS[scheme]
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except OSError:
        return None
    addresses = {str(info[4][0]) for info in infos}
    addresses |= {f"::ffff:{a}" for a in addresses if ":" not in a}     # v4 reached over a v6 socket
    return parts.hostname, port, addresses


class Pending:
    """An open in progress: the sockets to its address before it, and its turn (released as soon as
    one new socket to the address shows up, or when the open ends)."""

    def __init__(self, addresses: set[str], port: int, before: set[int], turn: threading.Lock) -> None:
        self.addresses, self.port, self.before = addresses, port, before
        self.inode: int | None = None
        self._turn: threading.Lock | None = turn
        self._guard = threading.Lock()

    def look(self) -> None:
        new = set(connected_to(self.addresses, self.port)) - self.before
        if len(new) == 1:
            self.inode = next(iter(new))
            self.release()

    def found(self) -> int | None:
        """After the open: the session's socket (looked for once more if the watcher had not yet)."""
        if self.inode is None:
            self.look()
        return self.inode

    def release(self) -> None:
        with self._guard:
            turn, self._turn = self._turn, None
        if turn is not None:
            turn.release()       # a plain Lock: the watcher thread may hand the turn on


@dataclass
class Watched:
    """One open session: its socket, its packet count (the recorder adds one per packet: cheaper
    than reading a clock per packet), and its stop flag."""

    inode: int
    read_timeout: float
    stop: Callable[[], bool]
    name: str = ""
    packets: int = 0
    fired: str | None = None     # "stalled" or "stopped" once the watcher shut the socket
    _seen: int = 0
    _moved_at: float = field(default_factory=time.monotonic)


class StallWatch:
    """The process's watcher thread over every open RTSP session."""

    def __init__(self, tick: float = TICK) -> None:
        self.tick = tick
        self._watched: dict[int, Watched] = {}
        self._pending: list[Pending] = []
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @contextmanager
    def opening(self, source: str) -> Iterator[Callable[[], int | None]]:
        """Around an open: yields a function that, called after the open, names the session's socket
        (None when it cannot be told apart). Opens to one host:port take turns only until the
        socket appears (the watcher looks every few ms meanwhile), not for the whole open."""
        address = _address(source)
        if address is None:
            yield lambda: None
            return
        host, port, addresses = address
        with _open_locks_guard:
            lock = _open_locks.setdefault((host, port), threading.Lock())
        lock.acquire()
        pending = Pending(addresses, port, set(connected_to(addresses, port)), lock)
        with self._lock:
            self._pending.append(pending)
        self._start()
        self._wake.set()
        try:
            yield pending.found
        finally:
            with self._lock:
                self._pending.remove(pending)
            pending.release()

    def watch(self, inode: int, *, read_timeout: float, stop: Callable[[], bool], name: str = "") -> Watched:
        watched = Watched(inode, read_timeout, stop, name)
        with self._lock:
            self._watched[id(watched)] = watched
        self._start()
        return watched

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="stallwatch", daemon=True)
                self._thread.start()

    def forget(self, watched: Watched) -> None:
        with self._lock:
            self._watched.pop(id(watched), None)

    def _run(self) -> None:
        while True:
            with self._lock:
                opening = [p for p in self._pending if p.inode is None]
            for pending in opening:
                pending.look()
            self._wake.wait(PENDING_TICK if opening else self.tick)
            self._wake.clear()
            with self._lock:
                sessions = list(self._watched.values())
            now = time.monotonic()
            for watched in sessions:
                if watched.fired is not None:
                    continue
                if watched.packets != watched._seen:
                    watched._seen, watched._moved_at = watched.packets, now
                if watched.stop():
                    why = "stopped"
                elif now - watched._moved_at > watched.read_timeout:
                    why = "stalled"
                else:
                    continue
                watched.fired = why
                shut(watched.inode)
                log.info("rtsp session ended by the stall watch", extra={"camera": watched.name, "reason": why})


WATCH = StallWatch()
