"""Signed exports (issue 26): the export function signs a manifest of what it made; anyone verifies it
offline with the published key, and any change — a byte of the MP4, another file, another key's
manifest — fails with a message that says which.

The export runs in localcloud's FC runtime (the real async invocation), so the key is the
deployment's own (`<data>/secrets/evidence.key`, given to vigil-export only), and verification uses
the key the api publishes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from vigil_fn.core import evidence
from vigil_fn.core.clients import FunctionCredentials
from vigil_fn.core.config import ExportSettings
from vigil_fn.export.invoke import start_export
from vigil_fn.export.jobs import JobStore, manifest_key
from vigil_fn.indexer import reader

from tests.oss_access import oss_requests

from .conftest import Recorded, wait_for

pytestmark = pytest.mark.integration
SETTINGS = ExportSettings.from_env({})


@pytest.fixture(scope="module")
def signed_export(cloud: Any, sim_clips: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from .conftest import record

    rec: Recorded = record(cloud, sim_clips)
    bucket = cloud.bucket()
    store = JobStore(bucket, SETTINGS)
    job = store.create("ivy", rec.camera, rec.start_ms, rec.end_ms)
    creds = FunctionCredentials(cloud.access_key_id, cloud.access_key_secret, None)
    with oss_requests() as seen:
        start_export(ExportSettings.from_env({"VIGIL_FC_ENDPOINT": cloud.fc_endpoint}), creds, "ivy", job.id)
        done = wait_for(lambda: (j := store.require("ivy", job.id)).state in ("done", "failed") and j,
                        timeout=120, what="the export job")
        assert done.state == "done", done.error
        # the manifest's PUT comes after every clip's facts were gathered: its line is the last we need
        wait_for(lambda: seen.of("PUT", [done.manifest_key]), what="the manifest's PUT in the access log")
    clip_heads = seen.of("HEAD", rec.keys)
    out = tmp_path_factory.mktemp("evidence")
    mp4, manifest = out / "export.mp4", out / "export.manifest.json"
    mp4.write_bytes(bucket.get_object(done.key).read())
    manifest.write_bytes(bucket.get_object(done.manifest_key).read())
    with urllib.request.urlopen(cloud.functions["vigil-api"] + "/api/v1/evidence/public-key") as resp:  # noqa: S310
        assert resp.headers["Content-Type"] == "application/x-pem-file"
        key_id = resp.headers["X-Vigil-Key-Id"]
        (out / "key.pem").write_bytes(resp.read())
    return {"job": done, "rec": rec, "mp4": mp4, "manifest": manifest, "key": out / "key.pem", "dir": out,
            "key_id": key_id, "clip_heads": clip_heads}


def _verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "vigil_ops.cli", "verify", *args], capture_output=True,
                          text=True, timeout=120, check=False)


def test_the_manifest_names_the_file_and_every_clip_as_oss_holds_them(cloud: Any, signed_export: dict) -> None:
    job, rec = signed_export["job"], signed_export["rec"]
    doc = json.loads(signed_export["manifest"].read_text())
    m = doc["manifest"]
    assert job.manifest_key == manifest_key("ivy", job.id)
    assert m["format"] == evidence.FORMAT and m["exported_by"] == "ivy" and m["export_id"] == job.id
    assert doc["signature"]["key_id"] == m["key_id"] == signed_export["key_id"]
    (entry,) = m["files"]
    data = signed_export["mp4"].read_bytes()
    import hashlib

    assert entry["sha256"] == hashlib.sha256(data).hexdigest() == job.sha256 and entry["size"] == len(data)
    bucket = cloud.bucket()
    assert entry["crc64"] == bucket.head_object(job.key).headers["x-oss-hash-crc64ecma"]
    assert [c["key"] for c in entry["clips"]] == rec.keys
    indexed = {c.key: c for c in reader.day_clips(bucket, rec.camera, rec.starts[0].date())}
    for clip in entry["clips"]:   # each clip's CRC-64 and ETag are the stored object's, as the index recorded them
        head = bucket.head_object(clip["key"])
        assert clip["crc64"] == head.headers["x-oss-hash-crc64ecma"] and clip["etag"] == head.etag.strip('"')
        assert (indexed[clip["key"]].crc64, indexed[clip["key"]].etag) == (clip["crc64"], clip["etag"])
    assert signed_export["clip_heads"] == []    # the export asked OSS nothing more about its clips
    assert len(entry["gaps"]) == 1 and entry["gaps"][0]["reason"] == "not recorded"


def test_vigil_verify_passes_the_untouched_export(cloud: Any, signed_export: dict) -> None:
    done = _verify(str(signed_export["mp4"]), "--manifest", str(signed_export["manifest"]),
                   "--public-key", str(signed_export["key"]))
    assert done.returncode == 0, done.stderr
    assert f"signed by key {signed_export['key_id']}" in done.stdout and "matches the manifest" in done.stdout
    # the localcloud deployment keeps the same public key beside its secret, for offline use
    assert signed_export["key"].read_text() == (cloud.data_dir / "secrets" / "evidence-public.pem").read_text()


def test_one_changed_byte_fails_and_says_the_file_changed(signed_export: dict, tmp_path: Path) -> None:
    data = bytearray(signed_export["mp4"].read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered = tmp_path / "tampered.mp4"
    tampered.write_bytes(bytes(data))
    done = _verify(str(tampered), "--manifest", str(signed_export["manifest"]), "--public-key",
                   str(signed_export["key"]))
    assert done.returncode == 1
    assert "SHA-256 differs" in done.stderr and "same size, different content" in done.stderr


def test_an_edited_manifest_fails_its_signature(signed_export: dict, tmp_path: Path) -> None:
    doc = json.loads(signed_export["manifest"].read_text())
    doc["manifest"]["exported_by"] = "mallory"
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(doc))
    done = _verify(str(signed_export["mp4"]), "--manifest", str(edited), "--public-key", str(signed_export["key"]))
    assert done.returncode == 1 and "changed after signing" in done.stderr


def test_a_manifest_signed_by_another_key_fails_and_names_the_keys(signed_export: dict, tmp_path: Path) -> None:
    doc = json.loads(signed_export["manifest"].read_text())
    forged = evidence.sign({k: v for k, v in doc["manifest"].items() if k not in ("format", "key_id")},
                           Ed25519PrivateKey.generate())
    path = tmp_path / "forged.json"
    path.write_text(json.dumps(forged))
    done = _verify(str(signed_export["mp4"]), "--manifest", str(path), "--public-key", str(signed_export["key"]))
    assert done.returncode == 1
    assert "signed by another key" in done.stderr and signed_export["key_id"] in done.stderr


def test_a_valid_manifest_of_another_export_fails_for_this_file(cloud: Any, signed_export: dict,
                                                                 sim_clips: Any, tmp_path: Path) -> None:
    from .conftest import record

    rec = record(cloud, sim_clips[:2], gap_after=5)
    bucket = cloud.bucket()
    store = JobStore(bucket, SETTINGS)
    job = store.create("ivy", rec.camera, rec.start_ms, rec.end_ms)
    creds = FunctionCredentials(cloud.access_key_id, cloud.access_key_secret, None)
    start_export(ExportSettings.from_env({"VIGIL_FC_ENDPOINT": cloud.fc_endpoint}), creds, "ivy", job.id)
    other = wait_for(lambda: (j := store.require("ivy", job.id)).state in ("done", "failed") and j,
                     timeout=120, what="the second export")
    assert other.state == "done", other.error
    path = tmp_path / "other.manifest.json"
    path.write_bytes(bucket.get_object(other.manifest_key).read())
    done = _verify(str(signed_export["mp4"]), "--manifest", str(path), "--public-key", str(signed_export["key"]))
    assert done.returncode == 1 and "the file was changed or is another file" in done.stderr


@pytest.mark.parametrize("content, needle", [
    (b"not json at all", "not JSON"),
    (b"{" + b" " * (2 << 20) + b"}", "bytes; a Vigil manifest is under"),
    (b'{"manifest": {}, "signature": {}}', "unknown manifest format"),
])
def test_a_manifest_that_is_not_one_is_a_clear_usage_error(signed_export: dict, tmp_path: Path, content: bytes,
                                                           needle: str) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    done = _verify(str(signed_export["mp4"]), "--manifest", str(path), "--public-key", str(signed_export["key"]))
    assert done.returncode == 2 and needle in done.stderr and "Traceback" not in done.stderr


def test_the_public_key_route_answers_json_too(cloud: Any, signed_export: dict) -> None:
    url = cloud.functions["vigil-api"] + "/api/v1/evidence/public-key?format=json"
    with urllib.request.urlopen(url) as resp:  # noqa: S310
        doc = json.loads(resp.read())
    assert doc["algorithm"] == "Ed25519" and doc["key_id"] == signed_export["key_id"]
    assert doc["pem"] == signed_export["key"].read_text()


def test_clips_indexed_before_crc64s_were_kept_still_get_the_facts_oss_holds(cloud: Any, sim_clips: Any) -> None:
    """Index entries written before the indexer kept CRC-64s (no `crc64`) still read, and the export
    names the right facts for their clips: from its own GET (OSS sends the whole object's CRC-64 on a
    ranged GET too), else — a clip neither the index nor a GET knows — from one HEAD."""
    from vigil_camera.keys import index_key
    from vigil_fn.export import manifest
    from vigil_fn.export.remux import Chapter, RemuxResult
    from vigil_fn.export.service import plan, run_job
    from vigil_fn.indexer.log import append_line, encode_entry, read_entries

    from .conftest import record

    rec = record(cloud, sim_clips[:3], gap_after=5)
    bucket = cloud.bucket()
    day = rec.starts[0].date()
    log_key = index_key(rec.camera, day)
    entries, _ = read_entries(bucket, log_key)
    creates = [e for e in entries if e.get("op") == "create"]
    assert {e["key"] for e in creates if e.get("crc64")} == set(rec.keys)    # the indexer records them now
    # an older indexer's entries for the first two clips: the same event time, later in the log, so they win
    old = [{k: v for k, v in e.items() if k != "crc64"} for e in creates if e["key"] in rec.keys[:2]]
    append_line(bucket, log_key, b"".join(encode_entry(e) for e in old))
    clips = {c.key: c for c in reader.day_clips(bucket, rec.camera, day)}
    assert [clips[k].crc64 is None for k in rec.keys] == [True, True, False]

    store = JobStore(bucket, SETTINGS)
    job = store.create("ivy", rec.camera, rec.start_ms, rec.end_ms)
    with oss_requests() as seen:
        done = run_job(bucket, SETTINGS, "ivy", job.id, signing_key=Ed25519PrivateKey.generate())
    assert done.state == "done", done.error
    (entry,) = json.loads(bucket.get_object(done.manifest_key).read())["manifest"]["files"]
    heads = {k: bucket.head_object(k) for k in rec.keys}
    assert [(c["key"], c["crc64"], c["etag"]) for c in entry["clips"]] == \
        [(k, h.headers["x-oss-hash-crc64ecma"], h.etag.strip('"')) for k, h in heads.items()]
    assert seen.of("HEAD", rec.keys) == []

    # the last resort: nothing read through OSS (no GET's answer) and an entry without a CRC-64
    sources, _ = plan(bucket, rec.camera, rec.start_ms, rec.end_ms)
    result = RemuxResult(chapters=[Chapter(0.0, 1.0, "", c.key, c.start, c.end) for c in sources])
    with oss_requests() as seen:
        facts = manifest.clip_facts(bucket, result, manifest.Sources(indexed={c.key: c for c in sources}, read={}))
        wait_for(lambda: len(seen.of("HEAD", rec.keys)) >= 2, what="the fallback HEADs in the access log")
    assert sorted(seen.of("HEAD", rec.keys)) == sorted(rec.keys[:2])   # only the clips the index lacks
    assert {k: (f.crc64, f.etag) for k, f in facts.items()} == \
        {k: (h.headers["x-oss-hash-crc64ecma"], h.etag.strip('"')) for k, h in heads.items()}
