// The camera page's day as one value: which day the timeline shows, and the items loaded for
// which day. They change together (a new day empties the list; a load fills it and says for which
// day), so one reducer moves them instead of three setters that must be called in step.
import type { TimelineItem } from "../../timeline/model";

export interface DayState {
  /** Start of the day the timeline shows (null until the camera says where to start). */
  day: number | null;
  /** The items last loaded, and the day they belong to (the timeline shows them only for `day`). */
  items: TimelineItem[];
  itemsDay: number | null;
}

export type DayAction =
  /** Show another day: its items are not known yet. */
  | { type: "go"; day: number }
  /** Back to a day whose items are kept (a search for another day failed). */
  | { type: "return"; day: number }
  /** A day's timeline answered. */
  | { type: "loaded"; day: number; items: TimelineItem[] };

export function dayReducer(s: DayState, a: DayAction): DayState {
  switch (a.type) {
    case "go":
      return { ...s, day: a.day, items: [] };
    case "return":
      return { ...s, day: a.day };
    case "loaded":
      return { ...s, items: a.items, itemsDay: a.day };
  }
}
