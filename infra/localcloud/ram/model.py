"""The RAM model: users and their access keys, roles with trust and policies, STS sessions.

Free of HTTP: the OSS server asks `resolve` who signed a request, the STS server and the FC runtime
ask `issue_session` for temporary credentials. Sessions are not stored: their security token
carries everything (see `tokens.py`), and the role's policies are looked up when a token is
resolved, so a role policy change applies to outstanding tokens, as in real RAM.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..common.clock import Clock
from . import policy as policy_mod
from .loader import MIN_SESSION, RamDocs, RoleDoc, load_docs
from .principal import Principal  # re-exported: the OSS, STS and FC servers import it from here
from .tokens import TokenCodec, TokenError, TokenPayload, load_or_create_key, new_sts_access_key_id

MAX_SESSION_POLICY_CHARS = 2048
SESSION_NAME_RE = re.compile(r"^[a-zA-Z0-9.@\-_]{2,64}$")
OPERATOR = "operator"
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


class AuthError(Exception):
    """Request authentication failed; `code` is the OSS error code (status 403)."""

    def __init__(self, code: str, message: str, status: int = 403) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class StsError(Exception):
    """An STS refusal with the real STS code, message and HTTP status."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str
    security_token: str
    expiration: float
    assumed_role_arn: str
    assumed_role_id: str


@dataclass(frozen=True)
class Role:
    name: str
    arn: str
    role_id: str
    description: str
    max_session_duration: int
    trust: dict[str, Any]
    policies: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class User:
    name: str
    arn: str
    user_id: str
    policies: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class _Session:
    """A verified token, cached so that `resolve` costs one dict lookup per request."""

    payload: TokenPayload
    secret: str
    session_policy: dict[str, Any] | None


def _numeric_id(*parts: str, digits: int) -> str:
    """A stable numeric id (RAM ids are digits) derived from names, so restarts keep it."""
    n = int(hashlib.sha256(":".join(parts).encode()).hexdigest(), 16)
    return str(10 ** (digits - 1) + n % (9 * 10 ** (digits - 1)))


def _write_private(path: Path, text: str) -> None:
    """Atomic write with mode 0600 (secrets)."""
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _load_access_keys(path: Path, users: list[str]) -> dict[str, tuple[str, str]]:
    """{user: (id, secret)} from `access-keys.json`, generating keys for users that have none."""
    keys: dict[str, tuple[str, str]] = {}
    if path.exists():
        doc = json.loads(path.read_text(encoding="utf-8"))
        for entry in doc.get("AccessKeys", []):
            keys[entry["UserName"]] = (entry["AccessKeyId"], entry["AccessKeySecret"])
    missing = [u for u in users if u not in keys]
    if missing:
        for user in missing:
            key_id = "LTAI5t" + "".join(secrets.choice(_ALNUM) for _ in range(18))
            keys[user] = (key_id, "".join(secrets.choice(_ALNUM) for _ in range(30)))
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"AccessKeys": [{"UserName": u, "AccessKeyId": k, "AccessKeySecret": s}
                              for u, (k, s) in sorted(keys.items())]}
        _write_private(path, json.dumps(doc, indent=2) + "\n")
    return keys


