"""The time-bounded subset of `make chaos` that runs in `make test`: a small fleet, every kind of fault once or
twice, then the proof. The seed is fixed (VIGIL_CHAOS_SEED overrides it) and named in any failure message."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path
from typing import Any

import pytest
from chaos_proxy import CameraProxy
from chaos_runner import Camera, Config, Scenario, draw_schedule, summary_table, verify_camera

pytestmark = pytest.mark.e2e

SEED = int(os.environ.get("VIGIL_CHAOS_SEED", "20261201"))


def test_schedule_is_a_function_of_the_seed() -> None:
    a = draw_schedule(Config(seed=SEED, cameras=4, duration_s=75))
    assert a == draw_schedule(Config(seed=SEED, cameras=4, duration_s=75))
    assert a != draw_schedule(Config(seed=SEED + 1, cameras=4, duration_s=75))
    kinds = {e.kind for e in a}
    assert {"drop", "token503", "token_timeout", "sts_down", "disable", "enable", "clock_jump", "kill_stack",
            "kill_camera", "replay_events", "kill_fn_worker"} <= kinds


def test_every_clip_exactly_once_in_oss_and_the_timeline_under_faults() -> None:
    cfg = Config(seed=SEED, cameras=4, duration_s=75, settle_timeout_s=180)
    report = Scenario(cfg).run()
    table = summary_table(report)
    print(table)
    assert report["ok"], f"chaos seed {SEED} failed (replay: make chaos CHAOS_ARGS='--seed {SEED} --cameras 4 " \
                         f"--minutes 1.25'):\n{table}"
    # the scenario did what it says: faults bit, the stack was killed, a spool overflowed and counted it
    assert report["stack_starts"] >= 2
    assert report["cameras"]["chaos-cam-00"]["dropped"] > 0
    assert sum(report["requests_faulted_by_proxies"].values()) > 0
    assert report["requests_faulted_by_proxies"].get("token503", 0) > 0  # the token outage met refreshing cameras
    assert report["sts_connections_refused"] > 0                       # and so did the STS outage
    assert all(c["in_oss"] > 0 for c in report["cameras"].values())


def _camera_dir(tmp_path: Path, device: str, ledger: dict[str, int], queued: list[str],
                dropped: list[str]) -> Camera:
    root = tmp_path / device
    (root / "spool" / "queue").mkdir(parents=True)
    lines = [{"msg": "clip queued", "key": k} for k in queued]
    lines += [{"msg": "spool full: oldest clip dropped", "key": k} for k in dropped]
    (root / "camera.1.log").write_text("".join(json.dumps(d) + "\n" for d in lines))
    (root / "spool" / "sent.jsonl").write_text("".join(json.dumps({"key": k, "crc64": str(c)}) + "\n"
                                                       for k, c in ledger.items()))
    (root / "spool" / "status.json").write_text(json.dumps({"dropped": len(dropped)}))
    return Camera(device, root, CameraProxy(device, lambda: 0.0, random.Random(1), 1), Config(seed=1))


@pytest.mark.integration
def test_the_proof_catches_a_changed_a_lost_and_an_uncounted_clip(cloud: Any, tmp_path: Path) -> None:
    """The verifier has teeth: each way a clip can go wrong is named."""
    bucket = cloud.bucket()
    dev = "chaos-proof-cam"
    keys = [f"videos/{dev}/2026/12/01/10000{i}000Z-{i}.ts" for i in range(4)]
    crcs = {}
    for k in keys[:3]:
        bucket.put_object(k, f"clip {k}".encode())
        crcs[k] = bucket.head_object(k).server_crc
    ok = _camera_dir(tmp_path / "ok", dev, {k: crcs[k] for k in keys[:3]}, keys[:3], [])
    assert verify_camera(ok, bucket)["problems"] == []
    bad = _camera_dir(tmp_path / "bad", dev, {keys[0]: crcs[keys[0]] ^ 1, keys[1]: crcs[keys[1]]},
                      keys, [])  # clip 0 changed, clip 2 in OSS but not in the ledger, clip 3 queued and lost
    problems = " | ".join(verify_camera(bad, bucket)["problems"])
    assert "differ from the camera's CRC-64" in problems
    assert "only in OSS ['" + keys[2] in problems
    assert "neither uploaded nor counted as dropped" in problems and keys[3] in problems
