import { describe, expect, it } from "vitest";
import type { ActivityEvent } from "../src/activity/api-activity";
import { activityOnlyTarget, eventAt, fineWindow, neighbour, stripBars, stripSource, type Peaks } from "../src/activity/model";
import { keyAction } from "../src/player/keyboard";

const ev = (start: number, end: number): ActivityEvent => ({
  id: `cam:${start + 1000}`, camera: "cam", start, end, peak: 0.5, zones: [], box: null,
  first_clip: "videos/cam/x.ts", active_seconds: 3, reviewed: false,
});
const day = [ev(10_000, 20_000), ev(60_000, 70_000), ev(100_000, 104_000)];

describe("activity model", () => {
  it("finds the event under the cursor", () => {
    expect(eventAt(day, 15_000)?.start).toBe(10_000);
    expect(eventAt(day, 20_000)).toBeNull();
  });

  it("steps to the next and previous event", () => {
    expect(neighbour(day, 0, "next")?.start).toBe(10_000);
    expect(neighbour(day, 10_000, "next")?.start).toBe(60_000);     // from an event's start: the one after
    expect(neighbour(day, 100_000, "next")).toBeNull();
    expect(neighbour(day, 65_000, "previous")?.start).toBe(60_000); // well inside: back to its start
    expect(neighbour(day, 60_500, "previous")?.start).toBe(10_000); // at its start: the one before
    expect(neighbour(day, 5_000, "previous")).toBeNull();
  });

  it("plays activity only: stays inside events, jumps over quiet, ends after the last", () => {
    expect(activityOnlyTarget(day, 12_000)).toBeNull();
    expect(activityOnlyTarget(day, 20_000)).toBe(60_000);
    expect(activityOnlyTarget(day, 0)).toBe(10_000);
    expect(activityOnlyTarget(day, 104_000)).toBe("end");
  });

  it("maps n and p to the event keys", () => {
    expect(keyAction({ key: "n", target: document.body })).toEqual({ type: "event", dir: "next" });
    expect(keyAction({ key: "P", target: document.body })).toEqual({ type: "event", dir: "previous" });
    expect(keyAction({ key: "n", target: document.createElement("input") })).toBeNull();
  });
});

describe("activity strip at the timeline's zoom", () => {
  const H = 3_600_000;
  const dayPeaks: Peaks = { start: 0, end: 24 * H, peaks: Array.from({ length: 1440 }, (_, i) => (i === 600 ? 0.9 : 0)) };

  it("places the day's bars in the view, clipped at its edges", () => {
    const whole = stripBars(dayPeaks, { start: 0, end: 24 * H });
    expect(whole).toHaveLength(1);
    expect(whole[0].left).toBeCloseTo((600 / 1440) * 100);
    const zoomed = stripBars(dayPeaks, { start: 10 * H, end: 11 * H }); // minute 600 = 10:00
    expect(zoomed).toHaveLength(1);
    expect(zoomed[0].left).toBeCloseTo(0);
    expect(zoomed[0].width).toBeCloseTo((60_000 / H) * 100);
    expect(stripBars(dayPeaks, { start: 11 * H, end: 12 * H })).toEqual([]);
    const cut = stripBars(dayPeaks, { start: 10 * H + 30_000, end: 10 * H + 90_000 }); // half the bar in view
    expect(cut[0].width).toBeCloseTo(50);
  });

  it("asks for finer bins under an hour, over whole hours, and uses them only where they cover the view", () => {
    const day = { start: 0, end: 24 * H };
    expect(fineWindow({ start: 0, end: 2 * H }, day)).toBeNull();
    expect(fineWindow({ start: 10 * H + 60_000, end: 10 * H + 120_000 }, day)).toEqual({ start: 10 * H, end: 11 * H });
    expect(fineWindow({ start: 10.5 * H, end: 11.25 * H }, day)).toEqual({ start: 10 * H, end: 12 * H });
    expect(fineWindow({ start: 23.5 * H, end: 24 * H }, day)).toEqual({ start: 23 * H, end: 24 * H });
    const fine: Peaks = { start: 10 * H, end: 11 * H, peaks: new Array(720).fill(0) };
    expect(stripSource(dayPeaks, fine, { start: 10 * H, end: 10.5 * H })).toBe(fine);
    expect(stripSource(dayPeaks, fine, { start: 10.5 * H, end: 11.5 * H })).toBe(dayPeaks);
    expect(stripSource(dayPeaks, null, { start: 10 * H, end: 10.5 * H })).toBe(dayPeaks);
  });
});
