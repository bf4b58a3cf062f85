"""Evidence manifests: what an export holds, signed with Ed25519 so anyone can check it offline.

Why Ed25519 over a canonical JSON: a verifier needs nothing but the published public key (PEM) and
the two files — no account, no network, no Vigil (docs/evidence.md shows the same check done with
`openssl` and `sha256sum`). The signature covers the canonical bytes of the `manifest` object
(sorted keys, no spaces, UTF-8), which `canonical()` makes and the verifier makes again.

Who holds what: only the export function has the private half (`VIGIL_EVIDENCE_KEY`, a secret of the
deployment; `<data>/secrets/evidence.key` on localcloud); the api publishes the public half
(`VIGIL_EVIDENCE_PUBLIC_KEY`) at `GET /api/v1/evidence/public-key`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from .i18n import N_, Text

FORMAT = "vigil-evidence/1"
ALGORITHM = "Ed25519"
MAX_MANIFEST_BYTES = 1 << 20     # a 2 h export lists ~720 clips (~150 KB); anything past 1 MiB is not ours
HASH_CHUNK = 4 << 20


class EvidenceError(ValueError):
    """A manifest, key or file that does not verify; `code` says which check failed, for machines."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, **fields: Any) -> None:
        # `message` is a template with named `fields` (core/i18n.py): `vigil verify` writes it in the
        # locale's language; `message` stays English (JSON verdicts, logs)
        self.text = Text(message, fields)
        self.message = str(self.text)
        super().__init__(self.message)
        if code:
            self.code = code


# -- keys ------------------------------------------------------------------------------------------

def private_key_from_hex(seed_hex: str) -> Ed25519PrivateKey:
    """The deployment's signing key from its 32-byte seed in hex (how the secret is stored)."""
    try:
        seed = bytes.fromhex(seed_hex.strip())
    except ValueError:
        raise EvidenceError("the evidence signing key is not hex", code="bad_key") from None
    if len(seed) != 32:
        raise EvidenceError("the evidence signing key must be 32 bytes (64 hex digits)", code="bad_key")
    return Ed25519PrivateKey.from_private_bytes(seed)


def public_key_from_hex(raw_hex: str) -> Ed25519PublicKey:
    """The published key from its raw 32 bytes in hex (how the api is configured)."""
    try:
        raw = bytes.fromhex(raw_hex.strip())
        return Ed25519PublicKey.from_public_bytes(raw)
    except ValueError:
        raise EvidenceError("the evidence public key must be 32 bytes in hex", code="bad_key") from None


