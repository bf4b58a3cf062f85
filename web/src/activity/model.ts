// Pure rules of the activity panel, kept out of the components so they are easy to follow:
// which event is next / previous from the cursor, where "play activity only" goes next, and which
// histogram bars the strip draws at the timeline's zoom.
import type { Span } from "../timeline/model";
import type { ActivityEvent } from "./api-activity";

/** The event holding `t`, or null. Events are sorted by start. */
export function eventAt(events: ActivityEvent[], t: number): ActivityEvent | null {
  for (const ev of events) if (ev.start <= t && t < ev.end) return ev;
  return null;
}

/** The first event starting after `t` ("next") or the last starting before the current one ("previous"). */
export function neighbour(events: ActivityEvent[], t: number, dir: "next" | "previous"): ActivityEvent | null {
  if (dir === "next") return events.find((ev) => ev.start > t + 500) ?? null;
  // within the first seconds of an event "previous" goes to the one before it, as a player's back key
  const current = eventAt(events, t);
  const before = current && t - current.start > 2_000 ? current.start + 1 : t - 500;
  let hit: ActivityEvent | null = null;
  for (const ev of events) if (ev.start < before) hit = ev;
  return hit;
}

/** "Play activity only": where the player must go from `t` — null while inside an event (keep
 * playing), the next event's start in a quiet stretch, or "end" when no event is left. */
export function activityOnlyTarget(events: ActivityEvent[], t: number): number | null | "end" {
  if (eventAt(events, t)) return null;
  const next = events.find((ev) => ev.start >= t);
  return next ? next.start : "end";
}

/** A histogram of peak scores: `peaks.length` equal bins over [start, end). */
export interface Peaks {
  start: number;
  end: number;
  peaks: number[];
}

/** One bar of the strip: where it sits in the visible span (percent) and how tall it is (0–1). */
export interface StripBar {
  bin: number;
  left: number;
  width: number;
  peak: number;
}

/** The bars of `src` inside `view`, placed as percentages of the view (the strip follows the
 * timeline's zoom); a bar cut by the view's edge is clipped to it. */
export function stripBars(src: Peaks, view: Span): StripBar[] {
  const span = Math.max(1, view.end - view.start);
  const n = src.peaks.length;
  if (n === 0) return [];
  const step = (src.end - src.start) / n;
  const first = Math.max(0, Math.floor((view.start - src.start) / step));
  const last = Math.min(n - 1, Math.ceil((view.end - src.start) / step) - 1);
  const out: StripBar[] = [];
  for (let i = first; i <= last; i++) {
    const peak = src.peaks[i] ?? 0;
    if (peak <= 0) continue;
    const a = Math.max(view.start, src.start + i * step);
    const b = Math.min(view.end, src.start + (i + 1) * step);
    if (b <= a) continue;
    out.push({ bin: i, left: ((a - view.start) / span) * 100, width: ((b - a) / span) * 100, peak });
  }
  return out;
}

export const HOUR_MS = 3_600_000;
/** Below an hour of view the day's minute bins are too coarse: a finer histogram is asked for. */
export const FINE_VIEW_MS = HOUR_MS;
export const FINE_BIN_MS = 5_000;

/** The window to ask a finer histogram for when the view is narrower than FINE_VIEW_MS: whole hours
 * around the view (at most two: ≤ 1,440 bins of FINE_BIN_MS), so following the playback cursor
 * within an hour asks for nothing new. Null when the day's bins are fine enough. */
export function fineWindow(view: Span, day: Span): Span | null {
  if (view.end - view.start > FINE_VIEW_MS) return null;
  const start = Math.max(day.start, day.start + Math.floor((view.start - day.start) / HOUR_MS) * HOUR_MS);
  const end = Math.min(day.end, day.start + Math.ceil((view.end - day.start) / HOUR_MS) * HOUR_MS);
  return end > start ? { start, end } : null;
}

/** The histogram to draw for `view`: the fine one when it covers the view, else the day's. */
export function stripSource(day: Peaks, fine: Peaks | null, view: Span): Peaks {
  return fine && fine.start <= view.start && view.end <= fine.end ? fine : day;
}
