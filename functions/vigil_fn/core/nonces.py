"""Replay guard: each (device, nonce) may be used once, enforced by OSS itself.

Claiming a nonce is a `PutObject` of `_system/nonces/<device>/<nonce>` with
`x-oss-forbid-overwrite: true`: the first request creates it, any replay (from any function
instance) gets `FileAlreadyExists`. A lifecycle rule deletes nonces after a day, which is far
beyond the ±clock-skew window in which a timestamp is accepted, so an old nonce can never come back.
"""

from __future__ import annotations

import oss2
from vigil_camera.keys import nonce_key
from vigil_camera.protocol import NONCE_RE

FORBID_OVERWRITE = {"x-oss-forbid-overwrite": "true"}


def put_new(bucket: oss2.Bucket, key: str, data: bytes, headers: dict[str, str] | None = None) -> bool:
    """Create `key` only if it does not exist: True when we created it, False when it existed.

    oss2 2.19.1 has no exception class for OSS's 409 `FileAlreadyExists`; it raises a generic
    `ServerError`, so the code is checked here, once, for every create-once write in Vigil.
    """
    try:
        bucket.put_object(key, data, headers={**(headers or {}), **FORBID_OVERWRITE})
    except oss2.exceptions.ServerError as exc:
        if exc.status == 409 and exc.code == "FileAlreadyExists":
            return False
        raise
    return True


def valid_nonce(nonce: object) -> bool:
    return isinstance(nonce, str) and NONCE_RE.fullmatch(nonce) is not None


class NonceStore:
    def __init__(self, bucket: oss2.Bucket) -> None:
        self.bucket = bucket

    def claim(self, device_id: str, nonce: str, timestamp: int) -> bool:
        """True when this nonce was unused (and is now taken), False for a replay."""
        if not valid_nonce(nonce):
            raise ValueError("nonce must be 16-64 lower-case hex characters")
        return put_new(self.bucket, nonce_key(device_id, nonce), str(int(timestamp)).encode())
