"""`vigil verify` and `vigil evidence keygen`: check an export offline; make a deployment's signing key.

`vigil verify` needs no account and no network: the MP4(s), the manifest and the published public key
(`GET /api/v1/evidence/public-key`, or `<data>/secrets/evidence-public.pem` on localcloud). It exits 0
only when the signature holds and every file matches the manifest by SHA-256 and size.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from tqdm import tqdm
from vigil_fn.core.evidence import EvidenceError, key_id, load_public_pem, parse_document, public_hex, public_pem
from vigil_fn.core.evidence import verify as verify_document

from .i18n import _, describe, describe_text, ngettext

EXIT_MISMATCH = 1   # read everything, and something does not hold
EXIT_USAGE = 2      # a file cannot be read, or is not a manifest / key at all


def register(sub: Any) -> None:
    v = sub.add_parser("verify", help=_("check an exported MP4 against its signed manifest, offline"),
                       description=_("Verifies the manifest's Ed25519 signature with the published public key, "
                                   "then each FILE's SHA-256 and size against the manifest. Exit 0 only when "
                                   "everything holds; 1 when something does not (the message says which); "
                                   "2 when an input cannot be read."))
    v.add_argument("files", nargs="+", metavar="FILE.mp4", help=_("the exported file(s)"))
    v.add_argument("--manifest", required=True, metavar="M", help=_("the signed manifest (.manifest.json)"))
    v.add_argument("--public-key", required=True, metavar="K", help=_("the published public key (PEM)"))
    v.add_argument("--json", action="store_true", help=_("print the verdict as one JSON object"))
    v.set_defaults(func=run_verify)
    ev = sub.add_parser("evidence", help=_("the key that signs export manifests"),
                        description=_("Evidence signing keys (docs/evidence.md)."))
    ev_sub = ev.add_subparsers(dest="evidence_command", metavar="COMMAND")
    ev_sub.required = True
    kg = ev_sub.add_parser("keygen", help=_("make a new Ed25519 key pair for a deployment"),
                           description=_("Writes DIR/evidence.key (the private seed, hex, mode 0600: give it to "
                                       "the export function as VIGIL_EVIDENCE_KEY) and DIR/evidence-public.pem; "
                                       "prints the public key's hex for the api's VIGIL_EVIDENCE_PUBLIC_KEY."))
    kg.add_argument("--out", required=True, metavar="DIR", help=_("folder for the two files (created)"))
    kg.set_defaults(func=run_keygen)


def _fail(message: str, code: int = EXIT_USAGE) -> int:
    print(_("vigil verify: %(message)s") % {"message": message}, file=sys.stderr)
    return code


class _Progress:
    """A file read through a progress bar (a 1 GB export takes a few seconds to hash)."""

    def __init__(self, f: BinaryIO, bar: Any) -> None:
        self.f, self.bar = f, bar

    def read(self, n: int = -1) -> bytes:
        data = self.f.read(n)
        self.bar.update(len(data))
        return data

    def readinto(self, buf: Any) -> int:
        got = self.f.readinto(buf)  # type: ignore[attr-defined]
        self.bar.update(got or 0)
        return int(got or 0)


def run_verify(args: argparse.Namespace) -> int:
    try:
        raw = Path(args.manifest).read_bytes()
        key_text = Path(args.public_key).read_bytes()
    except OSError as exc:
        return _fail(_("cannot read %(path)s: %(error)s") % {"path": exc.filename, "error": exc.strerror})
    try:
        doc = parse_document(raw)
        key = load_public_pem(key_text)
    except EvidenceError as exc:
        return _fail(describe(exc))
    handles = []
    try:
        for name in args.files:
            try:
                handles.append((name, open(name, "rb")))  # noqa: SIM115 - closed below
            except OSError as exc:
                return _fail(_("cannot read %(path)s: %(error)s") % {"path": name, "error": exc.strerror})
        total = sum(os.fstat(f.fileno()).st_size for _name, f in handles)
        with tqdm(total=total, unit="B", unit_scale=True, desc=_("hashing"), disable=args.json or None,
                  file=sys.stderr) as bar:
            verdict = verify_document(doc, key, [(n, _Progress(f, bar)) for n, f in handles])  # type: ignore[misc]
    finally:
        for _name, f in handles:
            f.close()
    if args.json:
        print(json.dumps({"ok": verdict.ok, "key_id": verdict.key_id, "files": verdict.files,
                          "problems": verdict.problems}))
    elif verdict.ok:
        m = doc["manifest"]
        print(_("OK: signed by key %(key)s; exported by %(user)s at %(time)s")
              % {"key": verdict.key_id, "user": m.get("exported_by"), "time": m.get("exported_at")})
        for checked in verdict.files:
            print(ngettext("  %(name)s: %(size)s byte, sha256 %(sha256)s matches the manifest",
                           "  %(name)s: %(size)s bytes, sha256 %(sha256)s matches the manifest", int(checked["size"]))
                  % {"name": checked["name"], "size": checked["size"], "sha256": checked["sha256"]})
    else:
        for text in verdict.texts:
            print(_("FAILED: %(problem)s") % {"problem": describe_text(text)}, file=sys.stderr)
    return 0 if verdict.ok else EXIT_MISMATCH


def run_keygen(args: argparse.Namespace) -> int:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    seed_path, pem_path = out / "evidence.key", out / "evidence-public.pem"
    if seed_path.exists():
        print(_("vigil evidence keygen: %(path)s exists; move it away first (a new key cannot verify "
                "exports signed with the old one)") % {"path": seed_path}, file=sys.stderr)
        return EXIT_USAGE
    key = Ed25519PrivateKey.generate()
    from cryptography.hazmat.primitives import serialization

    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption()).hex()
    fd = os.open(seed_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(seed + "\n")
    pem_path.write_text(public_pem(key))
    print(json.dumps({"key_id": key_id(key), "private_key_file": str(seed_path), "public_key_pem": str(pem_path),
                      "VIGIL_EVIDENCE_PUBLIC_KEY": public_hex(key)}))
    return 0
