"""A real RTSP server for the tests: Debian's GStreamer RTSP server through python3-gi.

Runs under Debian's /usr/bin/python3 (python3-gi is built for it, not for the project's venv), so
the pytest fixture in `tests/rtsp/server.py` starts it as a child process. `make rtsp-deps`
installs what it needs.

Mounts (one shared live pipeline each, so a control reaches every client):
    /aac     H.264 + AAC (mono 16 kHz)
    /pcmu    H.264 + G.711 mu-law (8 kHz)
    /pcma    H.264 + G.711 A-law (8 kHz)
    /video   H.264 only
    /audio   AAC only (a "camera" with no video)
    /secret  H.264 + AAC behind RTSP Basic auth (user / pw), on its own port: anything else gets 401
    /sub     a camera's substream: the same moving ball, H.264 only, 320x180 at 15 fps, keyframe a second
             (`resolution` leaves it at that size, as a camera's substream keeps its own)
    /still   a substream of a scene where nothing moves (SMPTE bars), the same size, keyframe a second

Control: one command a line on stdin, each answered with one line on stdout:
    stall SECONDS        drop every packet for SECONDS (sessions stay open), then resume
    resolution WxH       change the video size mid-stream (new SPS on the next keyframe)
    loss EVERY           drop every EVERY-th video RTP packet after the payloader (0: none), as a
                         lossy network would drop UDP datagrams; answers `loss EVERY DROPPED-SO-FAR`
    drop-nal TYPE        drop every video RTP packet that carries one H.264 NAL unit of TYPE (8: each
                         PPS; 0: none), a loss that always hits the parameter sets; answers
                         `drop-nal TYPE DROPPED-SO-FAR`
The first stdout line is `ready PORT SECRET_PORT` once the servers listen.
"""

from __future__ import annotations

import argparse
import sys
import threading

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402

VIDEO = ("videotestsrc is-live=true pattern=ball ! capsfilter name=vcaps caps=video/x-raw,width={w},height={h},"
         "framerate={fps}/1 ! videoconvert ! valve name=vvalve ! "
         "x264enc tune=zerolatency speed-preset=ultrafast key-int-max={gop} bitrate={kbps} ! "
         "video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=-1")
SUB = ("videotestsrc is-live=true pattern={pattern} ! video/x-raw,width=320,height=180,framerate=15/1 ! "
       "videoconvert ! x264enc speed-preset=ultrafast bframes=0 rc-lookahead=0 key-int-max=15 bitrate=150 ! "
       "video/x-h264,profile=baseline ! rtph264pay name=pay0 pt=96 config-interval=-1")
AAC = ("audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=16000,channels=1 ! valve name=avalve ! "
       "avenc_aac ! rtpmp4gpay name={pay} pt=97")
PCMU = ("audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=8000,channels=1 ! valve name=avalve ! "
        "mulawenc ! rtppcmupay name={pay} pt=0")
PCMA = ("audiotestsrc is-live=true wave=sine freq=440 ! audio/x-raw,rate=8000,channels=1 ! valve name=avalve ! "
        "alawenc ! rtppcmapay name={pay} pt=8")

ELEMENTS = ("videotestsrc", "videoconvert", "valve", "x264enc", "rtph264pay", "audiotestsrc", "avenc_aac",
            "rtpmp4gpay", "mulawenc", "rtppcmupay", "alawenc", "rtppcmapay", "capsfilter")


