import { describe, expect, it } from "vitest";
import { dayReducer, type DayState } from "../src/screens/camera/day-state";
import type { TimelineItem } from "../src/timeline/model";

const D1 = Date.UTC(2026, 11, 1);
const D2 = Date.UTC(2026, 11, 2);
const items: TimelineItem[] = [{ type: "clip", key: "k", start: D1 + 1000, end: D1 + 3000 }];

describe("the camera page's day reducer", () => {
  it("going to another day empties the list and keeps which day the old items were for", () => {
    const s: DayState = { day: D1, items, itemsDay: D1 };
    const next = dayReducer(s, { type: "go", day: D2 });
    expect(next).toEqual({ day: D2, items: [], itemsDay: D1 });
  });

  it("a load fills the items and names their day together", () => {
    const s: DayState = { day: D2, items: [], itemsDay: D1 };
    expect(dayReducer(s, { type: "loaded", day: D2, items })).toEqual({ day: D2, items, itemsDay: D2 });
  });

  it("returning to a day keeps the items it has", () => {
    const s: DayState = { day: D2, items, itemsDay: D1 };
    expect(dayReducer(s, { type: "return", day: D1 })).toEqual({ day: D1, items, itemsDay: D1 });
  });
});
