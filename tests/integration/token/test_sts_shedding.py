"""The token function sheds with 429 sts_busy + Retry-After once its instance's STS budget is taken,
before it touches OSS or STS (through localcloud's FC runtime, the real function code)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import start_cloud

from .conftest import TokenClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tight_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    # 0.01 calls/s over 4 local instances: one STS call per instance every 400 s
    handle = start_cloud(tmp_path_factory.mktemp("tightsts"), extra_env={"VIGIL_STS_CALLS_PER_SECOND": "0.01"})
    try:
        yield handle
    finally:
        handle.stack.stop()


def test_budget_taken_sheds_with_retry_after_and_no_sts_call(tight_cloud: Any) -> None:
    client = TokenClient(tight_cloud)
    devices = [client.provision() for _ in range(8)]
    answers = [client.request(d) for d in devices]
    issued = [r for r in answers if r.status_code == 200]
    shed = [r for r in answers if r.status_code == 429]
    assert len(issued) + len(shed) == len(answers)
    assert 1 <= len(issued) <= 4            # at most one STS call per instance
    assert shed, "sequential requests beyond the budget must be shed"
    for resp in shed:
        err = client.error_of(resp)
        assert err["code"] == "sts_busy" and "server_time" in err
        assert int(resp.headers["Retry-After"]) >= 1
    # the look before any I/O: an unknown device is shed too, without reaching the registry
    stranger = TokenClient.Device("cam-not-registered", "0" * 64)
    answers = [client.request(stranger) for _ in range(4)]
    assert any(r.status_code == 429 and client.error_of(r)["code"] == "sts_busy" for r in answers)
