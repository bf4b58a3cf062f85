"""A child process that writes through the Store until it is killed (by the parent or itself).

Run: python writer_child.py ROOT SEED [CRASH_POINT CRASH_AFTER]. It prints one JSON line before
each operation ("begin", with the md5 of the key's content if the operation lands) and one after
it returns ("ack"). CRASH_POINT makes it SIGKILL itself at a precise spot of the commit path the
CRASH_AFTER-th time it gets there: before_rename, after_rename, before_outbox_sync, torn_slot.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import signal
import sys
import time
from pathlib import Path
from typing import Any

from localcloud.common.clock import Clock
from localcloud.oss.errors import OSSError
from localcloud.oss.model import objects as objects_mod
from localcloud.oss.model import outbox as outbox_mod
from localcloud.oss.model import records as records_mod
from localcloud.oss.model.store import Store
from localcloud.oss.model.types import Caller, ObjectHeaders

BUCKET = "durable"


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def install_crash_point(point: str, after: int) -> None:
    """Make this process kill -9 itself at `point` the `after`-th time it is reached."""
    hits = {"n": 0}

    def due() -> bool:
        hits["n"] += 1
        return hits["n"] >= after

    if point in ("before_rename", "after_rename"):
        real_rename = os.rename

        def rename(src: Any, dst: Any) -> None:
            is_commit = "/objects/" in str(dst)
            if is_commit and point == "before_rename" and due():
                die()
            real_rename(src, dst)
            if is_commit and point == "after_rename" and due():
                die()

        os.rename = rename  # type: ignore[assignment]
    elif point == "before_outbox_sync":
        real_sync = outbox_mod.Outbox._sync_to

        def sync_to(self: Any, seq: int) -> None:
            if due():
                die()
            real_sync(self, seq)

        outbox_mod.Outbox._sync_to = sync_to  # type: ignore[method-assign]
    elif point == "torn_slot":
        real_write_slot = objects_mod.write_slot

        def write_slot(fd: int, header: Any, meta: dict[str, Any]) -> Any:
            if due():
                raw = objects_mod._encode_slot(header.seq + 1, meta, header.slot_size)
                at = objects_mod._HEADER.size + (1 - header.slot) * header.slot_size
                os.pwrite(fd, raw[: len(raw) // 2], at)
                die()
            return real_write_slot(fd, header, meta)

        records_mod.write_slot = write_slot  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown crash point {point}")


class SlowBody(io.RawIOBase):
    """A body that trickles out, so a kill often lands mid-stream."""

    def __init__(self, data: bytes, rng: random.Random) -> None:
        super().__init__()
        self._data = data
        self._pos = 0
        self._rng = rng

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = min(n if n >= 0 else len(self._data), self._rng.randint(1, 256 * 1024))
        chunk = self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        if chunk:
            time.sleep(0.0005)
        return chunk


def emit(doc: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(doc) + "\n")
    sys.stdout.flush()


def md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def main() -> None:
    root, seed = Path(sys.argv[1]), int(sys.argv[2])
    if len(sys.argv) > 3:
        install_crash_point(sys.argv[3], int(sys.argv[4]))
    rng = random.Random(seed)
    store = Store(root, Clock(), "cn-hangzhou", "1")
    try:
        store.create_bucket(BUCKET)
    except OSSError:
        pass
    log_key = f"log/{seed} ü"
    log_data = b""
    i = 0
    while True:
        i += 1
        op = rng.choice(["put", "put", "hot", "append", "multipart", "delete"])
        if op in ("put", "hot"):
            key = f"u/{seed}/{i} spaced+%/ünï" if op == "put" else f"hot/{rng.randint(0, 2)}"
            data = rng.randbytes(rng.choice([0, 1, 1000, 300_000, 2_500_000]))
            emit({"ev": "begin", "op": op, "key": key, "md5": md5(data)})
            info = store.put_object(BUCKET, key, body=SlowBody(data, rng), length=len(data),
                                    headers=ObjectHeaders(meta={"i": str(i)}), caller=Caller(request_id=f"{seed}-{i}"))
        elif op == "append":
            chunk = rng.randbytes(rng.randint(1, 50_000))
            key = log_key
            emit({"ev": "begin", "op": op, "key": key, "md5": md5(log_data + chunk)})
            info = store.append_object(BUCKET, key, position=len(log_data), body=SlowBody(chunk, rng),
                                       length=len(chunk),
                                       caller=Caller(request_id=f"{seed}-{i}"))
            log_data += chunk
        elif op == "multipart":
            key = f"mp/{seed}/{i}"
            parts = [rng.randbytes(100 * 1024), rng.randbytes(rng.randint(1, 200_000))]
            emit({"ev": "begin", "op": op, "key": key, "md5": md5(b"".join(parts))})
            up = store.initiate_multipart(BUCKET, key, headers=ObjectHeaders())
            done = [store.upload_part(BUCKET, key, upload_id=up.upload_id, part_number=n + 1, body=SlowBody(p, rng),
                                      length=len(p))
                    for n, p in enumerate(parts)]
            names = [(p.part_number, p.etag) for p in done]
            info = store.complete_multipart(BUCKET, key, upload_id=up.upload_id, parts=names,
                                            caller=Caller(request_id=f"{seed}-{i}"))
        else:
            key = f"hot/{rng.randint(0, 2)}"
            emit({"ev": "begin", "op": op, "key": key, "md5": None})
            gone = store.delete_object(BUCKET, key, caller=Caller(request_id=f"{seed}-{i}"))
            emit({"ev": "ack", "op": op, "key": key, "etag": gone.etag if gone else None})
            continue
        emit({"ev": "ack", "op": op, "key": key, "etag": info.etag, "crc64": info.crc64})


if __name__ == "__main__":
    main()
