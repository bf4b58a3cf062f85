"""The camera's report: headers the device client sends, parsed back by the indexer."""

from __future__ import annotations

from datetime import date

import pytest
from vigil_camera.ossclient import health_headers
from vigil_camera.status import Status
from vigil_fn.indexer.health import device_doc, meta_from_headers

NOW_MS = 1_796_119_200_000   # the time the index's writers are told it is (summaries' `at`)

pytestmark = pytest.mark.unit


def test_the_device_headers_round_trip_through_the_indexer_parser() -> None:
    status = Status()
    status.queue(7, 1000)
    status.incr("dropped", 2)
    status.incr("token_errors", 3)
    headers = health_headers(status, now=lambda: 1_700_000_000.5)
    assert all(k.startswith("x-oss-meta-vigil-") for k in headers)
    # OSS returns user metadata lower-cased without the prefix's "x-oss-meta-"
    meta = meta_from_headers({k[len("x-oss-meta-"):]: v for k, v in headers.items()})
    assert meta == {"spool_depth": 7, "dropped_clips": 2, "token_errors": 3, "reported_at": 1_700_000_000_500}


@pytest.mark.parametrize("value", ["-1", "abc", "1e9", "9" * 20, ""])
def test_bad_report_values_are_ignored(value: str) -> None:
    assert meta_from_headers({"vigil-spool-depth": value}) is None
    assert meta_from_headers({"vigil-spool-depth": value, "vigil-token-errors": "4"}) == {"token_errors": 4}


def test_device_doc_counts_the_chain_and_keeps_the_newest_report() -> None:
    sums = [
        {"day": "2026-11-28", "from": 0, "to": 100, "clips": 3, "bytes": 30, "recorded_ms": 3000, "last_end": 10,
         "last_key": "a", "upload_lag_ms": 5, "meta": {"spool_depth": 9, "reported_at": 50}},
        {"day": "2026-11-28", "from": 0, "to": 50, "clips": 1, "bytes": 10, "recorded_ms": 1000},   # superseded
        {"day": "2026-11-28", "from": 100, "to": 200, "clips": 2, "bytes": 20, "recorded_ms": 2000, "last_end": 30,
         "last_key": "b", "upload_lag_ms": 7, "meta": {"spool_depth": 1, "reported_at": 40}},     # older report
    ]
    doc = device_doc("cam-1", date(2026, 11, 28), sums, 999, None, now_ms=NOW_MS)
    assert (doc["clips_today"], doc["bytes_today"], doc["recorded_ms_today"]) == (5, 50, 5000)
    assert (doc["last_clip_key"], doc["upload_lag_ms"], doc["covered"]) == ("b", 7, 200)
    assert doc["spool_depth"] == 9 and doc["reported_at"] == 50
