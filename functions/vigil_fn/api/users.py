"""Viewer accounts: one record per user at `_system/users/<name>.json`, passwords hashed with argon2id.

A record holds the argon2id hash (never the password), the role, an optional camera limit, and
`generation`: sessions carry the generation they were issued under, and changing the password
bumps it, so every outstanding session of that user ends at once. Used by the api function and by
`vigil users` (operator key) alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any

import oss2
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from vigil_camera.keys import SYSTEM
from vigil_camera.protocol import validate_device_id

from ..core.errors import Refused
from ..core.nonces import put_new

USERS_PREFIX = f"{SYSTEM}users/"
NAME_RE = re.compile(r"[a-z0-9][a-z0-9._-]{1,63}")
ROLES = ("admin", "viewer")
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
# The page's languages (web/src/i18n/locales/<lang>/); "" = not chosen yet (the page asks the browser).
LANGUAGES = ("en", "zh-CN")
# OWASP's argon2id minimum (19 MiB, 2 passes): slow for a guesser, affordable in a 256 MB function.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_DUMMY_HASH = _hasher.hash("vigil-dummy-password-for-timing")


class UserError(Refused):
    """A user operation that cannot proceed (invalid input, or one of the subclasses); safe to show."""


class UnknownUser(UserError):
    """No such user."""

    status, code = 404, "not_found"


class UserExists(UserError):
    """Creating a user whose name is taken."""

    status, code = 409, "conflict"


def utc_now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def validate_name(name: str) -> str:
    if not isinstance(name, str) or not NAME_RE.fullmatch(name) or ".." in name:
        raise UserError("user names are 2-64 characters: a-z, 0-9, '.', '_', '-', starting with a letter or digit")
    return name


def validate_password(password: str) -> str:
    if not isinstance(password, str) or not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise UserError("passwords are {low} to {high} characters", low=MIN_PASSWORD, high=MAX_PASSWORD)
    return password


def validate_cameras(cameras: list[str] | None) -> tuple[str, ...] | None:
    if cameras is None:
        return None
    try:
        return tuple(sorted({validate_device_id(c) for c in cameras}))
    except ValueError as exc:
        raise UserError("camera ids: {reason}", reason=exc) from None


def hash_password(password: str) -> str:
    return _hasher.hash(validate_password(password))


def user_key(name: str) -> str:
    return f"{USERS_PREFIX}{validate_name(name)}.json"


@dataclass(frozen=True)
class User:
    name: str
    role: str
    password_hash: str
    cameras: tuple[str, ...] | None = None   # None: every camera; a tuple limits a viewer
    generation: int = 1
    created: str = ""
    updated: str = ""
    language: str = ""   # the page's language for this user, remembered across browsers; "" = unset

    def __post_init__(self) -> None:
        validate_name(self.name)
        if self.role not in ROLES:
            raise UserError("role must be one of {roles}", roles=ROLES)
        if self.language and self.language not in LANGUAGES:
            raise UserError("language must be one of {languages}", languages=LANGUAGES)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def may_see(self, camera: str) -> bool:
        return self.is_admin or self.cameras is None or camera in self.cameras

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role,
                "cameras": None if self.is_admin or self.cameras is None else list(self.cameras)}

    def to_json(self) -> bytes:
        doc = asdict(self)
        doc["cameras"] = None if self.cameras is None else list(self.cameras)
        return json.dumps(doc, sort_keys=True, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> User:
        try:
            doc = json.loads(data)
            cams = doc.get("cameras")
            return cls(name=doc["name"], role=doc["role"], password_hash=doc["password_hash"],
                       cameras=None if cams is None else tuple(cams), generation=int(doc.get("generation", 1)),
                       created=doc.get("created", ""), updated=doc.get("updated", ""),
                       language=str(doc.get("language", "")))
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError("corrupt user record: {reason}", reason=type(exc).__name__) from None


def verify_password(user: User | None, password: str) -> bool:
    """Constant-ish time: an unknown user still costs one argon2 verification."""
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and user is not None
    except (VerificationError, InvalidHashError):
        return False


def verify_password_hash(password_hash: str, password: str) -> bool:
    """A password against a stored argon2id hash that is not a user's (a share link's)."""
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


class UserStore:
    def __init__(self, bucket: oss2.Bucket) -> None:
        self.bucket = bucket

    def get(self, name: str) -> User | None:
        try:
            key = user_key(name)
        except UserError:
            return None
        try:
            return User.from_json(self.bucket.get_object(key).read())
        except oss2.exceptions.NoSuchKey:
            return None

    def require(self, name: str) -> User:
        user = self.get(name)
        if user is None:
            raise UnknownUser("no such user: {user}", user=validate_name(name))
        return user

    def create(self, name: str, password: str, role: str = "viewer", cameras: list[str] | None = None) -> User:
        now = utc_now_iso()
        user = User(validate_name(name), role, hash_password(password), validate_cameras(cameras), 1, now, now)
        if not put_new(self.bucket, user_key(name), user.to_json(), {"Content-Type": "application/json"}):
            raise UserExists("user {user} exists already", user=name)
        return user

    def save(self, user: User) -> User:
        user = replace(user, updated=utc_now_iso())
        self.bucket.put_object(user_key(user.name), user.to_json(), headers={"Content-Type": "application/json"})
        return user

    def rehash_if_needed(self, user: User, password: str) -> User:
        """After a successful login: a hash made with older (weaker) parameters is replaced, sessions kept."""
        if not _hasher.check_needs_rehash(user.password_hash):
            return user
        return self.save(replace(user, password_hash=hash_password(password)))

    def set_password(self, name: str, password: str) -> User:
        """New hash and a new generation: the user's sessions end at once."""
        user = self.require(name)
        return self.save(replace(user, password_hash=hash_password(password), generation=user.generation + 1))

    def set_role(self, name: str, role: str | None = None, cameras: list[str] | None = None,
                 all_cameras: bool = False) -> User:
        user = self.require(name)
        changes: dict[str, Any] = {}
        if role is not None:
            changes["role"] = role
        if all_cameras:
            changes["cameras"] = None
        elif cameras is not None:
            changes["cameras"] = validate_cameras(cameras)
        return self.save(replace(user, **changes))

    def set_language(self, name: str, language: str) -> User:
        """The page's language, kept in the record so every browser of this user opens in it."""
        if language not in LANGUAGES:
            raise UserError("language must be one of {languages}", languages=LANGUAGES)
        return self.save(replace(self.require(name), language=language))

    def remove(self, name: str) -> None:
        """Deletes a user's record, a corrupt one too (the admin screen lists those as unreadable)."""
        key = user_key(name)
        if not self.bucket.object_exists(key):
            raise UnknownUser("no such user: {user}", user=validate_name(name))
        self.bucket.delete_object(key)

    def names(self) -> Iterator[str]:
        for info in oss2.ObjectIteratorV2(self.bucket, prefix=USERS_PREFIX):
            tail = info.key[len(USERS_PREFIX):]
            if tail.endswith(".json") and NAME_RE.fullmatch(tail[:-5]):
                yield tail[:-5]

    def readable(self) -> tuple[list[User], list[str]]:
        """Every user whose record reads, and the names of those whose record does not (corrupt): one
        bad record must not hide every other user from the admin screen."""
        users: list[User] = []
        unreadable: list[str] = []
        for name in self.names():
            try:
                user = self.get(name)
            except UserError:
                unreadable.append(name)
                continue
            if user is not None:
                users.append(user)
        return users, unreadable
