// Which local days have recordings, from the API's month calendar in the viewer's zone (so a
// marked day is exactly a day whose timeline shows recordings), cached briefly per camera and
// month: the calendar and the previous/next-clip search across days ask for the same months.
import { api, type CalendarDay } from "../api";
import { ianaZone, monthKey } from "../time";
import { shiftMonth } from "./calendar";

export type MonthDays = (month: string) => Promise<CalendarDay[]>;

const FRESH_MS = 30_000; // today's counts grow as clips arrive
const cache = new Map<string, { at: number; days: Promise<CalendarDay[]> }>();

/** The days of `month` (`YYYY-MM`, local) with recordings for `camera`. */
export function recordedDays(camera: string, month: string): Promise<CalendarDay[]> {
  const tz = ianaZone();
  const key = `${camera}\n${month}\n${tz ?? ""}`;
  const hit = cache.get(key);
  if (hit && Date.now() - hit.at < FRESH_MS) return hit.days;
  const days = api.calendar(camera, month, tz).then((r) => r.days);
  cache.set(key, { at: Date.now(), days });
  days.catch(() => cache.delete(key)); // a failed month is asked again next time
  return days;
}

/** Drops a camera's cached months (after a delete, its days may have changed). */
export function forgetRecordedDays(camera: string): void {
  for (const key of [...cache.keys()]) if (key.startsWith(`${camera}\n`)) cache.delete(key);
}

/** How far back "previous clip" looks for an earlier day with recordings. */
export const MAX_MONTHS_BACK = 24;

/**
 * The nearest local day after (`dir` 1) or before (-1) `from` (`YYYY-MM-DD`) that has recordings,
 * month by month: forward up to the month of `now` (nothing is recorded later), back at most
 * MAX_MONTHS_BACK months. Null when there is none.
 */
export async function adjacentRecordedDay(days: MonthDays, from: string, dir: 1 | -1, now: number): Promise<string | null> {
  const last = dir === 1 ? monthKey(now) : shiftMonth(from.slice(0, 7), -MAX_MONTHS_BACK);
  for (let month = from.slice(0, 7); dir === 1 ? month <= last : month >= last; month = shiftMonth(month, dir)) {
    const marked = (await days(month)).filter((d) => d.clips > 0).map((d) => d.day).sort();
    const found = dir === 1 ? marked.find((d) => d > from) : marked.reverse().find((d) => d < from);
    if (found) return found;
  }
  return null;
}
