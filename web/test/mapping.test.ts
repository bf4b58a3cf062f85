import { describe, expect, it } from "vitest";
import { mediaToWall, wallToMedia, type FragTime } from "../src/player/mapping";

// two segments, then a gap of 100 s, then a third: media time runs on, wall time jumps
const T0 = Date.UTC(2026, 11, 1, 10);
const frags: FragTime[] = [
  { start: 0, duration: 2, pdt: T0 },
  { start: 2, duration: 2, pdt: T0 + 2000 },
  { start: 4, duration: 2, pdt: T0 + 104_000 },
];

describe("media ↔ wall time", () => {
  it("maps inside segments", () => {
    expect(wallToMedia(frags, T0 + 2500)).toEqual({ time: 2.5, snapped: false });
    expect(wallToMedia(frags, T0 + 105_000)).toEqual({ time: 5, snapped: false });
    expect(mediaToWall(frags, 2.5)).toBe(T0 + 2500);
    expect(mediaToWall(frags, 5)).toBe(T0 + 105_000);
  });

  it("a segment boundary belongs to the segment after it (across a gap too)", () => {
    expect(mediaToWall(frags, 4)).toBe(T0 + 104_000);
    expect(mediaToWall(frags, 2)).toBe(T0 + 2000);
    expect(mediaToWall(frags, 6)).toBe(T0 + 106_000); // the very end of the last one
  });

  it("snaps a gap to the next segment and refuses after the last", () => {
    expect(wallToMedia(frags, T0 + 50_000)).toEqual({ time: 4, snapped: true });
    expect(wallToMedia(frags, T0 - 1)).toEqual({ time: 0, snapped: true });
    expect(wallToMedia(frags, T0 + 106_000)).toBeNull();
    expect(mediaToWall(frags, 7)).toBeNull();
  });
});