def public_hex(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def load_public_pem(text: str | bytes) -> Ed25519PublicKey:
    data = text.encode() if isinstance(text, str) else text
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise EvidenceError("the public key file is not a PEM public key", code="bad_key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise EvidenceError("the public key is not an Ed25519 key", code="bad_key")
    return key


def key_id(key: Ed25519PublicKey | Ed25519PrivateKey) -> str:
    """A short name for a key: the first 16 hex digits of SHA-256 over its raw 32 bytes."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


# -- manifests --------------------------------------------------------------------------------------

def canonical(manifest: dict[str, Any]) -> bytes:
    """The bytes the signature covers (sorted keys, no whitespace, UTF-8)."""
    return json.dumps(manifest, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(manifest: dict[str, Any], key: Ed25519PrivateKey) -> dict[str, Any]:
    """The signed document: `{"manifest": ..., "signature": {"algorithm", "key_id", "value"}}`."""
    body = dict(manifest, format=FORMAT, key_id=key_id(key))
    value = base64.b64encode(key.sign(canonical(body))).decode()
    return {"manifest": body, "signature": {"algorithm": ALGORITHM, "key_id": body["key_id"], "value": value}}


def parse_document(raw: bytes | str) -> dict[str, Any]:
    """A signed manifest as read from a file or an upload, checked for shape (not yet for signature)."""
    data = raw.encode() if isinstance(raw, str) else raw
    if len(data) > MAX_MANIFEST_BYTES:
        raise EvidenceError("the manifest is {size} bytes; a Vigil manifest is under {limit} bytes",
                            code="manifest_too_large", size=len(data), limit=MAX_MANIFEST_BYTES)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise EvidenceError("the manifest is not JSON", code="manifest_not_json") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("manifest"), dict) \
            or not isinstance(doc.get("signature"), dict):
        raise EvidenceError('the manifest must be a JSON object with "manifest" and "signature"',
                            code="manifest_shape")
    m = doc["manifest"]
    if m.get("format") != FORMAT:
        raise EvidenceError("unknown manifest format {format!r} (expected {expected})", code="manifest_shape",
                            format=str(m.get("format"))[:40], expected=FORMAT)
    files = m.get("files")
    if not isinstance(files, list) or not files or not all(
            isinstance(f, dict) and isinstance(f.get("sha256"), str) and isinstance(f.get("size"), int)
            for f in files):
        raise EvidenceError("the manifest lists no files with sha256 and size", code="manifest_shape")
    return doc


def check_signature(doc: dict[str, Any], key: Ed25519PublicKey) -> None:
    sig = doc["signature"]
    if sig.get("algorithm") != ALGORITHM:
        raise EvidenceError("unsupported signature algorithm {algorithm!r}", code="bad_signature",
                            algorithm=str(sig.get("algorithm"))[:20])
    try:
        value = base64.b64decode(str(sig.get("value", "")), validate=True)
    except (binascii.Error, ValueError):
        raise EvidenceError("the signature is not base64", code="bad_signature") from None
    try:
        key.verify(value, canonical(doc["manifest"]))
    except InvalidSignature:
        expected, signer = key_id(key), str(doc["manifest"].get("key_id", ""))[:32]
        if signer and signer != expected:
            raise EvidenceError("the manifest was signed by another key ({signer}), not this public key "
                                "({expected})", code="wrong_key", signer=signer, expected=expected) from None
        raise EvidenceError("the signature does not match the manifest: the manifest was changed after "
                            "signing", code="bad_signature") from None


def sha256_of(stream: BinaryIO) -> tuple[str, int]:
    """SHA-256 and length of a stream, read in 4 MiB blocks (bounded memory, OpenSSL's speed; hashlib
    releases the GIL while it hashes). A stream with `readinto` fills one reused buffer: a fresh 4 MiB
    bytes per read costs its page faults again, 256 times per GiB."""
    h, n = hashlib.sha256(), 0
    readinto = getattr(stream, "readinto", None)
    if readinto is not None:
        buf = bytearray(HASH_CHUNK)
        view = memoryview(buf)
        while True:
            got = readinto(view)
            if not got:
                return h.hexdigest(), n
            h.update(view[:got])
            n += got
    while True:
        block = stream.read(HASH_CHUNK)
        if not block:
            return h.hexdigest(), n
        h.update(block)
        n += len(block)


@dataclass
class Verdict:
    """What a verification found: every named file matched and the signature holds, or why not."""

    ok: bool
    key_id: str
    files: list[dict[str, Any]] = field(default_factory=list)   # {name, sha256, size, matched: entry name}
    problems: list[str] = field(default_factory=list)           # English (JSON answers, logs)
    texts: list[Text] = field(default_factory=list)             # the same, for a reader's language


def _problem(verdict: Verdict, text: Text) -> None:
    verdict.problems.append(str(text))
    verdict.texts.append(text)


def match_files(doc: dict[str, Any], hashed: Iterable[tuple[str, str, int]]) -> list[Text]:
    """Problems with files given as (name, sha256, size) against the manifest's entries (by content:
    a renamed file still verifies, a changed or swapped one does not)."""
    entries = doc["manifest"]["files"]
    problems: list[Text] = []
    for name, digest, size in hashed:
        hit = next((e for e in entries if e["sha256"] == digest and e["size"] == size), None)
        if hit is not None:
            continue
        if len(entries) == 1:
            e = entries[0]
            what = (Text(N_("{size} bytes where the manifest says {expected}"), {"size": size, "expected": e["size"]})
                    if size != e["size"] else Text(N_("same size, different content")))
            problems.append(Text(N_("{name}: its SHA-256 differs from the manifest's ({what}): the file was changed "
                                    "or is another file"), {"name": name, "what": what}))
        else:
            problems.append(Text(N_("{name}: matches none of the {count} files in the manifest: changed or swapped"),
                                 {"name": name, "count": len(entries)}))
    return problems


def check_stored(doc: dict[str, Any], stored: Iterable[tuple[str, int, str | None]]) -> None:
    """Files as storage holds them, given as (name, size, CRC-64 from OSS), against the manifest's
    entries in order (what a share link's page shows without reading the files back)."""
    entries = doc["manifest"]["files"]
    stored = list(stored)
    if len(stored) != len(entries):
        raise EvidenceError("the export has {stored} files; the manifest lists {listed}", code="file_count",
                            stored=len(stored), listed=len(entries))
    for (name, size, crc64), entry in zip(stored, entries, strict=True):
        if size != entry["size"]:
            raise EvidenceError("{name}: the stored file is {size} bytes; the manifest says {expected}",
                                code="size_mismatch", name=name, size=size, expected=entry["size"])
        if crc64 != entry.get("crc64"):
            raise EvidenceError("{name}: the stored file's CRC-64 differs from the manifest's: the file was changed",
                                code="crc_mismatch", name=name)


def verify(doc: dict[str, Any], key: Ed25519PublicKey, files: Iterable[tuple[str, BinaryIO]]) -> Verdict:
    """Signature first (a forged manifest makes file hashes meaningless), then each file by content."""
    verdict = Verdict(ok=False, key_id=key_id(key))
    try:
        check_signature(doc, key)
    except EvidenceError as exc:
        _problem(verdict, exc.text)
        return verdict
    hashed = []
    for name, stream in files:
        digest, size = sha256_of(stream)
        hashed.append((name, digest, size))
        verdict.files.append({"name": name, "sha256": digest, "size": size})
    if not hashed:
        _problem(verdict, Text(N_("no file given to check against the manifest")))
    for text in match_files(doc, hashed):
        _problem(verdict, text)
    verdict.ok = not verdict.problems
    return verdict
