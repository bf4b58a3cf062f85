"""Fixtures of the OSS model unit tests: a Store on a temp folder with its own clock."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from localcloud.common.clock import Clock
from localcloud.oss.model.store import Store
from localcloud.oss.model.types import ObjectHeaders, ObjectInfo

BUCKET = "vigil-unit"


class OssmHelper:
    """Short verbs over one Store so the tests read as what they check."""

    bucket = BUCKET

    def __init__(self, root: Path, clock: Clock) -> None:
        self.root = root
        self.clock = clock
        self.store = Store(root, clock, "cn-hangzhou", "1234567890")

    def reopen(self) -> Store:
        """Close and open the store on the same folder (a restart)."""
        self.store.close()
        self.store = Store(self.root, self.clock, "cn-hangzhou", "1234567890")
        return self.store

    def put(self, key: str, data: bytes, bucket: str = BUCKET, headers: ObjectHeaders | None = None,
            **kw: Any) -> ObjectInfo:
        body = io.BytesIO(data)
        return self.store.put_object(bucket, key, body=body, length=len(data), headers=headers or ObjectHeaders(), **kw)

    def append(self, key: str, position: int, data: bytes, bucket: str = BUCKET, **kw: Any) -> ObjectInfo:
        return self.store.append_object(bucket, key, position=position, body=io.BytesIO(data), length=len(data), **kw)

    def read(self, key: str, bucket: str = BUCKET) -> bytes:
        _, reader = self.store.open_object(bucket, key)
        with reader:
            return reader.read()

    def events(self) -> list[dict[str, Any]]:
        return [e for _, e in self.store.outbox.read(0, 100000)]

    def keys(self, bucket: str = BUCKET, **kw: Any) -> list[str]:
        return [i.key for i in self.store.list_objects(bucket, **kw).contents]


@pytest.fixture
def ossm(tmp_path: Path) -> Iterator[OssmHelper]:
    helper = OssmHelper(tmp_path / "oss", Clock())
    helper.store.create_bucket(BUCKET)
    yield helper
    helper.store.close()