class Server:
    def __init__(self, *, port: int, width: int, height: int, fps: int, gop: int, kbps: int) -> None:
        self.size = (width, height)
        self.fps = fps
        self.media: list[GstRtspServer.RTSPMedia] = []
        self.loss_every = 0
        self.sent = 0
        self.dropped = 0
        self.drop_nal = 0
        self.server = GstRtspServer.RTSPServer()
        self.server.set_address("127.0.0.1")
        self.server.set_service(str(port))
        video = VIDEO.format(w=width, h=height, fps=fps, gop=gop, kbps=kbps)
        launches = {
            "/aac": f"( {video} {AAC.format(pay='pay1')} )",
            "/pcmu": f"( {video} {PCMU.format(pay='pay1')} )",
            "/pcma": f"( {video} {PCMA.format(pay='pay1')} )",
            "/video": f"( {video} )",
            "/audio": f"( {AAC.format(pay='pay0')} )",
            "/secret": f"( {video} {AAC.format(pay='pay1')} )",
            "/sub": f"( {SUB.format(pattern='ball')} )",
            "/still": f"( {SUB.format(pattern='smpte')} )",
        }
        # /secret lives on a second server whose auth has no anonymous token: RTSP Basic or 401.
        self.secret = GstRtspServer.RTSPServer()
        self.secret.set_address("127.0.0.1")
        self.secret.set_service("0")
        auth = GstRtspServer.RTSPAuth()
        user = GstRtspServer.RTSPToken()
        user.set_string("media.factory.role", "user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic("user", "pw"), user)
        self.secret.set_auth(auth)
        for path, launch in launches.items():
            factory = GstRtspServer.RTSPMediaFactory()
            factory.set_launch(launch)
            factory.set_shared(True)
            factory.connect("media-configure", self._configured)
            server = self.server
            if path == "/secret":
                permissions = GstRtspServer.RTSPPermissions()
                permissions.add_permission_for_role("user", "media.factory.access", True)
                permissions.add_permission_for_role("user", "media.factory.construct", True)
                factory.set_permissions(permissions)
                server = self.secret
            server.get_mount_points().add_factory(path, factory)
        self.secret.attach(None)
        self.secret_port = self.secret.get_bound_port()
        self.server.attach(None)
        self.port = self.server.get_bound_port()

    def _configured(self, factory: GstRtspServer.RTSPMediaFactory, media: GstRtspServer.RTSPMedia) -> None:
        self.media.append(media)
        media.connect("unprepared", lambda m: self.media.remove(m) if m in self.media else None)
        self._apply_size(media)
        pay = media.get_element().get_by_name("pay0")
        if pay is not None and pay.get_factory().get_name() == "rtph264pay":
            pay.get_static_pad("src").add_probe(Gst.PadProbeType.BUFFER, self._lossy)

    def _lossy(self, pad: Gst.Pad, info: Gst.PadProbeInfo) -> Gst.PadProbeReturn:
        if self.drop_nal:
            first = info.get_buffer().extract_dup(12, 1)     # the payload after the 12-byte RTP header
            if first and first[0] & 0x1F == self.drop_nal:
                self.dropped += 1
                return Gst.PadProbeReturn.DROP
        if not self.loss_every:
            return Gst.PadProbeReturn.OK
        self.sent += 1
        if self.sent % self.loss_every:
            return Gst.PadProbeReturn.OK
        self.dropped += 1
        return Gst.PadProbeReturn.DROP

    def loss(self, every: int) -> str:
        self.loss_every = max(0, every)
        return f"loss {self.loss_every} {self.dropped}"

    def drop_nal_type(self, kind: int) -> str:
        self.drop_nal = max(0, kind)
        return f"drop-nal {self.drop_nal} {self.dropped}"

    def _elements(self, name: str) -> list[Gst.Element]:
        found = []
        for media in list(self.media):
            element = media.get_element().get_by_name(name)
            if element is not None:
                found.append(element)
        return found

    def stall(self, seconds: float) -> str:
        valves = self._elements("vvalve") + self._elements("avalve")
        for valve in valves:
            valve.set_property("drop", True)

        def resume() -> bool:
            for valve in valves:
                valve.set_property("drop", False)
            print("resumed", flush=True)
            return False

        GLib.timeout_add(int(seconds * 1000), resume)
        return f"stalled {len(valves)}"

    def _apply_size(self, media: GstRtspServer.RTSPMedia) -> None:
        caps = media.get_element().get_by_name("vcaps")
        if caps is not None:
            w, h = self.size
            caps.set_property("caps", Gst.Caps.from_string(
                f"video/x-raw,width={w},height={h},framerate={self.fps}/1"))

    def resolution(self, text: str) -> str:
        w, h = (int(v) for v in text.lower().split("x"))
        self.size = (w, h)
        for media in list(self.media):
            self._apply_size(media)
        return f"resolution {w}x{h}"


def _control(server: Server, loop: GLib.MainLoop) -> None:
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        done = threading.Event()
        answer: list[str] = []

        def run(words: list[str] = words, answer: list[str] = answer, done: threading.Event = done) -> bool:
            try:
                if words[0] == "stall":
                    answer.append(server.stall(float(words[1])))
                elif words[0] == "loss":
                    answer.append(server.loss(int(words[1])))
                elif words[0] == "drop-nal":
                    answer.append(server.drop_nal_type(int(words[1])))
                elif words[0] == "resolution":
                    answer.append(server.resolution(words[1]))
                else:
                    answer.append(f"error unknown command {words[0]}")
            except Exception as exc:  # noqa: BLE001 - the test reads the answer
                answer.append(f"error {type(exc).__name__}: {exc}")
            done.set()
            return False

        GLib.idle_add(run)
        done.wait()
        print(answer[0], flush=True)
    loop.quit()        # stdin closed: the test is gone


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--gop", type=int, default=25, help="frames between keyframes")
    parser.add_argument("--kbps", type=int, default=500)
    parser.add_argument("--check", action="store_true", help="exit 0 if every element the mounts use exists")
    args = parser.parse_args()
    Gst.init(None)
    if args.check:
        missing = [e for e in ELEMENTS if Gst.ElementFactory.find(e) is None]
        print("missing GStreamer elements: " + " ".join(missing) if missing else "RTSP server ready to run")
        sys.exit(1 if missing else 0)
    w, h = (int(v) for v in args.size.split("x"))
    server = Server(port=args.port, width=w, height=h, fps=args.fps, gop=args.gop, kbps=args.kbps)
    loop = GLib.MainLoop()
    print(f"ready {server.port} {server.secret_port}", flush=True)
    threading.Thread(target=_control, args=(server, loop), daemon=True).start()
    loop.run()


if __name__ == "__main__":
    main()
