import { describe, expect, it } from "vitest";
import {
  blocks, clampView, clipAt, follow, MIN_SPAN, nextClip, pan, playableFrom, prevClip, tickStep, ticks, timeToX, xToTime, zoomAt,
  type TimelineItem,
} from "../src/timeline/model";

const DAY = { start: Date.UTC(2026, 10, 30, 23), end: Date.UTC(2026, 11, 1, 23) };
const at = (h: number, m = 0, s = 0) => DAY.start + ((h * 60 + m) * 60 + s) * 1000;
const clip = (start: number, end: number, key = `k${start}`): TimelineItem => ({ type: "clip", key, start, end });
const items: TimelineItem[] = [
  clip(at(10), at(10, 0, 10), "a"),
  clip(at(10, 0, 10), at(10, 0, 20), "b"),
  { type: "gap", start: at(10, 0, 20), end: at(10, 5) },
  clip(at(10, 5), at(10, 5, 10), "c"),
];

describe("view geometry", () => {
  it("zooms from the whole day down to one minute and no further", () => {
    let v = DAY;
    for (let i = 0; i < 40; i++) v = zoomAt(v, 0.5, at(12), DAY);
    expect(v.end - v.start).toBe(MIN_SPAN);
    expect(v.start <= at(12) && at(12) <= v.end).toBe(true);
    for (let i = 0; i < 40; i++) v = zoomAt(v, 2, at(12), DAY);
    expect(v).toEqual(DAY);
  });

  it("keeps the anchor under the same pixel when zooming", () => {
    const v = zoomAt(DAY, 0.25, at(6), DAY);
    expect(timeToX(v, at(6), 1000)).toBeCloseTo(timeToX(DAY, at(6), 1000), 6);
  });

  it("pans and clamps inside the day", () => {
    const v = { start: at(1), end: at(2) };
    expect(pan(v, -5 * 3600_000, DAY)).toEqual({ start: DAY.start, end: at(1) });
    expect(pan(v, 48 * 3600_000, DAY)).toEqual({ start: DAY.end - 3600_000, end: DAY.end });
    expect(clampView({ start: at(5), end: at(5) + 10 }, DAY).end - at(5)).toBe(MIN_SPAN);
  });

  it("follows a cursor that leaves the view", () => {
    const v = { start: at(1), end: at(2) };
    expect(follow(v, at(1, 30), DAY)).toBe(v);
    const moved = follow(v, at(3), DAY);
    expect(moved.end - moved.start).toBe(3600_000);
    expect(moved.start < at(3) && at(3) < moved.end).toBe(true);
  });

  it("maps pixels to instants and back", () => {
    expect(xToTime(DAY, 500, 1000)).toBe(at(12));
    expect(xToTime(DAY, -20, 1000)).toBe(DAY.start);
    expect(xToTime(DAY, 5000, 1000)).toBe(DAY.end);
    expect(timeToX(DAY, at(6), 1000)).toBe(250);
  });

  it("picks ticks on round local times with room between them", () => {
    expect(tickStep(DAY, 1000)).toBe(2 * 3600_000);
    expect(ticks(DAY, 1000)[0]).toBe(DAY.start);
    const minute = { start: at(10, 0, 7), end: at(10, 1, 7) };
    const ts = ticks(minute, 1000);
    expect(tickStep(minute, 1000)).toBe(5_000);
    expect(ts[0]).toBe(at(10, 0, 10));
    expect(ts.every((t, i) => i === 0 || t - ts[i - 1] === 5_000)).toBe(true);
  });
});

describe("navigation", () => {
  it("finds the clip under an instant, none in a gap", () => {
    expect(clipAt(items, at(10, 0, 12))?.key).toBe("b");
    expect(clipAt(items, at(10, 2))).toBeNull();
    expect(clipAt(items, at(10, 0, 20))).toBeNull(); // end is exclusive
  });

  it("next and previous clip", () => {
    expect(nextClip(items, at(10, 0, 3))?.key).toBe("b");
    expect(nextClip(items, at(10, 2))?.key).toBe("c");
    expect(nextClip(items, at(10, 5, 1))).toBeNull();
    expect(prevClip(items, at(10, 5, 3))?.key).toBe("b");
    expect(prevClip(items, at(10, 2))?.key).toBe("b");
    expect(prevClip(items, at(10, 0, 3))).toBeNull();
  });

  it("a seek into a gap plays from the next recording", () => {
    expect(playableFrom(items, at(10, 0, 5))).toBe(at(10, 0, 5));
    expect(playableFrom(items, at(10, 3))).toBe(at(10, 5));
    expect(playableFrom(items, at(9))).toBe(at(10));
    expect(playableFrom(items, at(11))).toBeNull();
  });

  it("draws touching clips as one block and keeps gaps apart", () => {
    const bs = blocks(items, { start: at(9, 59), end: at(10, 6) }, 1000);
    expect(bs.map((b) => b.keys)).toEqual([["a", "b"], ["c"]]);
    const coarse = blocks(items, DAY, 1000); // 86 s per pixel: the 4:40 gap is still > 1 px
    expect(coarse).toHaveLength(2);
  });
});
