"""The device client against localcloud through the real token function and the real oss2."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import av
import oss2
import pytest
from vigil_camera import media
from vigil_camera.clipinfo import clip_info
from vigil_camera.crc import crc64_bytes, crc64_file
from vigil_camera.credentials import StaticTokens
from vigil_camera.files import OssFile, delete, stat
from vigil_camera.ossclient import DeviceOss
from vigil_camera.spool import Spool
from vigil_camera.upload import ClipUploader, UploadError

pytestmark = pytest.mark.integration


def _clip(folder: Path, name: str, size: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(os.urandom(size))
    return path


def _stored(cloud, key: str) -> tuple[int, int]:
    head = cloud.bucket().head_object(key)
    return int(head.content_length), int(head.server_crc)


def _device_keys(cloud, device_id: str) -> list[str]:
    return [o.key for o in oss2.ObjectIterator(cloud.bucket(), prefix=f"videos/{device_id}/")]


def test_write_append_read_stat_delete_round_trip(dc_client, dc_device, cloud):
    prefix = f"videos/{dc_device.device_id}/"
    small, large = os.urandom(50_000), os.urandom(300_000)
    with OssFile(dc_client.oss, prefix + "w-small.ts", "w") as f:
        f.write(small)
    with OssFile(dc_client.oss, prefix + "w-large.ts", "w", part_size=128 * 1024) as f:
        for i in range(0, len(large), 70_000):
            f.write(large[i:i + 70_000])
    assert f._upload_id is not None                       # went multipart
    assert cloud.bucket().get_object(prefix + "w-small.ts").read() == small
    assert cloud.bucket().get_object(prefix + "w-large.ts").read() == large
    with pytest.raises(oss2.exceptions.ServerError) as info, \
            OssFile(dc_client.oss, prefix + "w-small.ts", "w") as f:
        f.write(b"replace")
    assert info.value.code == "FileAlreadyExists"
    assert cloud.bucket().get_object(prefix + "w-small.ts").read() == small

    live = f"live/{dc_device.device_id}/2026/11/28/10.ts"
    chunks = [os.urandom(10_000) for _ in range(4)]
    with OssFile(dc_client.oss, live, "a", position=0) as f:
        for c in chunks[:3]:
            f.write(c)
        assert f.tell() == 30_000
    with OssFile(dc_client.oss, live, "a") as f:           # position unknown: learned from the 409
        f.write(chunks[3])
        assert f.tell() == 40_000
    assert cloud.bucket().get_object(live).read() == b"".join(chunks)

    with pytest.raises(oss2.exceptions.AccessDenied):     # the device token cannot read
        stat(dc_client.oss, prefix + "w-small.ts")
    operator = DeviceOss(StaticTokens(cloud.access_key_id, cloud.access_key_secret,
                                      endpoint=cloud.oss_endpoint, bucket=cloud.bucket_name))
    st = stat(operator, live)
    assert st.size == 40_000 and st.object_type == "Appendable" and st.next_append_position == 40_000
    assert st.crc64 == crc64_bytes(b"".join(chunks))
    with OssFile(operator, prefix + "w-large.ts", "r") as f:
        f.seek(100_000)
        assert f.read(1000) == large[100_000:101_000]
        assert f.tell() == 101_000
        f.seek(-10, os.SEEK_END)
        assert f.read() == large[-10:]
    delete(operator, prefix + "w-small.ts")
    with pytest.raises(oss2.exceptions.NoSuchKey):
        cloud.bucket().head_object(prefix + "w-small.ts")


def test_token_expiring_during_multipart_is_refreshed(dc_client, dc_device, cloud, tmp_path):
    path = _clip(tmp_path / "src", "20261128T100000000Z-1.ts", 700_000)
    key = clip_info(path).key(dc_device.device_id)
    uploader = ClipUploader(dc_client.oss, multipart_threshold=200_000, part_size=128 * 1024, part_workers=1)
    first = dc_client.tokens.token()
    seen = [0]

    def progress(n: int) -> None:
        seen[0] += n
        if seen[0] >= 128 * 1024 and not advanced:
            advanced.append(cloud.advance_clock(first.lifetime + 60))   # the token is now expired

    advanced: list[float] = []
    try:
        res = uploader.upload_file(path, key, progress=progress)
    finally:
        cloud.reset_clock()
    assert advanced, "the clock was advanced mid-upload"
    assert dc_client.tokens.current().access_key_id != first.access_key_id
    assert dc_client.tokens.fetches == 2
    assert res.parts == 6 and not res.existed
    assert _stored(cloud, key) == (700_000, crc64_file(path))


def test_token_service_down_then_back_spool_drains(dc_device, dc_proxy, cloud, tmp_path):
    proxy = dc_proxy(dc_device.token_url)
    proxy.mode = "refuse"
    tokens = dc_device.provider(max_wait=0.5)
    tokens.token_url = proxy.url
    tokens.backoff.base, tokens.backoff.cap = 0.05, 0.3
    spool = Spool(tmp_path / "spool")
    oss = DeviceOss(tokens, status=spool.status, backoff_base=0.05, backoff_cap=0.3)
    uploader = ClipUploader(oss)
    keys = []
    for i in range(3):
        clip = _clip(tmp_path / "src", f"20261128T10000{i}000Z-{i}.ts", 20_000)
        keys.append(spool.enqueue(clip, clip_info(clip).key(dc_device.device_id)).key)
    from vigil_camera.backoff import Backoff

    done: list[int] = []
    t = threading.Thread(target=lambda: done.append(spool.drain(
        uploader, backoff=Backoff(base=0.05, cap=0.3), deadline=time.monotonic() + 60)))
    t.start()
    limit = time.monotonic() + 30
    while (proxy.refused < 4 or spool.status.counters["failures"] < 2) and time.monotonic() < limit:
        time.sleep(0.05)
    assert spool.depth()[0] == 3 and spool.status.counters["failures"] >= 2
    proxy.mode = "forward"
    t.join(60)
    assert done == [3] and spool.depth() == (0, 0)
    assert sorted(_device_keys(cloud, dc_device.device_id)) == sorted(keys)
    assert spool.status.snapshot()["last_error"] is not None


def test_network_cut_mid_upload_retries_finish_every_clip(dc_device, dc_proxy, cloud, tmp_path):
    tokens = dc_device.provider()
    proxy = dc_proxy(cloud.oss_endpoint)
    proxy.mode, proxy.cut_after, proxy.cuts = "cut", 60_000, 5
    proxy.match = lambda head: head.startswith(b"PUT ")
    spool = Spool(tmp_path / "spool")
    oss = DeviceOss(tokens, status=spool.status, endpoint=proxy.url, backoff_base=0.05, backoff_cap=0.3)
    uploader = ClipUploader(oss, multipart_threshold=300_000, part_size=128 * 1024, part_workers=2)
    expected = {}
    for i, size in enumerate([100_000, 150_000, 600_000]):
        clip = _clip(tmp_path / "src", f"20261128T11000{i}000Z-{i}.ts", size)
        entry = spool.enqueue(clip, clip_info(clip).key(dc_device.device_id))
        expected[entry.key] = (size, crc64_file(clip))
    assert spool.drain(uploader, deadline=time.monotonic() + 120) == 3
    assert proxy.cuts == 0                                   # every planned cut happened
    assert spool.status.counters["retries"] >= 5
    assert sorted(_device_keys(cloud, dc_device.device_id)) == sorted(expected)
    for key, want in expected.items():
        assert _stored(cloud, key) == want


def test_lost_append_response_is_not_appended_twice(dc_client, dc_device, dc_proxy, cloud):
    proxy = dc_proxy(cloud.oss_endpoint)
    proxy.mode, proxy.cuts = "drop_response", 1
    proxy.match = lambda head: b"append" in head.split(b"\r\n", 1)[0]
    oss = DeviceOss(dc_client.tokens, endpoint=proxy.url, backoff_base=0.05, backoff_cap=0.2)
    key = f"live/{dc_device.device_id}/2026/11/28/11.ts"
    a, b = os.urandom(30_000), os.urandom(20_000)
    with OssFile(oss, key, "a", position=0) as f:
        f.write(a)                                           # answer lost; the retry sees the 409
        f.write(b)
    assert proxy.cuts == 0
    body = cloud.bucket().get_object(key).read()
    assert body == a + b


def test_disk_budget_drops_oldest_and_uploads_the_rest(dc_client, dc_device, cloud, tmp_path):
    spool = Spool(tmp_path / "budget", max_bytes=50_000)
    keys = []
    for i in range(4):
        clip = _clip(tmp_path / "src", f"20261128T12000{i}000Z-{i}.ts", 20_000)
        keys.append(spool.enqueue(clip, clip_info(clip).key(dc_device.device_id)).key)
    assert spool.status.counters["dropped"] == 2
    assert spool.drain(dc_client.uploader, deadline=time.monotonic() + 60) == 2
    assert sorted(_device_keys(cloud, dc_device.device_id)) == sorted(keys[2:])


def test_simulated_camera_clips_upload_and_decode(dc_client, dc_device, cloud, tmp_path):
    spool = dc_client.spool
    clips: list[media.Clip] = []

    def sink(clip: media.Clip) -> None:
        clips.append(clip)
        spool.enqueue(clip.path, clip_info(clip.path).key(dc_device.device_id), move=True)

    media.simulate(tmp_path / "sim", sink, fps=10, width=320, height=180, clip_seconds=2.0, count=2,
                   realtime=False)
    assert spool.drain(dc_client.uploader, deadline=time.monotonic() + 60) == 2
    keys = sorted(_device_keys(cloud, dc_device.device_id))
    assert len(keys) == 2 and keys[0].endswith("Z-0.ts")
    out = tmp_path / "down.ts"
    cloud.bucket().get_object_to_file(keys[1], str(out))
    with av.open(str(out)) as container:
        frames = list(container.decode(video=0))
    assert abs(len(frames) - 20) <= 1 and frames[0].key_frame
    assert abs(media.clip_duration(out) - 2.0) <= 0.1 + 1e-6


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from vigil_camera.credentials import TokenProvider
    from vigil_camera.ossclient import DeviceOss
    from vigil_camera.spool import Spool
    from vigil_camera.upload import ClipUploader, UploadError
    token_url, device_id, secret, spool_dir, endpoint = sys.argv[1:6]
    tokens = TokenProvider(token_url, device_id, secret)
    spool = Spool(Path(spool_dir))
    oss = DeviceOss(tokens, status=spool.status, endpoint=endpoint or None,
                    backoff_base=0.05, backoff_cap=0.3)
    up = ClipUploader(oss, multipart_threshold=300_000, part_size=128 * 1024, part_workers=1)
    print("done", spool.drain(up, concurrency=1), flush=True)
""")


