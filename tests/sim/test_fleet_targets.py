"""The issue's targets, scaled: 5,000 cameras with 5 % of the account (quota 5/s, budget 4/s,
5 token-function instances) face the per-instance numbers of 100,000 cameras on the full account.

Each target is also shown to fail where docs/scale.md says it must (1 h tokens; a budget above
the quota), so the assertions can fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from vigil_ops.cli import main
from vigil_ops.sim import FleetConfig, run_fleet
from vigil_ops.sim.scenarios import RECOVERY_MAX_S, scaled, targets

pytestmark = pytest.mark.unit

N = 5_000
H = 3600


def _run(cameras: int = N, **kw: float) -> tuple[dict, dict[str, bool]]:
    result = run_fleet(scaled(FleetConfig(cameras=cameras, seed=7, **kw)))  # type: ignore[arg-type]
    return result.summary(), targets(result)


def test_steady_state_4h_tokens_under_20_percent_of_quota() -> None:
    s, checks = _run(ttl=4 * H, hours=24)
    assert all(checks.values()), checks
    assert s["sts_quota_share_peak_minute"] < 0.20
    # 5,000 cameras refreshing at ~80 % of 4 h: ~0.43 calls/s, and nobody ever went without a token
    assert 0.35 < s["sts_calls_per_s_mean"] < 0.5
    assert s["max_without_token_s"] == 0 and s["issued"] == s["requests"]


def test_steady_state_1h_tokens_misses_the_20_percent_target() -> None:
    s, checks = _run(ttl=1 * H, hours=6)
    assert not checks["steady_under_20pct"]
    assert s["sts_quota_share_mean"] > 0.30          # N / (0.8 * 3600) = 35 % of the quota


def test_outage_60_min_every_camera_back_within_15_min_and_sts_never_over_quota() -> None:
    s, checks = _run(ttl=4 * H, hours=5, outage_start=2 * H, outage_minutes=60)
    assert all(checks.values()), checks
    assert s["recovery_s"] is not None and s["recovery_s"] <= RECOVERY_MAX_S
    assert s["sts_calls_per_s_peak_second"] <= 5 and s["sts_throttled"] == 0
    assert s["unreachable"] > 0 and s["max_without_token_s"] > 0     # the outage did bite
    assert s["spool_peak_mib"] <= s["spool_budget_mib"]


def test_outage_with_1h_tokens_cannot_recover_within_15_min() -> None:
    # every token expires during the outage; n tokens at 80 % of the quota take n / 1.6 s > 15 min
    # (the run ends 20 min after the recovery: still not done, or done too late, both miss)
    s, checks = _run(cameras=2000, ttl=1 * H, hours=2.4, outage_start=1 * H, outage_minutes=60)
    assert not checks["recovered_within_15min"]
    assert checks["sts_never_above_quota"]


def test_without_the_budget_sts_is_asked_above_its_quota() -> None:
    s, checks = _run(cameras=2000, ttl=4 * H, hours=2.5, outage_start=1 * H, outage_minutes=60, sts_budget=400.0)
    assert not checks["sts_never_above_quota"]
    assert s["sts_throttled"] > 0


def test_region_wide_reboot_is_served_within_quota() -> None:
    s, checks = _run(cameras=2000, ttl=4 * H, hours=1, reboot_minutes=5)
    assert all(checks.values()), checks
    assert s["issued"] >= 2000 and s["cameras_without_token_at_end"] == 0
    # 2,000 first tokens at the function's budget (1.6/s) take about 2000 / 1.6 s
    assert 2000 / 2 <= s["recovery_s"] <= 2000 / 1.6 * 1.3


def test_same_seed_same_run() -> None:
    config = FleetConfig(cameras=1000, ttl=4 * H, hours=2, seed=3, outage_start=H / 2, outage_minutes=30)
    a, b = run_fleet(scaled(config)), run_fleet(scaled(config))
    assert a.summary() == b.summary() and a.sts_per_second == b.sts_per_second


def test_cli_fleet_json_and_plot(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    png = tmp_path / "fleet.png"
    code = main(["sim", "fleet", "--cameras", "1000", "--ttl", "14400", "--hours", "4", "--outage-minutes", "60",
                 "--outage-at", "1", "--seed", "2", "--scale", "--json", "--check", "--plot", str(png)])
    doc = json.loads(capsys.readouterr().out)
    assert code == 0, doc["targets"]
    assert doc["cameras"] == 1000 and doc["config"]["sts_quota"] == pytest.approx(1.0)
    assert doc["targets"]["recovered_within_15min"] is True
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_refuses_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sim", "fleet", "--cameras", "0"]) == 2
    assert main(["sim", "fleet", "--ttl", "60"]) == 2
    assert "--ttl" in capsys.readouterr().err


def test_cli_report_writes_plots_results_and_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "scale"
    assert main(["sim", "report", "--out", str(out), "--cameras", "1000", "--only", "steady-12h"]) == 0
    assert main(["sim", "report", "--out", str(out), "--cameras", "1000", "--only", "outage-12h"]) == 0
    rows = json.loads((out / "results.json").read_text())
    # a second run with --only keeps the earlier rows, in the order of the scenario list
    assert [r["scenario"] for r in rows] == ["steady-12h", "outage-12h"]
    assert all(r["targets_met"] for r in rows) and rows[0]["cameras"] == 1000
    assert (out / "steady-12h.png").read_bytes()[:4] == b"\x89PNG"
    table = (out / "table.md").read_text()
    assert sum(line.startswith("| ") for line in table.splitlines()) == 3   # header + two rows
    assert "outage-12h" in table and "steady-12h" in table
    capsys.readouterr()
