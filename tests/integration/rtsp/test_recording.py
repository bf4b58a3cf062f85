"""The shared recording loop against a real RTSP server: audio kept, clips exact, and the faults a
real camera has (restart, stall, resolution change, bad input)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import pytest
from vigil_camera import media
from vigil_camera.recording import Recorder
from vigil_camera.sources import RecordError

from tests.rtsp.server import RtspServer
from tests.waiting import wait_for

pytestmark = pytest.mark.integration
FRAME = 1 / 25
# A clip's sound may start up to ~0.2 s after its first keyframe (the first audio packets of a
# session arrive after the video's), and AAC comes in 64 ms frames.
AUDIO_SLACK = 0.25


def _clip_facts(path: Path) -> dict[str, Any]:
    """Decoded facts of one clip: video duration, first frame key/size, audio seconds from samples."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames = list(c.decode(v))
    facts: dict[str, Any] = {"key": frames[0].key_frame, "size": (frames[0].width, frames[0].height),
                             "frames": len(frames), "duration": media.clip_duration(path)}
    with av.open(str(path)) as c:
        if c.streams.audio:
            a = c.streams.audio[0]
            samples = sum(f.samples for f in c.decode(a))
            rate = a.codec_context.sample_rate
            facts.update(audio_codec=a.codec_context.name, audio_seconds=samples / rate if rate else 0.0)
    return facts


class Run:
    """A Recorder in a thread, its clips in a list, stopped at the end of the test."""

    def __init__(self, url: str, out: Path, **kwargs: Any) -> None:
        self.clips: list[media.Clip] = []
        self.stop = threading.Event()
        self.error: BaseException | None = None
        self.recorder = Recorder(url, out, self.clips.append, stop=self.stop.is_set, **kwargs)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            self.recorder.run()
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            self.error = exc

    def wait_clips(self, n: int, timeout: float = 60.0) -> list[media.Clip]:
        wait_for(lambda: len(self.clips) >= n or self.error, timeout, f"{n} clips (have {len(self.clips)})")
        assert self.error is None, self.error
        return self.clips

    def finish(self, timeout: float = 30.0) -> float:
        """Stop; returns how long the recorder took to notice."""
        t0 = time.monotonic()
        self.stop.set()
        self.thread.join(timeout)
        assert not self.thread.is_alive(), "the recorder ignored its stop flag"
        return time.monotonic() - t0


def _contiguous(clips: list[media.Clip]) -> None:
    for a, b in zip(clips, clips[1:], strict=False):
        gap = (b.start - a.start).total_seconds() - a.duration
        assert abs(gap) <= 0.005, f"clips {a.seq}->{b.seq} not contiguous: {gap:+.3f} s"


@pytest.mark.parametrize(("mount", "codec"), [("aac", "aac"), ("pcmu", "pcm_mulaw"), ("pcma", "pcm_alaw")])
def test_every_clip_lands_once_with_its_audio(rtsp: RtspServer, tmp_path: Path, mount: str, codec: str) -> None:
    clips: list[media.Clip] = []
    made = media.record(rtsp.url(mount), tmp_path, clips.append, clip_seconds=2.0, max_seconds=6.0, audio=True)
    assert made == len(clips) == 3
    assert len({c.path.name for c in clips}) == 3 and not list(tmp_path.glob("*.part"))
    _contiguous(clips)
    for clip in clips:
        facts = _clip_facts(clip.path)
        assert facts["key"] and facts["size"] == (320, 240)
        assert abs(clip.duration - 2.0) < FRAME / 2, clip           # 10 s clips are 10 s (1 ms cut tolerance)
        assert facts["audio_codec"] == "aac"                         # G.711 became AAC: browsers play it
        assert abs(facts["audio_seconds"] - clip.duration) <= AUDIO_SLACK, facts


def test_audio_is_off_unless_asked(rtsp: RtspServer, tmp_path: Path) -> None:
    clips: list[media.Clip] = []
    media.record(rtsp.url("aac"), tmp_path, clips.append, clip_seconds=1.0, max_seconds=1.0)
    assert clips and "audio_codec" not in _clip_facts(clips[0].path)


def test_clip_start_is_media_time_from_the_session_start(rtsp: RtspServer, tmp_path: Path) -> None:
    opened = time.time()
    clips: list[media.Clip] = []
    media.record(rtsp.url("video"), tmp_path, clips.append, clip_seconds=1.0, max_seconds=3.0)
    # FFmpeg's probe reads ~1 s ahead; stamping the first packet's arrival put the first clip that late
    assert 0 <= clips[0].start.timestamp() - opened <= 0.6
    _contiguous(clips)


