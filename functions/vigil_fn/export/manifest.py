"""The evidence manifest of one export: the MP4 as OSS holds it, and every clip that went into it.

Why the MP4 is read back rather than hashed while it is written: the sink uploads parts 2..N as they
fill and part 1 (ftyp + moov) last, so the file's byte order is only known at the end, and a hash must
run in file order. One sequential GET of the finished object costs ~1 s per GB on the intranet and
proves what OSS holds, not what the function meant to write. Clip facts (CRC-64, ETag) cost no request: the
indexer recorded each clip's CRC-64 from its probe's GET (OSS sends the whole object's CRC-64 on a ranged GET
too), and the remux's own GET tells which version it read. Only a clip whose index entry predates that and
whose GET carried no CRC costs a HEAD (before: one HEAD per clip, 720 for a 2 h export of 10 s clips).
"""

from __future__ import annotations

import hashlib
import json
import queue
import threading
from dataclasses import dataclass
from typing import Any

import oss2
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..core.bodies import iter_body
from ..core.evidence import HASH_CHUNK, sign
from .jobs import ExportJob
from .remux import RemuxResult, SourceClip, iso


@dataclass(frozen=True)
class ObjectFacts:
    """What OSS says of an object: its ETag and whole-object CRC-64 (ECMA, as a decimal string)."""

    etag: str
    crc64: str | None


@dataclass(frozen=True)
class FileFacts:
    size: int
    sha256: str
    crc64: str | None
    etag: str


@dataclass(frozen=True)
class Sources:
    """What is known of one cut's clips without asking OSS again."""

    indexed: dict[str, SourceClip]   # key -> the clip as the index holds it (ETag, CRC-64 when recorded)
    read: dict[str, Any]             # key -> the remux's reader (`OssSource`): the ETag and CRC-64 its GET answered


def _same(a: str, b: str) -> bool:
    return a.strip('"').upper() == b.strip('"').upper()


def clip_facts(bucket: oss2.Bucket, result: RemuxResult, sources: Sources) -> dict[str, ObjectFacts]:
    """ETag and CRC-64 of every clip in the file, in this order of preference, none costing a request:
    the index's (when the remux read that very version: its GET's ETag is the index's), then what the
    remux's own GET answered; a HEAD only for a clip neither knows (an entry written before the index
    kept CRC-64s, read by a GET that carried none)."""
    out: dict[str, ObjectFacts] = {}
    for chapter in result.chapters:
        if not chapter.key or chapter.key in out:
            continue
        clip, got = sources.indexed.get(chapter.key), sources.read.get(chapter.key)
        seen = got.etag if got is not None else None    # the version the remux read (None: not through OSS)
        if clip is not None and clip.etag and clip.crc64 and (seen is None or _same(seen, clip.etag)):
            out[chapter.key] = ObjectFacts(etag=clip.etag, crc64=clip.crc64)
        elif got is not None and got.etag and got.crc64:
            out[chapter.key] = ObjectFacts(etag=got.etag, crc64=got.crc64)
        else:
            head = bucket.head_object(chapter.key)
            out[chapter.key] = ObjectFacts(etag=(head.etag or "").strip('"'),
                                           crc64=head.headers.get("x-oss-hash-crc64ecma"))
    return out


READ_AHEAD = 3    # blocks of HASH_CHUNK read ahead of the hash: memory stays under (READ_AHEAD + 2) * 4 MiB


def read_back(bucket: oss2.Bucket, key: str) -> FileFacts:
    """SHA-256 of the object as stored, in one streaming GET (bounded memory). The body is read on a
    thread while this one hashes (hashlib and the socket read both release the GIL): hashing each block
    then reading the next one in turn left the network idle while it hashed and the CPU while it read
    (the evidence bench: 1.7x `openssl dgst` of the local file; the read is the larger half)."""
    result = bucket.get_object(key)
    blocks: queue.Queue[bytes | BaseException | None] = queue.Queue(READ_AHEAD)

    def read() -> None:
        try:
            for block in iter_body(result, HASH_CHUNK):   # from urllib3, not oss2's 8 KiB pieces
                blocks.put(block)
            blocks.put(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the hashing thread, which raises it
            blocks.put(exc)

    reader = threading.Thread(target=read, name=f"read-back {key}", daemon=True)
    reader.start()
    h, n = hashlib.sha256(), 0
    try:
        while (block := blocks.get()) is not None:
            if isinstance(block, BaseException):
                raise block
            h.update(block)
            n += len(block)
    except BaseException:
        result.resp.response.close()    # stop the reader, which may be waiting on a full queue
        while reader.is_alive():
            try:
                blocks.get_nowait()
            except queue.Empty:
                reader.join(0.1)
        raise
    reader.join()
    return FileFacts(size=n, sha256=h.hexdigest(), crc64=result.headers.get("x-oss-hash-crc64ecma"),
                     etag=(result.etag or "").strip('"'))


@dataclass(frozen=True)
class Cut:
    """One camera's finished MP4 in an export: what the manifest lists for it."""

    camera: str
    key: str
    filename: str
    result: RemuxResult
    mp4: FileFacts
    clips: dict[str, ObjectFacts]


def file_entry(cut: Cut) -> dict[str, Any]:
    """One entry of `files`: the MP4 as stored, what it covers, its gaps and every source clip."""
    result = cut.result
    sources = []
    for chapter in result.chapters:
        if not chapter.key:
            continue
        facts = cut.clips.get(chapter.key)
        sources.append({"key": chapter.key, "start": iso(chapter.wall_start), "end": iso(chapter.wall_end),
                        "crc64": facts.crc64 if facts else None, "etag": facts.etag if facts else None})
    return {
        "name": cut.filename, "key": cut.key, "camera": cut.camera, "size": cut.mp4.size,
        "sha256": cut.mp4.sha256, "crc64": cut.mp4.crc64,
        "covered": {"start": iso(result.covered_start) if result.covered_start is not None else None,
                    "end": iso(result.covered_end) if result.covered_end is not None else None},
        "gaps": [{"start": iso(g.start), "end": iso(g.end), "reason": g.reason} for g in result.gaps],
        "clips": sources,
    }


def build(job: ExportJob, cuts: list[Cut], *, exported_at: int) -> dict[str, Any]:
    """The unsigned manifest of a finished export: one entry in `files` per camera (a multi-camera
    export's `requested` names `cameras`, a single one's `camera`)."""
    requested: dict[str, Any] = {"start": iso(job.start), "end": iso(job.end)}
    if job.multi:
        requested["cameras"] = list(job.cameras)
    else:
        requested["camera"] = job.camera
    return {
        "export_id": job.id, "exported_by": job.user, "exported_at": iso(exported_at),
        "requested": requested, "files": [file_entry(c) for c in cuts],
    }


def signed(manifest: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    return sign(manifest, key)


def dumps(doc: dict[str, Any]) -> bytes:
    """The stored file: indented for people (the signature covers `canonical()`, not this layout)."""
    return json.dumps(doc, indent=2, ensure_ascii=False).encode()
