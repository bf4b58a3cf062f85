// Previous / next clip across days. A step past the day's first/last clip goes to the adjacent day
// first (its timeline is loaded anyway, and with continuous recording it has the clip); only when
// that day is empty does it ask the calendar for the nearest day with recordings.
import { useRef, useState } from "preact/hooks";
import { words, type Words } from "../../i18n";
import { navigate } from "../../router";
import { dayEnd, dayKey, dayStart, parseDayKey } from "../../time";
import { clipAcrossDays, clipAt, nextClip, prevClip, type ClipItem, type TimelineItem, type WantClip } from "../../timeline/model";
import { adjacentRecordedDay, MAX_MONTHS_BACK, recordedDays } from "../../timeline/recorded-days";
import type { DayTimeline } from "./useDayTimeline";

/** A step under way: where it goes, the day it started from, and whether the calendar was asked. */
type Crossing = WantClip & { origin: number; searched: boolean };

export interface DayCrossing {
  /** Whether a step would be taken now: the day's timeline is loaded and no step or search is under
   * way. The buttons are disabled otherwise, so a click is never silently dropped (e.g. one made
   * right after "no recordings after…", while the page reloads the day it went back to). */
  canStep: boolean;
  /** Previous (-1) / next (1) clip, on another day at the day's first / last. */
  step: (dir: 1 | -1) => void;
  here: ClipItem | null;
}

export function useDayCrossing(tl: DayTimeline, opts: { id: string; say: (m: Words | null) => void }): DayCrossing {
  const { id, say } = opts;
  const want = useRef<Crossing | null>(null);
  const [searching, setSearching] = useState(false);
  const { day, items, itemsDay, cursor } = tl;

  /** A loaded day: when a step was waiting for it, its clip, or the calendar, or "none". */
  const loaded = (d: number, list: TimelineItem[]) => {
    const w = want.current;
    if (!w || w.day !== d) return;
    const c = clipAcrossDays(list, w);
    if (c) {
      want.current = null;
      navigate(`/cameras/${encodeURIComponent(id)}?t=${Math.round(c.start)}`, true);
      tl.startAt(c.start, list);
    } else if (!w.searched) void searchDays(w);
    else {
      want.current = null;
      say(w.dir === 1 ? words("camera.crossing.noLater") : words("camera.crossing.noEarlier"));
    }
  };
  tl.listeners.current = { loaded, holds: () => want.current !== null };

  /** The adjacent day was empty: the nearest day with recordings past it, from the calendar; none
   * → back to the day the step started from, saying so. */
  const searchDays = async (w: Crossing) => {
    setSearching(true);
    say(w.dir === 1 ? words("camera.crossing.lookingNext") : words("camera.crossing.lookingPrev"));
    try {
      const found = await adjacentRecordedDay((m) => recordedDays(id, m), dayKey(w.day), w.dir, Date.now());
      const start = found !== null ? parseDayKey(found) : null;
      if (want.current !== w) return; // the viewer went elsewhere meanwhile
      want.current = start === null ? null : { ...w, day: start, searched: true };
      if (start === null) {
        const origin = dayKey(w.origin);
        say(w.dir === 1 ? words("camera.crossing.noneAfter", { day: origin }) : words("camera.crossing.noneBefore", { day: origin, months: MAX_MONTHS_BACK }));
      } else say(null);
      tl.goDay(start ?? w.origin);
    } catch (e) {
      if (want.current === w) {
        want.current = null;
        tl.returnTo(w.origin);
      }
      say((e as Error).message);
    } finally {
      setSearching(false);
    }
  };

  const here = cursor !== null ? clipAt(items, cursor) : null;

  const canStep = day !== null && cursor !== null && itemsDay === day && !searching && want.current === null;

  const step = (dir: 1 | -1) => {
    if (!canStep) return;
    const s = dir === 1 ? nextClip(items, cursor) : prevClip(items, cursor);
    if (s) {
      tl.seekTo(s.start);
      return;
    }
    const from = dir === 1 ? cursor : (here?.start ?? cursor);
    const adjacent = dir === 1 ? dayEnd(day) : dayStart(day - 1);
    want.current = { dir, from, day: adjacent, origin: day, searched: false };
    tl.goDay(adjacent);
  };

  return { canStep, step, here };
}
