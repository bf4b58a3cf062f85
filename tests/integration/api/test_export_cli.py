"""`vigil export create|show` against the local stack (issue 26): the operator starts a signed export
from a terminal through the real export function (fc2, async), waits for it, downloads the MP4(s) and
manifest, and `vigil verify` accepts them; the manifest names --user as the exporter; a several-camera
export started without --wait is followed with `show`; bad input is a clear exit 2, never a traceback."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_create_waits_downloads_and_the_files_verify(vigil: Any, cloud: Any, camera_with_clips: Any,
                                                     tmp_path: Path) -> None:
    camera, placed = camera_with_clips([(0, 0, 1), (2, 1, 2)])
    start, end = placed[0].start, placed[-1].start + placed[-1].duration_ms
    user = f"ops-{uuid.uuid4().hex[:6]}"
    out = tmp_path / "out"
    code, stdout, stderr = vigil("export", "create", "--camera", camera, "--start", str(start), "--end", str(end),
                                 "--user", user, "--out", str(out))
    assert code == 0, stderr
    assert "started" in stderr and f"({user}): done" in stdout
    mp4s = sorted(out.glob("*.mp4"))
    manifests = sorted(out.glob("*.manifest.json"))
    assert len(mp4s) == 1 and len(manifests) == 1 and mp4s[0].name.startswith(f"vigil-{camera}-")
    assert f"downloaded {mp4s[0]}" in stdout and not list(out.glob("*.part"))
    doc = json.loads(manifests[0].read_text())["manifest"]
    assert doc["exported_by"] == user and doc["files"][0]["size"] == mp4s[0].stat().st_size
    key = Path(cloud.data_dir) / "secrets" / "evidence-public.pem"
    code, stdout, stderr = vigil("verify", str(mp4s[0]), "--manifest", str(manifests[0]), "--public-key", str(key))
    assert code == 0, stderr
    assert "matches the manifest" in stdout


def test_several_cameras_without_wait_then_show(vigil: Any, camera_with_clips: Any, tmp_path: Path) -> None:
    cams = [camera_with_clips([(0, 0, 1), (2, 1, 2)]) for _ in range(2)]
    start = cams[0][1][0].start
    end = start + 4000
    code, stdout, stderr = vigil("export", "create", "--camera", cams[0][0], "--camera", cams[1][0],
                                 "--start", str(start), "--end", str(end), "--json")
    assert code == 0, stderr
    started = json.loads(stdout)
    assert started["state"] in ("queued", "running", "done") and started["user"] == "operator"
    assert started["cameras"] == [cams[0][0], cams[1][0]]
    code, stdout, stderr = vigil("export", "show", started["id"], "--wait", "--json")
    assert code == 0, stderr
    done = json.loads(stdout)
    assert done["state"] == "done" and [f["camera"] for f in done["files"]] == started["cameras"]
    assert all(f["sha256"] and f["size"] > 0 for f in done["files"]) and done["manifest_key"]


def test_bad_input_is_a_clear_usage_error(vigil: Any, camera_with_clips: Any) -> None:
    camera, placed = camera_with_clips([(0, 0, 1)])
    start = str(placed[0].start)
    code, _out, err = vigil("export", "create", "--camera", "cam-nobody-here", "--start", start, "--end",
                            str(placed[0].start + 2000))
    assert code == 2 and "no such camera: cam-nobody-here" in err
    code, _out, err = vigil("export", "create", "--camera", camera, "--start", start, "--end", start)
    assert code == 2 and "end must be after start" in err
    code, _out, err = vigil("export", "create", "--camera", camera, "--start", "yesterday", "--end", start)
    assert code == 2 and "ISO-8601" in err and "Traceback" not in err
    code, _out, err = vigil("export", "show", "20261207T000000Z-00000000")
    assert code == 1 and "no such export" in err
    code, _out, err = vigil("export", "create", "--camera", camera, "--start", start, "--end", start + "0",
                            "--user", "../x")
    assert code == 2 and "user names for exports" in err
