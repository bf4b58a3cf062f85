// A camera day's activity for the page: the events (with your review state) and the histogram of
// the strip, loaded together when the day changes; review marks change the list in place.
import { useCallback, useEffect, useState } from "preact/hooks";
import type { Span } from "../timeline/model";
import { activityApi, type ActivityEvent } from "./api-activity";
import { FINE_BIN_MS, type Peaks } from "./model";

export const STRIP_BINS = 1440; // a minute a bin over a day

export interface DayActivity {
  events: ActivityEvent[];
  peaks: number[];
  loaded: boolean;
  error: string | null;
  setReviewed: (ev: ActivityEvent, reviewed: boolean) => Promise<void>;
}

export function useActivity(camera: string, start: number | null, end: number | null): DayActivity {
  const [events, setEvents] = useState<ActivityEvent[]>([]);
  const [peaks, setPeaks] = useState<number[]>([]);
  const [loaded, setLoaded] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (start === null || end === null) return;
    let alive = true;
    setLoaded(false);
    setError(null);
    Promise.all([activityApi.events(camera, start, end), activityApi.histogram(camera, start, end, STRIP_BINS)])
      .then(([ev, hist]) => {
        if (!alive) return;
        setEvents(ev.events);
        setPeaks(hist.peaks);
        setLoaded(true);
      })
      .catch((e: Error) => {
        if (!alive) return;
        setEvents([]);
        setPeaks([]);
        setError(e.message);
        setLoaded(true);
      });
    return () => {
      alive = false;
    };
  }, [camera, start, end]);

  // shown at once, then as the server answers (put back if it refuses)
  const setReviewed = useCallback(async (ev: ActivityEvent, reviewed: boolean) => {
    const mark = (id: string, value: boolean) =>
      setEvents((list) => list.map((e) => (e.id === id ? { ...e, reviewed: value } : e)));
    mark(ev.id, reviewed);
    try {
      const r = await activityApi.review(ev, reviewed);
      mark(r.id, r.reviewed);
    } catch (e) {
      mark(ev.id, ev.reviewed);
      throw e;
    }
  }, []);

  return { events, peaks, loaded, error, setReviewed };
}

/** The finer histogram of `window` (model.fineWindow: whole hours around a zoomed-in view), asked
 * for once per window; null until it arrives, or while the view needs none (the day's bins serve). */
export function useFinePeaks(camera: string, window: Span | null): Peaks | null {
  const [fine, setFine] = useState<Peaks | null>(null);
  const start = window?.start ?? null;
  const end = window?.end ?? null;
  useEffect(() => {
    if (start === null || end === null) return;
    let alive = true;
    const bins = Math.max(1, Math.round((end - start) / FINE_BIN_MS));
    activityApi
      .histogram(camera, start, end, bins)
      .then((h) => {
        if (alive) setFine({ start, end, peaks: h.peaks });
      })
      .catch(() => {
        if (alive) setFine(null); // the day's minute bins stay on screen
      });
    return () => {
      alive = false;
    };
  }, [camera, start, end]);
  return fine;
}
