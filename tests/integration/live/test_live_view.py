"""Live view on the local stack: a simulated camera with its real STS token cuts 1 s segments,
uploads nothing while idle, goes live when the api bumps the watch counter (with the api role's
own credentials), and the api's playlist has absolute presigned URLs that play."""

from __future__ import annotations

import io
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import av
import oss2
import pytest
import requests
from vigil_camera.credentials import TokenProvider
from vigil_camera.keys import live_hls_prefix
from vigil_camera.liveview import LiveView, Playlist, Segment
from vigil_camera.media import simulate
from vigil_camera.ossclient import DeviceOss
from vigil_camera.protocol import device_secret
from vigil_fn.core.devices import DeviceRecord, Registry
from vigil_fn.core.liveview import LiveNotReady, WatchSignal, live_playlist

from tests.waiting import wait_for as _wait_for

pytestmark = pytest.mark.integration


def wait_for(pred: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    """A live playlist that is not ready yet is "not yet", not a failure."""
    return _wait_for(pred, timeout, what, interval=0.1, retry_on=(LiveNotReady,))


class Camera:
    """The simulator in real time on a thread, feeding a LiveView (recording clips are dropped here)."""

    def __init__(self, oss: DeviceOss, device: str, work: Path, **live: Any) -> None:
        self.view = LiveView(oss, device, **live).start()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=simulate, args=(work, lambda clip: Path(clip.path).unlink()),
                                       kwargs={"fps": 10, "width": 320, "height": 180, "clip_seconds": 4,
                                               "keyframe_seconds": 1, "realtime": True, "stop": self.stop.is_set,
                                               "on_packet": self.view.on_packet}, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(20)
        self.view.stop()


@pytest.fixture()
def device(cloud: Any) -> tuple[str, DeviceOss]:
    device_id = f"live-{uuid.uuid4().hex[:10]}"
    Registry(cloud.bucket()).create(DeviceRecord(device_id, name="live test"))
    tokens = TokenProvider(cloud.functions["vigil-token"], device_id, device_secret(cloud.master_key, device_id, 1),
                           max_wait=20.0)
    return device_id, DeviceOss(tokens, backoff_base=0.05, backoff_cap=0.5)


@pytest.fixture()
def api_bucket(cloud: Any) -> oss2.Bucket:
    """The bucket as the api function sees it: its own role's session, nothing more."""
    ram = cloud.stack.ram
    creds = ram.issue_session(ram.role_arn("vigil-api-fn"), "api-live-test", 900, None, None, "fc.aliyuncs.com")
    return cloud.bucket(auth=oss2.StsAuth(creds.access_key_id, creds.access_key_secret, creds.security_token))


@pytest.fixture()
def camera_factory(device: tuple[str, DeviceOss], tmp_path: Path) -> Iterator[Callable[..., Camera]]:
    made: list[Camera] = []

    def make(**live: Any) -> Camera:
        live.setdefault("segment_seconds", 1.0)
        live.setdefault("list_size", 4)
        live.setdefault("probe_seconds", 0.3)
        live.setdefault("lease_seconds", 3.0)
        live.setdefault("state_path", tmp_path / "live-state.json")
        cam = Camera(device[1], device[0], tmp_path / f"work-{len(made)}", **live)
        made.append(cam)
        return cam

    yield make
    for cam in made:
        cam.close()


_VIEWER: list[oss2.Bucket] = []


def _signer(bucket: oss2.Bucket) -> Callable[[str], str]:
    """URLs signed as the api signs them: with a session of the read-only viewer role."""
    del bucket
    return lambda key: _VIEWER[0].sign_url("GET", key, 300)


@pytest.fixture(autouse=True)
def _viewer_signer(cloud: Any) -> None:
    ram = cloud.stack.ram
    api = ram.issue_session(ram.role_arn("vigil-api-fn"), "api-live-test", 900, None, None, "fc.aliyuncs.com")
    caller = ram.resolve(api.access_key_id, api.security_token)
    creds = ram.issue_session(ram.role_arn("vigil-viewer-read"), "viewer-live-test", 900, None, caller, None)
    _VIEWER[:] = [cloud.bucket(auth=oss2.StsAuth(creds.access_key_id, creds.access_key_secret,
                                                 creds.security_token))]


def _segments(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def test_idle_camera_only_probes_then_goes_live_on_the_signal(cloud: Any, device: tuple[str, DeviceOss],
                                                               api_bucket: oss2.Bucket,
                                                               camera_factory: Callable[..., Camera]) -> None:
    device_id, _ = device
    cam = camera_factory()
    wait_for(lambda: cam.view.counts["probes"] >= 4, what="idle probes")
    assert cam.view.counts["segment_puts"] == 0 and cam.view.counts["playlist_puts"] == 0
    assert not list(oss2.ObjectIteratorV2(cloud.bucket(), prefix=live_hls_prefix(device_id)))
    with pytest.raises(LiveNotReady):
        live_playlist(api_bucket, device_id, _signer(api_bucket))

    pressed = time.monotonic()
    assert WatchSignal(lease_s=3).bump(api_bucket, device_id)
    text = wait_for(lambda: len(_segments(live_playlist(api_bucket, device_id, _signer(api_bucket)))) >= 3
                    and live_playlist(api_bucket, device_id, _signer(api_bucket)), what="a live playlist")
    assert time.monotonic() - pressed < 30
    urls = _segments(text)
    assert all(u.startswith(cloud.oss_endpoint + "/") and "Signature=" in u for u in urls)
    assert text.count("#EXT-X-PROGRAM-DATE-TIME:") == len(urls)
    assert "#EXT-X-DISCONTINUITY\n" in text or "#EXT-X-DISCONTINUITY-SEQUENCE" in text
    data = b"".join(requests.get(u, timeout=10).content for u in urls)
    with av.open(io.BytesIO(data)) as c:
        frames = sum(1 for _ in c.decode(video=0))
    assert frames >= 10 * len(urls) - len(urls)     # ~1 s of 10 fps per segment, all decodable

    # no more signals: the lease (3 s) runs out and uploads stop
    wait_for(lambda: not cam.view.live, timeout=30, what="the lease to end")
    puts, probes = cam.view.counts["segment_puts"], cam.view.counts["probes"]
    wait_for(lambda: cam.view.counts["probes"] >= probes + 3, what="more idle probes")
    assert cam.view.counts["segment_puts"] <= puts + 1


def test_a_restarted_camera_continues_with_higher_numbers_and_a_discontinuity(
        device: tuple[str, DeviceOss], api_bucket: oss2.Bucket, camera_factory: Callable[..., Camera]) -> None:
    device_id, _ = device
    signal = WatchSignal(lease_s=3)
    cam = camera_factory(lease_seconds=30.0)
    wait_for(lambda: cam.view.counts["probes"] >= 1, what="a first probe")
    signal.bump(api_bucket, device_id, force=True)
    first = wait_for(lambda: live_playlist(api_bucket, device_id, _signer(api_bucket)), what="first session")
    first_seq = int(first.split("#EXT-X-MEDIA-SEQUENCE:")[1].split()[0])
    cam.close()
    time.sleep(1.1)  # sequence numbers start at the epoch second: make sure a new second began
    again = camera_factory(lease_seconds=30.0)   # same state file: the lease is still running
    second = wait_for(lambda: again.view.counts["segment_puts"] >= 2
                      and live_playlist(api_bucket, device_id, _signer(api_bucket)), what="second session")
    second_seq = int(second.split("#EXT-X-MEDIA-SEQUENCE:")[1].split()[0])
    assert second_seq > first_seq
    first_cc = int(first.split("#EXT-X-DISCONTINUITY-SEQUENCE:")[1].split()[0]) + first.count("#EXT-X-DISCONTINUITY\n")
    second_cc = int(second.split("#EXT-X-DISCONTINUITY-SEQUENCE:")[1].split()[0])
    assert second_cc >= first_cc and second_cc < 1000   # a small counter carried over, never a timestamp
    assert "#EXT-X-DISCONTINUITY\n" in second
    del signal


def test_playlist_window_and_discontinuity_sequence() -> None:
    from datetime import datetime, timezone
    t = datetime(2026, 12, 1, 10, 0, 0, tzinfo=timezone.utc)
    p = Playlist(list_size=2, discontinuity_sequence=7)
    for seq, disc in ((100, True), (101, False), (102, True), (103, False)):
        p.add(Segment(seq, b"", 1.0, t, disc))
    text = p.render()
    assert "#EXT-X-MEDIA-SEQUENCE:102" in text and "#EXT-X-DISCONTINUITY-SEQUENCE:8" in text
    assert text.count("#EXT-X-DISCONTINUITY\n") == 1 and "#EXT-X-TARGETDURATION:1" in text
    assert "#EXT-X-PROGRAM-DATE-TIME:2026-12-01T10:00:00.000Z" in text


def test_a_token_refresh_while_live_loses_no_segment(device: tuple[str, DeviceOss], api_bucket: oss2.Bucket,
                                                     camera_factory: Callable[..., Camera]) -> None:
    """The camera's STS token is replaced mid-stream (as at 80 % of its life): uploads go on, the
    sequence stays contiguous and no discontinuity is added."""
    device_id, oss = device
    cam = camera_factory(lease_seconds=30.0, list_size=8)
    wait_for(lambda: cam.view.counts["probes"] >= 1, what="a first probe")
    WatchSignal(lease_s=30).bump(api_bucket, device_id, force=True)
    wait_for(lambda: cam.view.counts["segment_puts"] >= 2, what="live segments")
    old = oss.tokens.current()
    assert old is not None
    oss.tokens.invalidate(old)
    before = cam.view.counts["segment_puts"]
    wait_for(lambda: cam.view.counts["segment_puts"] >= before + 4, what="segments after the refresh")
    assert oss.tokens.current() is not old
    text = live_playlist(api_bucket, device_id, _signer(api_bucket))
    seqs = [int(re.search(r"(\d+)\.ts", u).group(1)) for u in _segments(text)]  # type: ignore[union-attr]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    assert text.count("#EXT-X-DISCONTINUITY\n") <= 1 and cam.view.counts["dropped"] == 0
