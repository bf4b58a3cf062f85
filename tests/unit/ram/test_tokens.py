"""The security-token codec: round trip, and every way a token must fail to verify."""

from __future__ import annotations

import base64
import json
import os
import stat
import zlib
from pathlib import Path

import pytest
from localcloud.ram.tokens import (
    PREFIX,
    TokenCodec,
    TokenError,
    TokenPayload,
    load_or_create_key,
    new_sts_access_key_id,
)

pytestmark = pytest.mark.unit


def payload(**overrides: object) -> TokenPayload:
    fields: dict[str, object] = {
        "access_key_id": "STS.abc",
        "role_arn": "acs:ram::1:role/r",
        "role_id": "123",
        "session_name": "cam-1",
        "session_policy": '{"Version":"1"}',
        "expiration": 2000.0,
        "issued_at": 1000.0,
        "token_id": "n1",
    }
    fields.update(overrides)
    return TokenPayload(**fields)  # type: ignore[arg-type]


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_round_trip_keeps_every_field() -> None:
    codec = TokenCodec(os.urandom(32))
    original = payload()
    assert codec.decode(codec.encode(original)) == original
    assert codec.decode(codec.encode(payload(session_policy=None))).session_policy is None


def test_token_is_url_and_header_safe() -> None:
    token = TokenCodec(os.urandom(32)).encode(payload(session_name="a@b.c-d_e"))
    assert token.startswith(PREFIX)
    assert all(c.isalnum() or c in "-_." for c in token)


def test_token_from_another_instance_fails() -> None:
    token = TokenCodec(os.urandom(32)).encode(payload())
    with pytest.raises(TokenError):
        TokenCodec(os.urandom(32)).decode(token)


def test_altered_body_fails() -> None:
    codec = TokenCodec(os.urandom(32))
    token = codec.encode(payload())
    body, sig = token[len(PREFIX) :].split(".")
    doc = json.loads(zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))))
    doc["e"] = doc["e"] + 10**6  # extend the expiry
    forged_body = b64(zlib.compress(json.dumps(doc).encode()))
    with pytest.raises(TokenError):
        codec.decode(f"{PREFIX}{forged_body}.{sig}")


def test_any_flipped_character_fails() -> None:
    codec = TokenCodec(os.urandom(32))
    token = codec.encode(payload())
    for i in range(len(PREFIX), len(token), 7):
        flipped = token[:i] + ("A" if token[i] != "A" else "B") + token[i + 1 :]
        if flipped != token:
            with pytest.raises(TokenError):
                codec.decode(flipped)


def test_forged_token_signed_with_a_guessed_key_fails() -> None:
    codec = TokenCodec(b"k" * 32)
    forged = TokenCodec(b"x" * 32).encode(payload())
    with pytest.raises(TokenError):
        codec.decode(forged)


@pytest.mark.parametrize(
    "junk", ["", "LC1.", "LC1.abc", "LC1..sig", "nope", "LC1.!!!.###", "CAIS" + "a" * 40]
)
def test_junk_fails_cleanly(junk: str) -> None:
    with pytest.raises(TokenError):
        TokenCodec(os.urandom(32)).decode(junk)


def test_validly_signed_but_incomplete_payload_fails() -> None:
    key = os.urandom(32)
    codec = TokenCodec(key)
    body = b64(zlib.compress(b'{"v":1,"k":"STS.x"}'))
    import hashlib
    import hmac

    sig = b64(hmac.new(key, (PREFIX + body).encode(), hashlib.sha256).digest())
    with pytest.raises(TokenError):
        codec.decode(f"{PREFIX}{body}.{sig}")


def test_derived_secret_is_stable_per_key_id_and_differs_between_instances() -> None:
    key = os.urandom(32)
    a, b = TokenCodec(key), TokenCodec(key)
    assert a.derive_secret("STS.x") == b.derive_secret("STS.x")
    assert a.derive_secret("STS.x") != a.derive_secret("STS.y")
    assert a.derive_secret("STS.x") != TokenCodec(os.urandom(32)).derive_secret("STS.x")


def test_key_file_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "state" / "sts.key"
    key = load_or_create_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_key(path) == key
    path.write_text("zz")
    with pytest.raises(ValueError):
        load_or_create_key(path)


def test_sts_access_key_ids_look_real_and_are_unique() -> None:
    ids = {new_sts_access_key_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(i.startswith("STS.") and len(i) == 32 and i[4:].isalnum() for i in ids)