def test_server_restart_mid_clip_reconnects(rtsp: RtspServer, tmp_path: Path) -> None:
    run = Run(rtsp.url("aac"), tmp_path, clip_seconds=2.0, audio=True, read_timeout=3.0)
    run.wait_clips(1)
    time.sleep(0.5)   # a position, not a wait: kill in the middle of the second clip, not on its boundary
    rtsp.restart()
    back = time.monotonic()
    before = len(run.clips)
    first_after = wait_for(lambda: len(run.clips) > before + 1 and time.monotonic(), 30, "clips after the restart")
    run.finish()
    assert first_after - back < 2.0 + 5.0            # the first new clip: its 2 s plus under 5 s to reconnect
    assert run.recorder.sessions >= 2 and run.error is None
    names = [c.path.name for c in run.clips]
    assert len(set(names)) == len(names)
    for clip in run.clips:
        facts = _clip_facts(clip.path)
        assert facts["key"] and clip.duration <= 2.0 + FRAME / 2
        assert abs(facts["audio_seconds"] - clip.duration) <= AUDIO_SLACK
    for a, b in zip(run.clips, run.clips[1:], strict=False):
        assert (b.start - a.start).total_seconds() >= a.duration - 0.005     # never overlapping


def test_a_ten_second_stall_is_noticed_and_no_clip_spans_it(rtsp: RtspServer, tmp_path: Path) -> None:
    run = Run(rtsp.url("pcmu"), tmp_path, clip_seconds=2.0, audio=True, read_timeout=3.0)
    run.wait_clips(1)
    assert rtsp.command("stall 10").startswith("stalled")
    stalled = time.time()
    assert rtsp.read_line(30) == "resumed"
    resumed = time.time()
    before = len(run.clips)
    run.wait_clips(before + 2)
    run.finish()
    assert run.recorder.sessions >= 2                      # the stalled session was given up and reopened
    assert run.recorder.stalls >= 1                        # by the stall watch (no packet for read_timeout)
    for clip in run.clips:
        assert clip.duration <= 2.0 + FRAME / 2            # no 13 s clip with a 10 s hole inside
        end = clip.start.timestamp() + clip.duration
        assert not (clip.start.timestamp() < stalled + 1 and end > resumed - 1), "a clip spans the stall"
    for a, b in zip(run.clips, run.clips[1:], strict=False):
        assert (b.start - a.start).total_seconds() >= a.duration - 0.005


def test_stop_reaches_a_stalled_recorder(rtsp: RtspServer, tmp_path: Path) -> None:
    run = Run(rtsp.url("video"), tmp_path, clip_seconds=1.0, read_timeout=3.0)
    run.wait_clips(1)
    rtsp.command("stall 20")
    seen = len(run.clips)
    wait_for(lambda: run.recorder.last_error is not None or len(run.clips) > seen, 30, "the stall noticed")
    took = run.finish()
    assert took < 3.0 + 2.0                               # within the read timeout, not never
    assert run.error is None


def test_resolution_change_starts_a_new_clip(rtsp: RtspServer, tmp_path: Path) -> None:
    run = Run(rtsp.url("video"), tmp_path, clip_seconds=3.0)
    run.wait_clips(1)
    rtsp.command("resolution 160x120")
    wait_for(lambda: any(_clip_facts(c.path)["size"] == (160, 120) for c in list(run.clips)) or run.error, 60,
             "a clip at the new size")
    run.finish()
    sizes = [_clip_facts(c.path)["size"] for c in run.clips]
    assert (320, 240) in sizes and (160, 120) in sizes
    for clip in run.clips:                                # no clip mixes the two sizes
        with av.open(str(clip.path)) as c:
            assert len({(f.width, f.height) for f in c.decode(video=0)}) == 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_a_camera_that_boots_after_the_recorder_is_waited_for(tmp_path: Path) -> None:
    server = RtspServer()
    server.port = _free_port()
    run = Run(server.url("video"), tmp_path, clip_seconds=1.0, read_timeout=3.0)
    wait_for(lambda: run.recorder.last_error is not None, 30, "a refused connection")
    assert run.thread.is_alive() and run.error is None     # not an exit (status 0 or otherwise)
    server.start()
    try:
        run.wait_clips(1)
    finally:
        run.finish()
        server.stop()


@pytest.mark.parametrize(("make_url", "code"), [
    (lambda s: s.url("secret", user="user", password="wrong-pw-123"), "unauthorized"),
    (lambda s: s.url("audio"), "no_video"),
    (lambda s: s.url("no-such-mount"), "not_found"),
    (lambda s: s.url("video").replace("rtsp://", "rtps://user:pw-456@"), "bad_source"),
])
def test_bad_input_is_a_clear_error_without_the_password(rtsp: RtspServer, tmp_path: Path,
                                                          make_url: Callable[[RtspServer], str], code: str) -> None:
    url = make_url(rtsp)
    with pytest.raises(RecordError) as caught:
        Recorder(url, tmp_path, lambda clip: None, name="front-door", read_timeout=3.0).run()
    assert caught.value.code == code
    assert "front-door" in caught.value.message
    assert "wrong-pw-123" not in caught.value.message and "pw-456" not in caught.value.message


