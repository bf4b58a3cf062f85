"""Revoking a camera's outstanding STS tokens at once: a bucket-policy Deny on its role session.

STS tokens cannot be revoked, and a camera's token lives up to `token_ttl_max` (4 h by default). OSS checks
the bucket policy on every request, and a bucket-policy principal can name one assumed-role
session (`arn:sts::<account>:assumed-role/<role>/<session>`), so disabling, rotating or removing a
camera adds a Deny for the session name its tokens carry. The Deny holds a
`DateLessThan acs:CurrentTime` condition set past the last moment any token issued before the
revocation can be valid: it stops applying by itself, and is pruned from the document by the next
revocation (or `prune()`), which keeps the policy within OSS's 16 KB. Each revocation is recorded
create-only in a journal (`_system/revocations/<until>/<session>`) before the policy is rebuilt
from it, so concurrent revocations cannot lose one another's deny (`Revoker.sync`).

Session names carry an epoch (`session_name`): the registry bumps a device's `session_epoch` when
it revokes it, so a re-enabled or rotated camera gets tokens under a new name at once, while the
old name stays denied. A removed and re-added camera gets a new epoch at creation.

Capacity: denies that expire in the same 10 minutes share statements (one principal each, ~90
bytes; OSS caps a statement at 4095 bytes and the policy at 16 KB), so about 170 denies of
24-character ids fit; at the limit the earliest expiries are merged into later ones (a merged deny
lasts as long as its latest member — harmless, since a denied name is never issued again). When even that cannot
fit, `RevocationFull` is raised: the device record is already disabled (no new tokens), and the
caller learns that its outstanding token stays valid until it expires.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import oss2

from .logging import get_logger
from .nonces import put_new

log = get_logger("vigil.revocation")

MAX_POLICY_BYTES = 16 * 1024
MAX_STATEMENT_BYTES = 4095
"""OSS refuses a bucket policy with an item (a statement) over 4095 bytes (EC 0030-00000003)."""
CLOCK_GRACE_SECONDS = 120
"""Added to the token life: the token function's clock, STS's and OSS's may disagree a little."""
MAX_SESSION_NAME = 64
JOURNAL = "_system/revocations/"
"""One create-only object per revocation, `<until>/<session name>`: the record of what must stay
denied until when, from which the policy is (re)built."""
_ROLE_ARN_RE = re.compile(r"acs:ram::([0-9]+):role/([A-Za-z0-9.@\-_]+)")
_ALPHABET = "0123456789abcdefghijklmnopqrstuvwxyz"


class RevocationError(Exception):
    """The deny could not be recorded (storage refused, or concurrent writers kept racing)."""


class RevocationFull(RevocationError):
    """The bucket policy cannot hold one more deny, even with pending denies merged."""


def _base36(n: int) -> str:
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = _ALPHABET[r] + out
        if n == 0:
            return out


def session_name(device_id: str, epoch: int) -> str:
    """The RoleSessionName of a device's tokens in `epoch` (0: records older than epochs → the id)."""
    if epoch <= 0:
        return device_id
    suffix = "." + _base36(epoch)
    if len(device_id) + len(suffix) <= MAX_SESSION_NAME:
        return device_id + suffix
    digest = hashlib.sha256(device_id.encode()).hexdigest()[:8]  # long ids: a unique, shorter stem
    return device_id[: MAX_SESSION_NAME - len(suffix) - 9] + "_" + digest + suffix


def new_epoch(previous: int = 0, now: float | None = None) -> int:
    """A fresh epoch (unix ms), strictly greater than `previous`."""
    return max(int((time.time() if now is None else now) * 1000), previous + 1)


EXPIRY_STEP_SECONDS = 600
"""Deny expiries are rounded up to this: denies ending in the same 10 minutes share a statement (a
denied session name is never issued again, so a deny that outlives its tokens a little costs nothing)."""


