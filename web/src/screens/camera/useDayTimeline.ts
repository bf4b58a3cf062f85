// The camera page's day and playback position: the day's timeline (today's refreshed every 30 s),
// the cursor that follows playback, seeking to any instant (loading its day first when it is
// another one), and following playback past midnight into the next day.
import { useCallback, useEffect, useLayoutEffect, useReducer, useRef, useState } from "preact/hooks";
import { words, type Words } from "../../i18n";
import type { RefObject } from "preact";
import { api } from "../../api";
import type { PlayerController } from "../../player/controller";
import { navigate } from "../../router";
import { dayEnd, dayStart, formatClock } from "../../time";
import { playableFrom, type TimelineItem } from "../../timeline/model";
import { dayReducer } from "./day-state";

/** What another hook (the day crossing) hangs on the timeline: told of every loaded day, and able
 * to hold the day still while it steps across days. */
export interface DayListeners {
  loaded?: (day: number, items: TimelineItem[]) => void;
  holds?: () => boolean;
}

export interface DayTimeline {
  day: number | null;
  items: TimelineItem[];
  itemsDay: number | null;
  cursor: number | null;
  setCursor: (t: number | null) => void;
  /** Seek to a wall-clock instant, loading its day first when it is another one. */
  seekTo: (t: number) => void;
  /** Play the day's first recording at or after `target` (saying so when it is later). */
  startAt: (target: number, list: TimelineItem[]) => void;
  /** Show another day with its items unknown / go back to a day keeping its items. */
  goDay: (day: number) => void;
  returnTo: (day: number) => void;
  /** The camera's newest clip, when the URL named no time. */
  begin: (start: number) => void;
  loadDay: (d: number, current?: () => boolean) => Promise<TimelineItem[] | null>;
  listeners: RefObject<DayListeners>;
}

export function useDayTimeline(opts: {
  id: string;
  t: number | null;
  player: RefObject<PlayerController | null>;
  say: (m: Words | null) => void;
  playing: boolean;
  /** False while the page's first frame is on its way: the day's timeline is asked after it
   * (player/first-frame.ts); seeking does not wait. */
  ready: boolean;
}): DayTimeline {
  const { id, t, player, say, playing, ready } = opts;
  const [s, dispatch] = useReducer(dayReducer, { day: t !== null ? dayStart(t) : null, items: [], itemsDay: null });
  const [cursor, setCursor] = useState<number | null>(t);
  const wantSeek = useRef<number | null>(t);
  const listeners = useRef<DayListeners>({});
  const dayRef = useRef(s.day);
  dayRef.current = s.day;
  const { day, items, itemsDay } = s;

  const loadDay = useCallback(
    async (d: number, current: () => boolean = () => true) => {
      try {
        const tl = await api.timeline(id, d, dayEnd(d));
        if (!current()) return null; // an answer for a day the page has left
        dispatch({ type: "loaded", day: d, items: tl.items });
        return tl.items;
      } catch (e) {
        if (current()) say((e as Error).message);
        return null;
      }
    },
    [id],
  );

  const startAt = (target: number, list: TimelineItem[]) => {
    const from = playableFrom(list, target);
    if (from === null) {
      setCursor(target);
      say(words("camera.timeline.noneFrom"));
      player.current?.pause();
      return;
    }
    say(from > target + 1000 ? words("camera.timeline.playingFrom", { at: formatClock(target), from: formatClock(from) }) : null);
    setCursor(from);
    void player.current?.seek(from);
  };

  // start playing at once: the player finds the first recording at or after the instant itself, so
  // the first frame waits neither for the day's timeline nor for the first paint (a layout effect)
  useLayoutEffect(() => {
    if (day === null || wantSeek.current === null) return;
    const target = wantSeek.current;
    wantSeek.current = null;
    setCursor(target);
    void player.current?.seek(target);
  }, [day]);

  // the day's timeline (once the first frame is on screen); today's is refreshed as new clips arrive
  useLayoutEffect(() => {
    if (day === null || !ready) return;
    let alive = true;
    void loadDay(day, () => alive).then((list) => {
      if (list) listeners.current.loaded?.(day, list);
    });
    const today = dayStart(Date.now()) === day;
    const timer = today ? setInterval(() => void loadDay(day, () => alive), 30_000) : undefined;
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [day, loadDay, ready]);

  // playback that runs on past midnight (the player moves on to the next recording by itself)
  // takes the timeline to the day it is now in, so the cursor never leaves the timeline
  useEffect(() => {
    if (cursor === null || day === null || !playing || listeners.current.holds?.()) return;
    const d = dayStart(cursor);
    if (d !== day) dispatch({ type: "go", day: d });
  }, [cursor, day, playing]);

  const seekTo = (target: number) => {
    navigate(`/cameras/${encodeURIComponent(id)}?t=${Math.round(target)}`, true);
    const d = dayStart(target);
    if (d === day && itemsDay !== day) {
      // the day shown, its timeline not in yet (held for the first frame, or on its way): the player
      // finds the recording at or after the instant itself
      setCursor(target);
      void player.current?.seek(target);
      return;
    }
    if (d !== itemsDay) {
      wantSeek.current = target;
      setCursor(target);
      dispatch({ type: "go", day: d });
      return;
    }
    startAt(target, items);
  };

  const begin = (start: number) => {
    if (wantSeek.current !== null || dayRef.current !== null) return;
    wantSeek.current = start;
    setCursor(start);
    dispatch({ type: "go", day: dayStart(start) });
  };

  return {
    day,
    items,
    itemsDay,
    cursor,
    setCursor,
    seekTo,
    startAt,
    goDay: (d) => dispatch({ type: "go", day: d }),
    returnTo: (d) => dispatch({ type: "return", day: d }),
    begin,
    loadDay,
    listeners,
  };
}
