// The timeline's geometry and navigation, free of the DOM so it is unit-tested: a view window
// [start, end) inside the day's bounds, zoomable from 24 h down to one minute.

export interface ClipItem {
  type: "clip";
  key: string;
  start: number;
  end: number;
  duration?: number | null;
  size?: number | null;
  status?: "ok" | "unreadable";
  reason?: string | null;
  format?: "ts" | "mp4";
}
export interface GapItem {
  type: "gap";
  start: number;
  end: number;
}
export type TimelineItem = ClipItem | GapItem;

export interface Span {
  start: number;
  end: number;
}

export const MIN_SPAN = 60_000;
/** Clips closer than this are one block (a camera cuts clips back to back, give or take a frame). */
const JOIN_MS = 300;

/** Keeps a view inside `bounds`, at least a minute wide, at most the bounds' width. */
export function clampView(view: Span, bounds: Span): Span {
  const maxSpan = bounds.end - bounds.start;
  const span = Math.min(maxSpan, Math.max(MIN_SPAN, view.end - view.start));
  let start = view.start;
  if (start < bounds.start) start = bounds.start;
  if (start + span > bounds.end) start = bounds.end - span;
  return { start, end: start + span };
}

/** Zooms by `factor` (< 1 zooms in) keeping the instant `anchor` under the same pixel. */
export function zoomAt(view: Span, factor: number, anchor: number, bounds: Span): Span {
  const span = view.end - view.start;
  const next = Math.min(bounds.end - bounds.start, Math.max(MIN_SPAN, span * factor));
  const ratio = span > 0 ? (anchor - view.start) / span : 0.5;
  const start = anchor - ratio * next;
  return clampView({ start, end: start + next }, bounds);
}

/** Moves the view by `delta` ms. */
export function pan(view: Span, delta: number, bounds: Span): Span {
  return clampView({ start: view.start + delta, end: view.end + delta }, bounds);
}

/** Shifts the view just enough for `t` to be visible (with a 5 % margin); unchanged when it is. */
export function follow(view: Span, t: number, bounds: Span): Span {
  const span = view.end - view.start;
  if (t >= view.start && t <= view.end) return view;
  const start = t - span * 0.05;
  return clampView({ start, end: start + span }, bounds);
}

export function timeToX(view: Span, t: number, width: number): number {
  return ((t - view.start) / (view.end - view.start)) * width;
}

export function xToTime(view: Span, x: number, width: number): number {
  const w = width > 0 ? width : 1;
  return view.start + (Math.min(Math.max(x, 0), w) / w) * (view.end - view.start);
}

const TICK_STEPS = [
  1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 2 * 60_000, 5 * 60_000, 10 * 60_000, 15 * 60_000,
  30 * 60_000, 3_600_000, 2 * 3_600_000, 3 * 3_600_000, 6 * 3_600_000,
];

/** The tick step for a view: the smallest that leaves at least `minPx` pixels between ticks. */
export function tickStep(view: Span, width: number, minPx = 70): number {
  const perPx = (view.end - view.start) / Math.max(width, 1);
  return TICK_STEPS.find((s) => s / perPx >= minPx) ?? TICK_STEPS[TICK_STEPS.length - 1];
}

/** Tick instants on local-time multiples of the step (so 1 h ticks fall on :00 in any zone). */
export function ticks(view: Span, width: number, minPx = 70): number[] {
  const step = tickStep(view, width, minPx);
  const offset = new Date(view.start).getTimezoneOffset() * 60_000;
  let t = Math.ceil((view.start - offset) / step) * step + offset;
  const out: number[] = [];
  while (t <= view.end && out.length < 200) {
    out.push(t);
    t += step;
  }
  return out;
}

export function clips(items: TimelineItem[]): ClipItem[] {
  return items.filter((i): i is ClipItem => i.type === "clip").sort((a, b) => a.start - b.start);
}

/** The clip that holds `t` ([start, end)), or null in a gap. */
export function clipAt(items: TimelineItem[], t: number): ClipItem | null {
  return clips(items).find((c) => c.start <= t && t < c.end) ?? null;
}

/** The first clip that starts after `t` (the "next clip" button). */
export function nextClip(items: TimelineItem[], t: number): ClipItem | null {
  return clips(items).find((c) => c.start > t + 250) ?? null;
}

/** The clip before the one under `t` (or before the gap `t` is in): the "previous clip" button. */
export function prevClip(items: TimelineItem[], t: number): ClipItem | null {
  const all = clips(items);
  const here = all.findIndex((c) => c.start <= t && t < c.end);
  if (here > 0) return all[here - 1];
  if (here === 0) return null;
  const before = all.filter((c) => c.end <= t);
  return before.length ? before[before.length - 1] : null;
}

/** A previous/next clip that lies on another day: resolved once that day's timeline is loaded. */
export type WantClip = { dir: 1 | -1; from: number; day: number };

/** The clip a previous/next step lands on in a newly loaded day: the first clip starting after
 * `from` (next), or the last one starting before it (previous; `from` is the current clip's start). */
export function clipAcrossDays(list: TimelineItem[], want: WantClip): ClipItem | null {
  const all = clips(list);
  if (want.dir === 1) return all.find((c) => c.start > want.from) ?? null;
  const before = all.filter((c) => c.start < want.from);
  return before.length ? before[before.length - 1] : null;
}

/** The first instant at or after `t` that has a recording (seeking into a gap lands there). */
export function playableFrom(items: TimelineItem[], t: number): number | null {
  const here = clipAt(items, t);
  if (here) return t;
  const next = nextClip(items, t - 251);
  return next ? next.start : null;
}

/** Merges adjacent clips (less than a pixel or JOIN_MS apart) into blocks for drawing at coarse zoom. */
export function blocks(items: TimelineItem[], view: Span, width: number): Array<Span & { keys: string[]; bad: boolean }> {
  const perPx = (view.end - view.start) / Math.max(width, 1);
  const out: Array<Span & { keys: string[]; bad: boolean }> = [];
  for (const c of clips(items)) {
    if (c.end < view.start || c.start > view.end) continue;
    const last = out[out.length - 1];
    const bad = c.status === "unreadable";
    if (last && c.start - last.end <= Math.max(perPx, JOIN_MS) && last.bad === bad) {
      last.end = Math.max(last.end, c.end);
      last.keys.push(c.key);
    } else {
      out.push({ start: c.start, end: c.end, keys: [c.key], bad });
    }
  }
  return out;
}
