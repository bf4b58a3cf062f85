// A camera page's first frame comes before the rest of the page's requests. The day's timeline, the
// camera's details, its events, activity and stills otherwise start beside the first segment and
// compete with it for the API, the network and, most of all, the main thread (their answers render
// the timeline and the activity strip while hls.js waits to append): measured on the shared 2-core
// machine, they pushed the first segment's request ~400 ms later. They wait until the video plays,
// fails, or has nothing to play, and never longer than HOLD_MS.
import { useEffect, useState } from "preact/hooks";
import type { RefObject } from "preact";

export const HOLD_MS = 2_000;

/** Whether the page may make its other requests: false from the page's (or camera's) first render
 * until the video's first frame played, it failed, `settle()` was called, or HOLD_MS passed. */
export function useFirstFrame(video: RefObject<HTMLVideoElement | null>, id: string): { shown: boolean; settle: () => void } {
  const [shown, setShown] = useState<{ id: string; done: boolean }>({ id, done: false });
  const settle = () => setShown((s) => (s.done ? s : { id: s.id, done: true }));
  useEffect(() => {
    setShown((s) => (s.id === id ? s : { id, done: false }));
    const v = video.current;
    const timer = setTimeout(settle, HOLD_MS);
    v?.addEventListener("playing", settle);
    v?.addEventListener("error", settle);
    return () => {
      clearTimeout(timer);
      v?.removeEventListener("playing", settle);
      v?.removeEventListener("error", settle);
    };
  }, [id]);
  return { shown: shown.id === id && shown.done, settle };
}