def _iso_until(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(math.ceil(ts / EXPIRY_STEP_SECONDS) * EXPIRY_STEP_SECONDS))


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def _parse_iso(text: str) -> float:
    return float(calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")))


@dataclass(frozen=True)
class Revoked:
    """What a revocation recorded: the denied session, until when, and how full the policy is."""

    session: str
    until: str
    denies: int
    policy_bytes: int


class Revoker:
    """Adds and prunes session denies in the bucket policy through an `oss2.Bucket`."""

    def __init__(self, bucket: oss2.Bucket, upload_role_arn: str, max_token_life: int,
                 clock: Callable[[], float] = time.time, limit: int = MAX_POLICY_BYTES) -> None:
        m = _ROLE_ARN_RE.fullmatch(upload_role_arn)
        if m is None:
            raise ValueError(f"upload role ARN must be acs:ram::<account>:role/<name>, got {upload_role_arn!r}")
        self.bucket = bucket
        self.account_id, self.role_name = m.group(1), m.group(2).lower()
        self.max_token_life = max_token_life
        self.clock = clock
        self.limit = limit

    # -- the document ---------------------------------------------------------------------------

    def principal(self, session: str) -> str:
        return f"arn:sts::{self.account_id}:assumed-role/{self.role_name}/{session}"

    def _resource(self) -> str:
        return f"acs:oss:*:*:{self.bucket.bucket_name}/*"

    def _is_ours(self, stmt: Any) -> bool:
        prefix = self.principal("")
        return (isinstance(stmt, dict) and stmt.get("Effect") == "Deny" and stmt.get("Action") == ["oss:*"]
                and stmt.get("Resource") == [self._resource()]
                and isinstance(stmt.get("Principal"), list)
                and all(isinstance(p, str) and p.startswith(prefix) for p in stmt["Principal"])
                and isinstance(_until(stmt), str))

    def _statement(self, principals: list[str], until: str) -> dict[str, Any]:
        return {"Effect": "Deny", "Action": ["oss:*"], "Principal": principals, "Resource": [self._resource()],
                "Condition": {"DateLessThan": {"acs:CurrentTime": until}}}

    def load(self) -> dict[str, Any] | None:
        try:
            text = self.bucket.get_bucket_policy().policy
        except oss2.exceptions.NoSuchBucketPolicy:
            return None
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise RevocationError("the bucket policy is not JSON") from exc
        return doc if isinstance(doc, dict) else None

    def policy_bytes(self) -> int:
        """The size of the bucket policy document (0 without one)."""
        try:
            return len(self.bucket.get_bucket_policy().policy.encode())
        except oss2.exceptions.NoSuchBucketPolicy:
            return 0

    def denies(self) -> list[tuple[str, str]]:
        """(session principal, until) of every deny in the policy, expired ones included."""
        doc = self.load() or {}
        return [(p, str(_until(s))) for s in doc.get("Statement", []) if self._is_ours(s) for p in s["Principal"]]

    # -- changes ---------------------------------------------------------------------------------

    def revoke(self, device_id: str, epoch: int) -> Revoked:
        """Deny the device's sessions of `epoch` until no token issued now can be valid.

        The revocation is first recorded create-only in the journal (`_system/revocations/`), then
        the policy is brought up to the journal (`sync`); a concurrent revocation can therefore
        delay a deny by a retry, never lose it."""
        session = session_name(device_id, epoch)
        until = _iso_until(self.clock() + self.max_token_life + CLOCK_GRACE_SECONDS)
        key = f"{JOURNAL}{until}/{session}"
        try:
            put_new(self.bucket, key, json.dumps({"device_id": device_id, "session": session,
                                                  "revoked_at": _iso(self.clock()), "until": until}).encode(),
                    {"Content-Type": "application/json"})
        except oss2.exceptions.OssError as exc:
            raise RevocationError(f"OSS refused the revocation record: {exc.code}") from exc
        denies, size = self.sync()
        log.info("session revoked", extra={"device_id": device_id, "until": until, "denies": denies,
                                           "policy_bytes": size})
        return Revoked(session, until, denies, size)

    def sync(self) -> tuple[int, int]:
        """Make the policy deny exactly the journal's live sessions; returns (denies, policy bytes).

        Writers read-modify-write one document, and OSS has no conditional PutBucketPolicy, so every
        writer re-reads after its write and writes again until the policy holds every live journal
        entry: the last write is always followed by such a check."""
        for attempt in range(12):
            live, expired = self._journal()
            doc = self.load()
            statements = (doc or {}).get("Statement", [])
            have = {p for s in statements if self._is_ours(s) for p in s["Principal"]}
            stale = any(self._is_ours(s) and _parse_iso(str(_until(s))) <= self.clock() for s in statements)
            if have >= {self.principal(sess) for sess, _ in live} and not stale:
                self._forget(expired)
                return len(have), len(_dump(statements) or "")
            others = [s for s in statements if not self._is_ours(s)]
            by_until: dict[str, list[str]] = {}
            for sess, until in live:
                by_until.setdefault(until, []).append(self.principal(sess))
            self._write(self._fit(others, by_until))
            if attempt:
                time.sleep(min(0.5, 0.02 * 2 ** attempt))
        raise RevocationError("the bucket policy kept changing under us; retry the revocation")

    def prune(self) -> int:
        """Drop expired denies (deleting the policy when nothing is left); returns how many went."""
        before = len(self.denies())
        after, _ = self.sync()
        return max(0, before - after)

    def _journal(self) -> tuple[list[tuple[str, str]], list[str]]:
        """(session, until) of live journal entries, and the keys of expired ones."""
        now = self.clock()
        live, expired = [], []
        for info in oss2.ObjectIteratorV2(self.bucket, prefix=JOURNAL):
            until, _, sess = info.key[len(JOURNAL):].partition("/")
            try:
                ends = _parse_iso(until)
            except ValueError:
                continue
            if ends <= now:
                expired.append(info.key)
            elif sess:
                live.append((sess, until))
        return live, expired

    def _forget(self, keys: list[str]) -> None:
        for key in keys:
            try:
                self.bucket.delete_object(key)
            except oss2.exceptions.OssError:
                log.warning("could not delete an expired revocation record", extra={"key": key})

    def _render(self, groups: dict[str, list[str]]) -> list[dict[str, Any]]:
        """One statement per expiry, split so that none exceeds OSS's 4095 bytes per statement."""
        out = []
        for until, principals in sorted(groups.items()):
            chunk: list[str] = []
            for principal in sorted(set(principals)):
                if chunk and _size(self._statement([*chunk, principal], until)) > MAX_STATEMENT_BYTES:
                    out.append(self._statement(chunk, until))
                    chunk = []
                chunk.append(principal)
            if chunk:
                out.append(self._statement(chunk, until))
        return out

    def _fit(self, others: list[dict[str, Any]], groups: dict[str, list[str]]) -> str | None:
        """The document text within the limit (None: no statement left). At the limit the two
        earliest expiries are merged into the later one, which packs their statements tighter."""
        groups = {until: list(ps) for until, ps in groups.items()}
        while True:
            text = _dump(others + self._render(groups))
            if text is None or len(text.encode()) <= self.limit:
                return text
            if len(groups) < 2:
                raise RevocationFull(f"the bucket policy would be {len(text)} bytes (limit {self.limit}); "
                                     "outstanding tokens of this device stay valid until they expire")
            first, second = sorted(groups)[:2]
            groups[second] = groups.pop(first) + groups[second]

    def _write(self, text: str | None) -> None:
        try:
            if text is None:
                self.bucket.delete_bucket_policy()
            else:
                self.bucket.put_bucket_policy(text)
        except oss2.exceptions.OssError as exc:
            raise RevocationError(f"OSS refused the bucket policy: {exc.code}") from exc


def _until(stmt: dict[str, Any]) -> Any:
    cond = stmt.get("Condition")
    if not isinstance(cond, dict) or not isinstance(cond.get("DateLessThan"), dict):
        return None
    return cond["DateLessThan"].get("acs:CurrentTime")


def _size(stmt: dict[str, Any]) -> int:
    return len(json.dumps(stmt, separators=(",", ":")).encode())


def _dump(statements: list[dict[str, Any]]) -> str | None:
    if not statements:
        return None
    return json.dumps({"Version": "1", "Statement": statements}, separators=(",", ":"))
