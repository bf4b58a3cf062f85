import { describe, expect, it } from "vitest";
import type { CalendarDay } from "../src/api";
import { clipAcrossDays, type TimelineItem } from "../src/timeline/model";
import { adjacentRecordedDay, MAX_MONTHS_BACK } from "../src/timeline/recorded-days";
import { ianaZone, monthKey } from "../src/time";

const day = (d: string, clips = 3): CalendarDay => ({ day: d, clips, recorded_ms: clips * 2000 });

/** A calendar of fixed months that also records which months were asked for. */
function months(data: Record<string, CalendarDay[]>) {
  const asked: string[] = [];
  const fetch = async (m: string) => {
    asked.push(m);
    return data[m] ?? [];
  };
  return { fetch, asked };
}

const NOW = new Date(2026, 11, 1, 12).getTime(); // 1 Dec 2026, local

describe("the nearest other day with recordings", () => {
  it("finds the next day in the same month, skipping empty days", async () => {
    const { fetch, asked } = months({ "2026-11": [day("2026-11-10"), day("2026-11-11"), day("2026-11-15")] });
    expect(await adjacentRecordedDay(fetch, "2026-11-11", 1, NOW)).toBe("2026-11-15");
    expect(asked).toEqual(["2026-11"]);
  });
  it("goes on into later months, but not past the current one", async () => {
    const { fetch, asked } = months({ "2026-09": [day("2026-09-30")], "2026-11": [day("2026-11-02")] });
    expect(await adjacentRecordedDay(fetch, "2026-09-30", 1, NOW)).toBe("2026-11-02");
    expect(asked).toEqual(["2026-09", "2026-10", "2026-11"]);
    const later = months({});
    expect(await adjacentRecordedDay(later.fetch, "2026-11-20", 1, NOW)).toBeNull();
    expect(later.asked).toEqual(["2026-11", "2026-12"]);
  });
  it("finds the previous day back across a year, and gives up after MAX_MONTHS_BACK months", async () => {
    const { fetch } = months({ "2025-12": [day("2025-12-24"), day("2025-12-31")], "2026-01": [day("2026-01-05")] });
    expect(await adjacentRecordedDay(fetch, "2026-01-05", -1, NOW)).toBe("2025-12-31");
    const empty = months({});
    expect(await adjacentRecordedDay(empty.fetch, "2026-11-10", -1, NOW)).toBeNull();
    expect(empty.asked.length).toBe(MAX_MONTHS_BACK + 1);
    expect(empty.asked[empty.asked.length - 1]).toBe("2024-11");
  });
  it("ignores days listed with no clips", async () => {
    const { fetch } = months({ "2026-11": [day("2026-11-12", 0), day("2026-11-20")] });
    expect(await adjacentRecordedDay(fetch, "2026-11-10", 1, NOW)).toBe("2026-11-20");
  });
});

describe("the clip a step lands on in the other day", () => {
  const list: TimelineItem[] = [
    { type: "clip", key: "spill", start: 900, end: 1100 }, // runs in from the day before
    { type: "gap", start: 1100, end: 2000 },
    { type: "clip", key: "a", start: 2000, end: 2500 },
    { type: "clip", key: "b", start: 3000, end: 3500 },
  ];
  it("next: the first clip starting after the one it left (not the one running across midnight)", () => {
    expect(clipAcrossDays(list, { dir: 1, from: 950, day: 1000 })?.key).toBe("a");
    expect(clipAcrossDays(list, { dir: 1, from: 800, day: 1000 })?.key).toBe("spill");
    expect(clipAcrossDays(list, { dir: 1, from: 3000, day: 1000 })).toBeNull();
  });
  it("previous: the last clip starting before the one it left", () => {
    expect(clipAcrossDays(list, { dir: -1, from: 9000, day: 1000 })?.key).toBe("b");
    expect(clipAcrossDays(list, { dir: -1, from: 900, day: 1000 })).toBeNull();
  });
});

describe("the zone sent to the calendar", () => {
  it("is the browser's IANA name, and months are local", () => {
    expect(ianaZone()).toBe("Europe/Berlin"); // npm test runs with TZ=Europe/Berlin
    expect(monthKey(Date.UTC(2026, 10, 30, 23, 30))).toBe("2026-12"); // 00:30 on 1 Dec in Berlin
  });
});
