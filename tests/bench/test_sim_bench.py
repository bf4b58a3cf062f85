"""Fleet simulator speed: events per second and simulated camera-days per wall minute, against the
bare event loop it is built on (the same number of heap pushes and pops, nothing decided), same run.

Printed: events/s of a 20,000-camera day on 1 h tokens (the refresh-heaviest steady state), the
bare loop's events/s, their ratio (= what the real code's decisions cost per event), and the
extrapolation to 100,000 cameras. Target (informative): a simulated day of 100,000 cameras in
minutes. Figures are printed, not asserted against wall-clock targets.
"""

from __future__ import annotations

import heapq
import time

import pytest
from vigil_ops.sim import FleetConfig, run_fleet
from vigil_ops.sim.scenarios import scaled

pytestmark = pytest.mark.bench

CAMERAS = 20_000


def _bare_loop(events: int) -> float:
    """Seconds for `events` pushes and pops of (time, seq, kind, index) tuples."""
    heap: list[tuple[float, int, int, int]] = []
    started = time.perf_counter()
    for i in range(min(events, CAMERAS)):
        heapq.heappush(heap, (float(i), i, 0, i))
    seq = len(heap)
    done = 0
    while done < events:
        now, _, kind, index = heapq.heappop(heap)
        seq += 1
        heapq.heappush(heap, (now + 2880.0, seq, kind, index))
        done += 1
    return time.perf_counter() - started


def test_simulator_events_per_second_against_the_bare_event_loop() -> None:
    config = scaled(FleetConfig(cameras=CAMERAS, ttl=3600, hours=24, seed=1))
    started = time.perf_counter()
    result = run_fleet(config)
    sim_s = time.perf_counter() - started
    bare_s = _bare_loop(result.events)
    sim_rate, bare_rate = result.events / sim_s, result.events / bare_s
    day_100k = sim_s * 100_000 / CAMERAS
    print(f"\nfleet simulator, {CAMERAS:,} cameras, 1 simulated day, 1 h tokens (machine shared and loaded)")
    print(f"  events {result.events:,}  token requests {result.requests:,}  wall {sim_s:.1f} s")
    print(f"  simulator     {sim_rate:,.0f} events/s")
    print(f"  bare heap loop {bare_rate:,.0f} events/s (peer)")
    print(f"  ratio simulator/bare = {sim_rate / bare_rate:.2f} (the cost of the real code's decisions)")
    print(f"  => a day of 100,000 cameras ~ {day_100k / 60:.1f} min")
    assert result.issued > CAMERAS * 20       # it simulated the day: ~30 refreshes per camera