def test_kill_9_mid_part_then_resume_uploads_each_clip_once(dc_device, dc_proxy, cloud, tmp_path):
    proxy = dc_proxy(cloud.oss_endpoint)
    proxy.delay = 0.03                                      # slow enough to be killed mid-part
    spool = Spool(tmp_path / "spool")
    expected = {}
    for i, size in enumerate([1_500_000, 200_000]):
        clip = _clip(tmp_path / "src", f"20261128T13000{i}000Z-{i}.ts", size)
        entry = spool.enqueue(clip, clip_info(clip).key(dc_device.device_id))
        expected[entry.key] = (size, crc64_file(clip))
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    argv = [sys.executable, str(script), dc_device.token_url, dc_device.device_id, dc_device.secret,
            str(tmp_path / "spool")]
    child = subprocess.Popen([*argv, proxy.url], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    checkpoints = tmp_path / "spool" / "checkpoints"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and child.poll() is None:
        files = list(checkpoints.glob("*.json"))
        if files and '"2"' in files[0].read_text():        # two parts confirmed, more in flight
            break
        time.sleep(0.02)
    child.kill()                                            # SIGKILL: no cleanup of any kind
    child.wait()
    assert child.returncode == -9
    assert len(spool.entries()) == 2
    saved = list(checkpoints.glob("*.json"))
    assert len(saved) == 1
    again = subprocess.run([*argv, ""], capture_output=True, timeout=120, text=True)
    assert again.returncode == 0 and "done 2" in again.stdout
    assert sorted(_device_keys(cloud, dc_device.device_id)) == sorted(expected)
    for key, want in expected.items():
        assert _stored(cloud, key) == want
    prefix = f"videos/{dc_device.device_id}/"
    pending = list(oss2.MultipartUploadIterator(cloud.bucket(), prefix=prefix))
    assert pending == []
    assert not list(checkpoints.glob("*.json")) and Spool(tmp_path / "spool").entries() == []


def test_disabled_device_upload_stops_with_clear_error(dc_device, cloud, tmp_path):
    from vigil_fn.core.devices import Registry

    Registry(cloud.bucket()).update(dc_device.device_id, status="disabled")
    spool = Spool(tmp_path / "spool")
    oss = DeviceOss(dc_device.provider(), status=spool.status)
    clip = _clip(tmp_path / "src", "20261128T150000000Z-1.ts", 1000)
    spool.enqueue(clip, clip_info(clip).key(dc_device.device_id))
    assert spool.drain(ClipUploader(oss), deadline=time.monotonic() + 30) == 0
    assert spool.depth()[0] == 1                                  # kept for when the device is enabled
    assert "device_disabled" in spool.status.snapshot()["last_error"]["message"]


def test_watch_folder_uploads_only_finished_clips(dc_client, dc_device, cloud, tmp_path):
    from vigil_camera.watch import FolderWatcher

    folder = tmp_path / "camera"
    done = _clip(folder, "20261128T160000000Z-1.ts", 40_000)
    writing = folder / "20261128T160010000Z-2.ts"
    watcher = FolderWatcher(folder, dc_client.spool, dc_device.device_id, min_age=0.0)
    with open(writing, "wb") as fh:
        fh.write(os.urandom(10_000))
        fh.flush()
        for _ in range(3):
            watcher.poll()
        assert dc_client.spool.drain(dc_client.uploader, deadline=time.monotonic() + 30) == 1
        assert _device_keys(cloud, dc_device.device_id) == [clip_info(done).key(dc_device.device_id)]
        fh.write(os.urandom(10_000))
    watcher.poll()
    assert watcher.poll() != []
    assert dc_client.spool.drain(dc_client.uploader, deadline=time.monotonic() + 30) == 1
    assert len(_device_keys(cloud, dc_device.device_id)) == 2
    key = clip_info(writing).key(dc_device.device_id)
    assert _stored(cloud, key)[0] == 20_000


@pytest.mark.parametrize("lost", ["put", "complete"])
def test_lost_response_to_the_final_write_counts_as_stored(lost, dc_device, dc_proxy, cloud, tmp_path):
    proxy = dc_proxy(cloud.oss_endpoint)
    proxy.mode, proxy.cuts = "drop_response", 1
    if lost == "put":
        proxy.match = lambda head: head.startswith(b"PUT ") and b"uploadId" not in head.split(b"\r\n", 1)[0]
    else:
        proxy.match = lambda head: head.startswith(b"POST ") and b"uploadId=" in head.split(b"\r\n", 1)[0]
    spool = Spool(tmp_path / "spool")
    oss = DeviceOss(dc_device.provider(), status=spool.status, endpoint=proxy.url, backoff_base=0.05,
                    backoff_cap=0.2)
    uploader = ClipUploader(oss, multipart_threshold=300_000, part_size=128 * 1024)
    clip = _clip(tmp_path / "src", "20261128T170000000Z-1.ts", 100_000 if lost == "put" else 400_000)
    entry = spool.enqueue(clip, clip_info(clip).key(dc_device.device_id))
    assert spool.drain(uploader, deadline=time.monotonic() + 60) == 1
    assert proxy.cuts == 0
    assert _device_keys(cloud, dc_device.device_id) == [entry.key]
    assert _stored(cloud, entry.key) == (clip.stat().st_size, crc64_file(clip))
    sent = (tmp_path / "spool" / "sent.jsonl").read_text().splitlines()
    assert len(sent) == 1 and '"existed": true' in sent[0]
    prefix = f"videos/{dc_device.device_id}/"
    assert list(oss2.MultipartUploadIterator(cloud.bucket(), prefix=prefix)) == []


def test_camera_clock_an_hour_off_still_uploads(dc_device, cloud, tmp_path):
    tokens = dc_device.provider(wall_clock=lambda: time.time() - 3600)   # a camera with a wrong clock
    oss = DeviceOss(tokens)
    clip = _clip(tmp_path / "src", "20261128T190000000Z-1.ts", 5000)
    key = clip_info(clip).key(dc_device.device_id)
    ClipUploader(oss).upload_file(clip, key)                      # stale_timestamp → skew learned
    assert abs(tokens.skew - 3600) < 5
    assert _stored(cloud, key) == (5000, crc64_file(clip))        # OSS accepted the corrected Date


def test_access_denied_fetches_one_new_token_then_gives_up(dc_client, dc_device, cloud):
    """A still-valid token that OSS denies may have been revoked: one fresh token is tried, not a storm."""
    first = dc_client.tokens.token()
    other = f"videos/not-{dc_device.device_id}/2026/12/01/100000000Z-1.ts"   # outside the device's prefix
    with pytest.raises(oss2.exceptions.AccessDenied):
        dc_client.oss.call(lambda b: b.put_object(other, b"x"), "put_object")
    assert dc_client.tokens.fetches == 2
    assert dc_client.tokens.current().access_key_id != first.access_key_id
    with pytest.raises(oss2.exceptions.AccessDenied):  # within DENIAL_RECHECK_S: no further token
        dc_client.oss.call(lambda b: b.put_object(other, b"x"), "put_object")
    assert dc_client.tokens.fetches == 2


def test_a_part_stored_with_other_bytes_is_found_by_its_crc_and_sent_again(dc_client, dc_device, cloud, tmp_path):
    """The client leaves oss2's per-request CRC off (it knows the file's CRC from enqueue) and checks
    what OSS reports instead: a checkpointed part OSS holds with other bytes (here written through
    the same upload id, as a corrupting link or an earlier faulty run would leave it) is caught
    before CompleteMultipartUpload and replaced, and the object ends up exactly the file."""
    from vigil_camera.checkpoint import CheckpointFile, PartRecord

    path = _clip(tmp_path / "clips", "c.ts", 3 * 128 * 1024 + 1000)
    key = f"videos/{dc_device.device_id}/2026/11/28/000000000Z-9.ts"
    crc = crc64_file(path)
    uploader = ClipUploader(dc_client.oss, multipart_threshold=200_000, part_size=128 * 1024, part_workers=1)
    cp_file = CheckpointFile(tmp_path / "cp.json")
    cp = uploader._initiate(key, path.stat().st_size, crc, cp_file)
    assert cp is not None
    wrong = bytearray(path.read_bytes()[: 128 * 1024])
    wrong[1000] ^= 0xFF                                            # one flipped byte in part 1
    stored = cloud.bucket().upload_part(key, cp.upload_id, 1, bytes(wrong))
    cp_file.record_part(cp, 1, PartRecord(stored.etag, int(stored.crc), len(wrong)))

    result = uploader.upload_file(path, key, crc64=crc, checkpoint=tmp_path / "cp.json")
    assert not result.existed and result.crc64 == crc
    assert cloud.bucket().get_object(key).read() == path.read_bytes()
    assert _stored(cloud, key) == (path.stat().st_size, crc)
    assert not (tmp_path / "cp.json").exists()


def test_uploads_do_not_compute_the_crc_twice(dc_client, dc_device, tmp_path, monkeypatch):
    """oss2's streaming CRC is off on every upload request: the clip's CRC is computed once, at
    enqueue, and compared with what OSS returns. Nor does oss2 re-combine the parts' CRCs after
    CompleteMultipartUpload (its pure-Python combine cost over a second per 256 MiB clip)."""
    import oss2.utils as oss2_utils

    made: list[int] = []
    combined: list[int] = []
    real, real_combine = oss2_utils.make_crc_adapter, oss2_utils.calc_obj_crc_from_parts

    def counting(*args, **kwargs):
        made.append(1)
        return real(*args, **kwargs)

    def counting_combine(*args, **kwargs):
        combined.append(1)
        return real_combine(*args, **kwargs)

    monkeypatch.setattr(oss2_utils, "make_crc_adapter", counting)
    monkeypatch.setattr(oss2_utils, "calc_obj_crc_from_parts", counting_combine)
    small = _clip(tmp_path / "clips", "s.ts", 50_000)
    big = _clip(tmp_path / "clips", "b.ts", 3 * 128 * 1024)
    prefix = f"videos/{dc_device.device_id}/2026/11/28/"
    for i, path in enumerate((small, big)):
        res = dc_client.uploader.upload_file(path, f"{prefix}00000000{i}Z-{i}.ts", crc64=crc64_file(path),
                                             checkpoint=tmp_path / f"cp{i}.json")
        assert not res.existed
    data = os.urandom(300_000)
    with OssFile(dc_client.oss, f"{prefix}000000002Z-2.ts", "w", part_size=128 * 1024) as f:
        f.write(data)                                   # the file API's multipart write: the same rule
    assert f._upload_id is not None and f.result.crc == crc64_bytes(data)
    assert made == [] and combined == []


def _part_two(head: bytes) -> bool:
    """The UploadPart request of part 2 (its request line)."""
    return re.search(rb"[?&]partNumber=2[& ]", head.split(b"\r\n", 1)[0]) is not None


def test_a_part_corrupted_on_the_wire_is_caught_by_the_combined_crc_and_sent_again(dc_device, dc_proxy, cloud,
                                                                                   tmp_path):
    """One byte of part 2 flipped between the camera and OSS: OSS stores and reports the CRC of what
    it got, the parts' combined CRC then differs from the clip's, part 2's own CRC names it, and it is
    sent again before CompleteMultipartUpload. The object is exactly the file."""
    proxy = dc_proxy(cloud.oss_endpoint)
    proxy.mode, proxy.cuts, proxy.match = "flip", 1, _part_two
    oss = DeviceOss(dc_device.provider(), endpoint=proxy.url, backoff_base=0.05, backoff_cap=0.2)
    uploader = ClipUploader(oss, multipart_threshold=200_000, part_size=128 * 1024, part_workers=2)
    path = _clip(tmp_path / "clips", "c.ts", 3 * 128 * 1024 + 500)
    key = f"videos/{dc_device.device_id}/2026/11/28/000000000Z-7.ts"
    result = uploader.upload_file(path, key, crc64=crc64_file(path), checkpoint=tmp_path / "cp.json")
    assert proxy.cuts == 0                                   # the flip happened
    assert result.crc64 == crc64_file(path) and result.parts == 4
    assert cloud.bucket().get_object(key).read() == path.read_bytes()


def test_the_file_api_refuses_a_part_stored_with_other_bytes(dc_client, dc_device, dc_proxy, cloud):
    """The file API checks each part's CRC itself (oss2's check is off): a part OSS stored with a
    flipped byte stops the write, the upload is aborted and nothing is published."""
    proxy = dc_proxy(cloud.oss_endpoint)
    proxy.mode, proxy.cuts, proxy.match = "flip", 1, _part_two
    oss = DeviceOss(dc_client.tokens, endpoint=proxy.url, backoff_base=0.05, backoff_cap=0.2)
    key = f"videos/{dc_device.device_id}/w-flipped.ts"
    with pytest.raises(UploadError, match="part 2"), OssFile(oss, key, "w", part_size=128 * 1024) as f:
        f.write(os.urandom(3 * 128 * 1024))
    assert proxy.cuts == 0
    with pytest.raises(oss2.exceptions.NoSuchKey):
        cloud.bucket().head_object(key)
    assert list(oss2.MultipartUploadIterator(cloud.bucket(), prefix=key)) == []
