"""Startup recovery: temp leftovers, and changes whose outbox record a crash cut off."""

from __future__ import annotations

import json
import os

import pytest
from localcloud.oss.model import objects
from localcloud.oss.model.writer import key_hash

pytestmark = pytest.mark.unit


def _object_file(ossm, key: str):  # type: ignore[no-untyped-def]
    h = key_hash(key)
    return ossm.root / "buckets" / ossm.bucket / "objects" / h[:2] / h


def _set_pending(path, intent: dict) -> None:  # type: ignore[type-arg]
    fd = os.open(path, os.O_RDWR)
    try:
        header = objects.read_header(fd)
        objects.write_slot(fd, header, dict(header.meta, pending=intent))
    finally:
        os.close(fd)


def _pending(path):  # type: ignore[no-untyped-def]
    fd = os.open(path, os.O_RDONLY)
    try:
        return objects.read_header(fd).meta.get("pending")
    finally:
        os.close(fd)


def _intent(eid: str) -> dict:  # type: ignore[type-arg]
    return {"eid": eid, "name": "ObjectCreated:PutObject", "delta": 3, "t": 1.5e9, "rid": "R", "pid": "P",
            "ip": "127.0.0.1"}


def test_committed_object_has_no_pending_intent(ossm) -> None:
    ossm.put("k", b"abc")
    ossm.append("log", 0, b"x")
    ossm.append("log", 1, b"y")
    assert _pending(_object_file(ossm, "k")) is None
    assert _pending(_object_file(ossm, "log")) is None
    ossm.reopen()
    assert len(ossm.events()) == 3


def test_lost_clear_does_not_duplicate(ossm) -> None:
    ossm.put("k", b"abc")
    seg = next((ossm.root / "outbox").glob("seg-*.log"))
    eid = json.loads(seg.read_bytes().splitlines()[0])["eid"]
    _set_pending(_object_file(ossm, "k"), _intent(eid))
    ossm.reopen()
    assert len(ossm.events()) == 1
    assert _pending(_object_file(ossm, "k")) is None


def test_lost_event_is_sent_at_startup(ossm) -> None:
    info = ossm.put("k", b"abc")
    _set_pending(_object_file(ossm, "k"), _intent("f" * 32))
    ossm.reopen()
    evs = ossm.events()
    assert len(evs) == 2
    assert evs[1]["oss"]["object"] == {"deltaSize": 3, "eTag": info.etag, "key": "k", "size": 3}
    assert evs[1]["responseElements"]["requestId"] == "R" and evs[1]["eventTime"].startswith("2017-07-14")
    ossm.reopen()
    assert len(ossm.events()) == 2  # and only once


def test_interrupted_delete_is_finished_at_startup(ossm) -> None:
    info = ossm.put("k", b"abc")
    path = _object_file(ossm, "k")
    _set_pending(path, dict(_intent("e" * 32), name="ObjectRemoved:DeleteObject", delta=-3))
    os.rename(path, ossm.root / "buckets" / ossm.bucket / "trash" / ("e" * 32))  # crash after the rename
    store = ossm.reopen()
    assert ossm.keys() == []
    ev = ossm.events()[-1]
    assert ev["eventName"] == "ObjectRemoved:DeleteObject"
    assert ev["oss"]["object"] == {"deltaSize": -3, "eTag": info.etag, "key": "k", "size": 0}
    assert list((ossm.root / "buckets" / ossm.bucket / "trash").iterdir()) == []
    assert store.bucket_stats(ossm.bucket) == (0, 0, 0)


def test_temp_leftovers_and_torn_files_are_cleaned(ossm) -> None:
    (ossm.root / "tmp" / "half-written.obj").write_bytes(b"VGLOBJ01 garbage")
    torn = _object_file(ossm, "never-committed")
    torn.write_bytes(b"garbage")
    ossm.reopen()
    assert list((ossm.root / "tmp").iterdir()) == []
    assert not torn.exists() and ossm.keys() == []
