"""Listing a user's exports (`make bench`): `GET /api/v1/exports` for a user with 116 finished jobs,
served from the per-user job index (one GET), beside the peer — what the list did before security
round three: list the user's prefix and read each job's JSON one by one (oss2, same jobs, same run).
Before the index the api's list of 116 jobs took 1.48 s through localcloud (measured on 7c00dd7)."""

from __future__ import annotations

import secrets
import statistics
import time
from typing import Any

import oss2
import pytest
import requests
from vigil_fn.api.users import UserStore
from vigil_fn.core.config import ExportSettings
from vigil_fn.export.jobs import ExportJob, JobStore, new_job_id

pytestmark = pytest.mark.bench
JOBS, RUNS = 116, 7


def test_export_list_from_the_index_vs_reading_every_job(cloud: Any) -> None:
    base = str(cloud.functions["vigil-api"]).rstrip("/")
    name, password = f"bench-{secrets.token_hex(4)}", secrets.token_urlsafe(12)
    UserStore(cloud.bucket()).create(name, password, "admin", None)
    http = requests.Session()
    assert http.post(f"{base}/api/v1/login", json={"username": name, "password": password},
                     timeout=30).status_code == 200
    store = JobStore(cloud.bucket(), ExportSettings.from_env())
    old = int(time.time() * 1000) - 86_400_000
    for n in range(JOBS):
        store.save(ExportJob(id=new_job_id(old / 1000 + n), user=name, camera="cam-bench", start=0, end=1000,
                             state="failed", error="no recordings", created=old + n * 1000))

    def api_list() -> float:
        start = time.perf_counter()
        resp = http.get(f"{base}/api/v1/exports", timeout=60)
        assert resp.status_code == 200 and len(resp.json()["exports"]) == JOBS
        return time.perf_counter() - start

    def every_job() -> float:
        bucket, start = cloud.bucket(), time.perf_counter()
        docs = [bucket.get_object(o.key).read() for o in oss2.ObjectIteratorV2(bucket, prefix=f"exports/{name}/")
                if o.key.endswith(".json")]
        assert len(docs) == JOBS
        return time.perf_counter() - start

    api_list(), every_job()
    indexed = statistics.median(api_list() for _ in range(RUNS))
    peer = statistics.median(every_job() for _ in range(RUNS))
    print(f"\nexports list, {JOBS} jobs, median of {RUNS}: api from the job index {indexed * 1000:.1f} ms "
          f"(HTTP round trip), reading every job one by one {peer * 1000:.1f} ms, ratio {peer / indexed:.1f}")
