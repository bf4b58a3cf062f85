"""Password hashing: argon2id, never the password itself, rehash when parameters change."""

from __future__ import annotations

import json

import pytest
from argon2 import PasswordHasher
from vigil_fn.api import users
from vigil_fn.api.users import User, UserError

pytestmark = pytest.mark.unit


def test_hash_is_argon2id_and_the_record_never_holds_the_password() -> None:
    digest = users.hash_password("correct horse battery")
    assert digest.startswith("$argon2id$")
    record = User("alice", "viewer", digest, ("cam-one",))
    text = record.to_json().decode()
    assert "correct horse battery" not in text and json.loads(text)["cameras"] == ["cam-one"]
    assert users.verify_password(record, "correct horse battery")
    assert not users.verify_password(record, "correct horse batterx")
    assert not users.verify_password(None, "correct horse battery")
    assert not users.verify_password(User("bob", "viewer", "not-a-hash"), "x" * 12)


@pytest.mark.parametrize("bad", ["short", "x" * 11, "x" * 1025])
def test_password_length_is_enforced(bad: str) -> None:
    with pytest.raises(UserError):
        users.hash_password(bad)


@pytest.mark.parametrize("name", ["a", "Alice", "../x", "a/b", "a..b", "-x", "x" * 65, "ü-name"])
def test_bad_names(name: str) -> None:
    with pytest.raises(UserError):
        users.validate_name(name)


def test_weaker_hashes_need_a_rehash() -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("some long password")
    assert users._hasher.check_needs_rehash(weak)
    assert not users._hasher.check_needs_rehash(users.hash_password("some long password"))


def test_camera_limits() -> None:
    viewer = User("v1", "viewer", "h", ("cam-one",))
    assert viewer.may_see("cam-one") and not viewer.may_see("cam-two")
    assert User("a1", "admin", "h", ("cam-one",)).may_see("cam-two")
    assert User("v2", "viewer", "h", None).may_see("anything")