def test_the_right_password_records(rtsp: RtspServer, tmp_path: Path) -> None:
    clips: list[media.Clip] = []
    media.record(rtsp.url("secret", user="user", password="pw"), tmp_path, clips.append, clip_seconds=1.0,
                 max_seconds=1.0)
    assert len(clips) == 1


def test_udp_transport_records_too(rtsp: RtspServer, tmp_path: Path) -> None:
    # Loss is injected at the server (no tc netem: shaping loopback would disturb every other test on
    # this shared machine): see the packet-loss test below. A long loss is a media-time jump.
    clips: list[media.Clip] = []
    media.record(rtsp.url("pcmu"), tmp_path, clips.append, clip_seconds=1.0, max_seconds=2.0, audio=True,
                 transport="udp")
    assert len(clips) == 2 and all(_clip_facts(c.path)["key"] for c in clips)
    with pytest.raises(RecordError) as caught:
        Recorder(rtsp.url("video"), tmp_path, clips.append, transport="sctp", name="cam-x")
    assert caught.value.code == "bad_config" and "cam-x" in caught.value.message


def _decode_lossy(path: Path) -> tuple[int, int, bool]:
    """(frames decoded, packets the decoder refused, whether the clip's first packet decoded into a
    keyframe): a player skips a packet that lost data; the clip must open, play from its first
    keyframe (its parameter sets are there) and play around the holes."""
    decoded = refused = 0
    starts = False
    first_pts = None
    with av.open(str(path)) as c:
        assert c.streams.audio and c.streams.audio[0].codec_context.name == "aac"
        for packet in c.demux(video=0):
            if packet.size == 0:
                continue
            first_pts = packet.pts if first_pts is None else first_pts
            try:
                frames = packet.decode()
            except av.error.InvalidDataError:
                refused += 1
                continue
            if frames and not decoded:
                starts = bool(frames[0].key_frame) and frames[0].pts == first_pts
            decoded += len(frames)
    return decoded, refused, starts


def test_udp_packet_loss_keeps_recording_with_decodable_clips_and_reports_the_gap(rtsp: RtspServer,
                                                                                   tmp_path: Path) -> None:
    """RTP over UDP with every 3rd video packet dropped at the server (as a lossy network drops
    datagrams, on this stream only): the recorder keeps cutting clips, every clip opens and plays from
    its first keyframe (the parameter sets that keyframe lost are put back) around the damaged frames,
    all play fully once the loss ends, and the frames that never arrived are counted (and logged per
    clip)."""
    run = Run(rtsp.url("aac"), tmp_path, clip_seconds=2.0, audio=True, transport="udp")
    run.wait_clips(1)
    assert run.recorder.frames_missing == 0                     # a clean stream reports no gap
    assert rtsp.command("loss 3").startswith("loss 3")
    before = len(run.clips)
    run.wait_clips(before + 3)
    dropped = int(rtsp.command("loss 0").split()[2])
    lossy_missing = run.recorder.frames_missing
    assert rtsp.command("drop-nal 8").startswith("drop-nal 8")    # now every keyframe's PPS is lost
    repaired = run.recorder.keyframes_repaired
    run.wait_clips(len(run.clips) + 2)
    rtsp.command("drop-nal 0")
    repaired_without_pps = run.recorder.keyframes_repaired - repaired
    after = len(run.clips)
    run.wait_clips(after + 2)                                   # and goes on once the network is clean
    run.finish()
    assert run.error is None and dropped > 0
    assert lossy_missing > 0, "lost packets were not reported"
    assert repaired_without_pps >= 2, repaired_without_pps        # each keyframe got its PPS back
    facts = [_decode_lossy(clip.path) for clip in run.clips]          # every clip opens, with its sound
    # a third of the packets gone, then every PPS: keyframes lost SPS/PPS (the test server sends
    # each pair twice, so some arrive reordered too) and got them back; every clip plays from its
    # first keyframe around the damaged frames
    assert all(starts and decoded > refused for decoded, refused, starts in facts), facts
    for decoded, refused, starts in facts[after + 1:]:               # once the network is clean: all of it
        assert starts and decoded > 0 and refused == 0, facts
    # cut on a keyframe that arrived: a whole number of 1-s GOPs, at least the clip's length (a
    # keyframe whose first fragment was lost is no keyframe, so a lossy clip can be longer)
    durations = [clip.duration for clip in run.clips[:-1]]
    assert all(d >= 2.0 - FRAME and abs(d - round(d)) < FRAME for d in durations), durations
    assert all(d <= 2.0 + FRAME for d in durations[after + 1:]), durations
