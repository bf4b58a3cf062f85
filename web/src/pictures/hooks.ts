// Pictures (issue 24): the timeline's hover thumbnails (the camera's own still of the clip under the pointer, listed 200 s
// at a time through /stills and kept, so moving over the same clips again costs nothing).
import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import { api, type StillRef } from "../api";

const WINDOW_MS = 200_000; // 100 samples every 2 s: one /stills answer per window
const SAMPLE_MS = 2_000;

/** `(t) => url | null`: the thumbnail of instant t (the still of the clip holding it), loading the
 * 200 s window around t on first use; the component re-renders when a window arrives. */
export function useThumbnails(camera: string): (t: number) => string | null {
  const windows = useRef(new Map<number, StillRef[] | "loading">());
  const [, setVersion] = useState(0);
  useEffect(() => {
    windows.current = new Map();
  }, [camera]);
  return useCallback(
    (t: number) => {
      const w0 = Math.floor(t / WINDOW_MS) * WINDOW_MS;
      const got = windows.current.get(w0);
      if (got === undefined) {
        windows.current.set(w0, "loading");
        api
          .stills(camera, w0, w0 + WINDOW_MS, SAMPLE_MS)
          .then((r) => {
            windows.current.set(w0, r.stills);
            setVersion((v) => v + 1);
          })
          .catch(() => windows.current.delete(w0));
        return null;
      }
      if (got === "loading") return null;
      let best: StillRef | null = null;
      // the clip that started last at or before t (a sample before t may still be the clip before it),
      // and its latest sample: one within SAMPLE_MS of t says t is inside that clip, not in a gap after it
      for (const s of got) {
        if (s.shows <= t && (best === null || s.shows > best.shows || (s.shows === best.shows && s.at > best.at))) best = s;
      }
      return best !== null && t - best.at < SAMPLE_MS ? best.url : null;
    },
    [camera],
  );
}
