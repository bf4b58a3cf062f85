"""The per-user export job index (`vigil_fn.export.jobindex`) on localcloud through oss2: lines
folded by `updated`, tombstones, racing writers, and the rewrite past COMPACT_BYTES that must leave
the object appendable."""

from __future__ import annotations

import secrets
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from vigil_fn.export.jobindex import COMPACT_BYTES, JobIndex, fold, index_key

pytestmark = pytest.mark.integration


def test_fold_keeps_the_newest_document_per_job_and_honours_tombstones() -> None:
    lines = (b'{"id":"a","state":"running","updated":2}\n{"id":"a","state":"queued","updated":1}\n'
             b'{"id":"b","state":"done","updated":5}\nnot json\n{"id":"b","deleted":true,"updated":6}\n'
             b'{"id":"c","state":"failed","updated":3}\n{"nope":1}\n')
    assert fold(lines) == {"a": {"id": "a", "state": "running", "updated": 2},
                           "c": {"id": "c", "state": "failed", "updated": 3}}


def test_racing_writers_lose_no_line_and_a_large_index_is_rewritten_appendable(cloud: Any) -> None:
    bucket = cloud.bucket()
    user = f"ix-{secrets.token_hex(4)}"
    index = JobIndex(bucket, user)
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda n: index.add({"id": f"job-{n:03d}", "state": "done", "updated": n, "pad": "x" * 200}),
                      range(40)))
    assert sorted(index.read() or {}) == [f"job-{n:03d}" for n in range(40)]
    n = 40
    while bucket.head_object(index_key(user)).content_length <= COMPACT_BYTES:   # the same jobs, rewritten often
        index.add({"id": f"job-{n % 40:03d}", "state": "done", "updated": n, "pad": "x" * 2000})
        n += 1
    index.remove("job-000", now_ms=n + 1)
    docs = index.read()                                    # folds, then rewrites one line per live job
    assert docs is not None and len(docs) == 39 and "job-000" not in docs
    assert bucket.head_object(index_key(user)).content_length < COMPACT_BYTES
    index.add({"id": "job-new", "state": "queued", "updated": n + 2})   # still appendable after the rewrite
    assert set(index.read() or {}) == {*docs, "job-new"}