class RamModel:
    """Users, access keys, roles and sessions of one localcloud account."""

    _SESSION_CACHE_MAX = 20000

    def __init__(self, ram_dir: Path, state_dir: Path, account_id: str, bucket: str, clock: Clock,
                 codec: TokenCodec) -> None:
        self.ram_dir = ram_dir
        self.state_dir = state_dir
        self.account_id = account_id
        self.bucket = bucket
        self.clock = clock
        self._codec = codec
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._roles: dict[str, Role] = {}
        self._users: dict[str, User] = {}
        self._keys: dict[str, tuple[str, str]] = {}  # access key id -> (user name, secret)
        self._user_keys: dict[str, tuple[str, str]] = {}
        self.reload()

    @classmethod
    def load(cls, ram_dir: Path, state_dir: Path, account_id: str, bucket: str, clock: Clock) -> RamModel:
        """Read `ram_dir` (infra/ram), keys and the token key from `state_dir` (created if new)."""
        state_dir = Path(state_dir)
        state_dir.mkdir(parents=True, exist_ok=True)
        codec = TokenCodec(load_or_create_key(state_dir / "sts.key"))
        return cls(Path(ram_dir), state_dir, account_id, bucket, clock, codec)

    # -- loading -------------------------------------------------------------------------------

    def reload(self) -> None:
        """Re-read the documents (role policy edits then apply to outstanding sessions)."""
        docs: RamDocs = load_docs(self.ram_dir, self.account_id, self.bucket)
        roles = {key: self._make_role(doc, docs) for key, doc in docs.roles.items()}
        users = {
            name: User(name, f"acs:ram::{self.account_id}:user/{name}",
                       _numeric_id(self.account_id, "user", name, digits=16),
                       tuple(docs.policies[p] for p in doc.policy_names))
            for name, doc in docs.users.items()
        }
        user_keys = _load_access_keys(self.state_dir / "access-keys.json", sorted(users))
        with self._lock:
            self._roles = roles
            self._users = users
            self._user_keys = {u: k for u, k in user_keys.items() if u in users}
            self._keys = {kid: (u, secret) for u, (kid, secret) in self._user_keys.items()}

    def _make_role(self, doc: RoleDoc, docs: RamDocs) -> Role:
        return Role(
            name=doc.name,
            arn=f"acs:ram::{self.account_id}:role/{doc.name.lower()}",
            role_id=_numeric_id(self.account_id, "role", doc.name.lower(), digits=19),
            description=doc.description,
            max_session_duration=doc.max_session_duration,
            trust=doc.trust,
            policies=tuple(docs.policies[p] for p in doc.policy_names),
        )

    # -- lookups -------------------------------------------------------------------------------

    def operator_key(self) -> tuple[str, str]:
        """(access_key_id, secret) of the local operator user."""
        return self.user_key(OPERATOR)

    def user_key(self, user_name: str) -> tuple[str, str]:
        try:
            return self._user_keys[user_name]
        except KeyError:
            raise KeyError(f"no RAM user {user_name!r} in {self.ram_dir / 'users'}") from None

    def role_arn(self, role_name: str) -> str:
        return f"acs:ram::{self.account_id}:role/{role_name.lower()}"

    def role(self, name_or_arn: str) -> Role | None:
        """The role named by its name or ARN (`acs:ram::<account>:role/<name>`, case-insensitive)."""
        text = name_or_arn.strip()
        if text.lower().startswith("acs:ram:"):
            match = re.fullmatch(r"acs:ram::(\d+):role/([^/]+)", text, re.IGNORECASE)
            if not match or match.group(1) != self.account_id:
                return None
            text = match.group(2)
        return self._roles.get(text.lower())

    def roles(self) -> list[Role]:
        return sorted(self._roles.values(), key=lambda r: r.name)

    def user(self, name: str) -> User | None:
        return self._users.get(name)

    # -- authentication ------------------------------------------------------------------------

    def resolve(self, access_key_id: str, security_token: str | None) -> Principal:
        """Who signs with `access_key_id` (+ token): a RAM user or an STS session.

        Raises AuthError with the OSS codes InvalidAccessKeyId / InvalidSecurityToken /
        SecurityTokenExpired.
        """
        if access_key_id.startswith("STS."):
            if not security_token:
                raise AuthError("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist "
                                                      "in our records.")
            return self._resolve_session(access_key_id, security_token)
        entry = self._keys.get(access_key_id)
        if entry is None:
            raise AuthError("InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in "
                                                  "our records.")
        user = self._users[entry[0]]
        return Principal(access_key_id=access_key_id, secret=entry[1], arn=user.arn,
                         principal_id=user.user_id, kind="user", policies=user.policies,
                         session_policy=None, expiration=None)

    def _session(self, security_token: str) -> _Session:
        cached = self._sessions.get(security_token)
        if cached is not None:
            return cached
        try:
            payload = self._codec.decode(security_token)
            session_policy = json.loads(payload.session_policy) if payload.session_policy else None
        except (TokenError, ValueError) as exc:
            raise AuthError("InvalidSecurityToken", "The security token you provided is invalid.") from exc
        session = _Session(payload, self._codec.derive_secret(payload.access_key_id), session_policy)
        if len(self._sessions) >= self._SESSION_CACHE_MAX:
            self._sessions.clear()
        self._sessions[security_token] = session
        return session

    def resolve_token_key_id(self, security_token: str) -> str:
        """The access key id a valid token was issued for (STS tells a key mismatch apart)."""
        return self._session(security_token).payload.access_key_id

    def _resolve_session(self, access_key_id: str, security_token: str) -> Principal:
        session = self._session(security_token)
        payload = session.payload
        if payload.access_key_id != access_key_id:
            raise AuthError("InvalidSecurityToken", "The security token you provided is invalid.")
        if self.clock.now() >= payload.expiration:
            raise AuthError("SecurityTokenExpired", "The security token you provided has expired.")
        role = self.role(payload.role_arn)
        if role is None:
            raise AuthError("InvalidSecurityToken", "The security token you provided is invalid.")
        return Principal(
            access_key_id=access_key_id, secret=session.secret,
            arn=f"acs:ram::{self.account_id}:assumed-role/{role.name}/{payload.session_name}",
            principal_id=f"{payload.role_id}:{payload.session_name}", kind="assumed-role",
            policies=role.policies, session_policy=session.session_policy,
            expiration=payload.expiration, role_arn=role.arn, security_token=security_token,
        )

    # -- STS -----------------------------------------------------------------------------------

    def issue_session(self, role_arn: str, session_name: str, duration_s: int,
                      session_policy: dict[str, Any] | None, caller: Principal | None,
                      service: str | None, context: dict[str, Any] | None = None) -> Credentials:
        """AssumeRole: validate, check the caller's permission and the role's trust, mint a token.

        Raises StsError with the real STS codes. `context` feeds conditions in the caller's
        policies (acs:SourceIp ...); acs:CurrentTime is filled from the clock.
        """
        if not isinstance(session_name, str) or not SESSION_NAME_RE.match(session_name):
            raise StsError("InvalidParameter.RoleSessionName", "The parameter RoleSessionName is wrongly "
                           "formed: it must be 2 to 64 characters of letters, digits and . @ - _")
        policy_json: str | None = None
        if session_policy is not None:
            try:
                policy_mod.validate_policy(session_policy)
            except policy_mod.PolicyGrammarError as exc:
                raise StsError("InvalidParameter.PolicyGrammar",
                               f"The parameter Policy has not passed grammar check: {exc}") from exc
            policy_json = json.dumps(session_policy, separators=(",", ":"), ensure_ascii=False)
            if len(policy_json) > MAX_SESSION_POLICY_CHARS:
                raise StsError("InvalidParameter.PolicyGrammar",
                               f"The parameter Policy is too long: {len(policy_json)} characters, "
                               f"at most {MAX_SESSION_POLICY_CHARS}.")
        role = self.role(role_arn)
        if role is None:
            raise StsError("EntityNotExist.Role", f"The role not exists: {role_arn}.", 404)
        if not isinstance(duration_s, int) or not MIN_SESSION <= duration_s <= role.max_session_duration:
            raise StsError("InvalidParameter.DurationSeconds",
                           f"The Min/Max value of DurationSeconds is {MIN_SESSION}/"
                           f"{role.max_session_duration} seconds, got {duration_s}.")
        now = self.clock.now()
        if caller is None and service is None:
            raise StsError("NoPermission", "You are not authorized to do this action. You should be "
                                           "authorized by RAM.", 403)
        if caller is not None:
            ctx = {"acs:CurrentTime": _iso(now)}
            ctx.update(context or {})
            if policy_mod.evaluate(caller, "sts:AssumeRole", role.arn, ctx) != policy_mod.ALLOW:
                raise StsError("NoPermission", "You are not authorized to do this action. You should be "
                                               "authorized by RAM.", 403)
        if not self._trusts(role, caller, service):
            raise StsError("NoPermission", f"You are not authorized to assume the role {role.arn}: its "
                                           "trust policy does not name you.", 403)
        key_id = new_sts_access_key_id()
        payload = TokenPayload(access_key_id=key_id, role_arn=role.arn, role_id=role.role_id,
                               session_name=session_name, session_policy=policy_json,
                               expiration=float(int(now) + duration_s), issued_at=now,
                               token_id=secrets.token_hex(8))
        return Credentials(
            access_key_id=key_id, access_key_secret=self._codec.derive_secret(key_id),
            security_token=self._codec.encode(payload), expiration=payload.expiration,
            assumed_role_arn=f"acs:ram::{self.account_id}:assumed-role/{role.name}/{session_name}",
            assumed_role_id=f"{role.role_id}:{session_name}",
        )

    def _trusts(self, role: Role, caller: Principal | None, service: str | None) -> bool:
        """Does the role's AssumeRolePolicyDocument let this caller or service assume it?"""
        root = {f"acs:ram::{self.account_id}:root", self.account_id}
        names: set[str] = set()
        if caller is not None:
            names |= root
            names.add((caller.role_arn if caller.kind == "assumed-role" and caller.role_arn
                       else caller.arn).lower())
        allowed = False
        for stmt in role.trust["Statement"]:
            actions = stmt.get("Action", "sts:AssumeRole")
            actions = actions if isinstance(actions, list) else [actions]
            if not any(policy_mod.wildcard_match(a, "sts:AssumeRole", fold_case=True) for a in actions):
                continue
            principal = stmt["Principal"]
            ram_values = principal.get("RAM", [])
            ram_values = ram_values if isinstance(ram_values, list) else [ram_values]
            svc_values = principal.get("Service", [])
            svc_values = svc_values if isinstance(svc_values, list) else [svc_values]
            hit = any(v.lower() in names for v in ram_values) or (
                service is not None and any(v.lower() == service.lower() for v in svc_values))
            if hit:
                if stmt["Effect"] == "Deny":
                    return False
                allowed = True
        return allowed


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
