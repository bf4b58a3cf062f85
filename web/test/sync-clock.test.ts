import { describe, expect, it } from "vitest";
import { CATCH_UP_LEAD_MS, catchUp, correction, DEAD_ZONE_MS, HOLD_CAP_MS, HoldCap, SyncClock } from "../src/sync/clock";

describe("following the shared clock", () => {
  it("leaves a player alone only within the dead zone, nudges beyond it, seeks far off", () => {
    expect(correction(DEAD_ZONE_MS - 1, 1)).toEqual({ seek: false, playbackRate: 1 });
    const ahead = correction(DEAD_ZONE_MS + 20, 1);
    expect(ahead.seek).toBe(false);
    expect(ahead.playbackRate).toBeLessThan(1);
    expect(correction(-(DEAD_ZONE_MS + 20), 2).playbackRate).toBeGreaterThan(2);
    expect(correction(500, 1).seek).toBe(true);
  });

  it("runs at its rate while playing and holds while a player loads", () => {
    let now = 0;
    const clock = new SyncClock(1000, () => now);
    clock.setPlaying(true);
    now = 500;
    expect(clock.wall()).toBe(1500);
    clock.hold(true);
    now = 900;
    expect(clock.wall()).toBe(1500);
    clock.hold(false);
    now = 1000;
    expect(clock.wall()).toBe(1600);
  });
});

describe("a player that holds the clock too long", () => {
  it("holds it at most HOLD_CAP_MS, then catches up without holding until reset", () => {
    const cap = new HoldCap(1000);
    expect(cap.waitFor(true, 0)).toBe(true);
    expect(cap.waitFor(true, 1000)).toBe(true);
    expect(cap.waitFor(true, 1001)).toBe(false);
    expect(cap.catchingUp).toBe(true);
    expect(cap.waitFor(true, 5000)).toBe(false);     // stalled again: the others still go on
    cap.reset();
    expect(cap.waitFor(true, 6000)).toBe(true);      // a fresh hold, after a seek of every player
  });

  it("counts one hold: a tick without it starts the count again", () => {
    const cap = new HoldCap(1000);
    cap.waitFor(true, 0);
    expect(cap.waitFor(false, 900)).toBe(false);
    expect(cap.waitFor(true, 950)).toBe(true);
    expect(cap.waitFor(true, 1900)).toBe(true);
    expect(cap.catchingUp).toBe(false);
    expect(HOLD_CAP_MS).toBeGreaterThan(1000);       // longer than a seek takes to land under load
  });

  it("seeks a lagging player ahead of the clock, lets one ahead wait for it, then follows", () => {
    expect(catchUp(-5000, 1)).toEqual({ action: "seek", to: CATCH_UP_LEAD_MS });
    expect(catchUp(-5000, 2)).toEqual({ action: "seek", to: 2 * CATCH_UP_LEAD_MS });
    expect(catchUp(CATCH_UP_LEAD_MS - 100, 1)).toEqual({ action: "wait" });
    expect(catchUp(DEAD_ZONE_MS - 1, 1)).toEqual({ action: "follow" });
    expect(catchUp(-300, 1)).toEqual({ action: "follow" });
    expect(catchUp(10 * CATCH_UP_LEAD_MS, 1).action).toBe("seek");
  });
});
