// The first /playback request of a camera page, without the player: main.tsx starts it before the
// page has rendered, while the camera page's own script (hls.js and the player) is still on its way.
// Kept apart from controller.ts so the entry script does not pull hls.js in (issue 24).
import type { Playback } from "../api";

export type Fetcher = (start: number, end: number) => Promise<Playback>;

export const HOUR = 3_600_000;
const LOOKBACK = 10 * 60_000;

/** The playback range the player asks for to start at `wall`: a little before it too, so that
 * seeking back a few seconds stays in the same playlist. */
export function startWindow(wall: number): [number, number] {
  return [wall - LOOKBACK, wall + HOUR];
}

const prefetched = new Map<string, { at: number; answer: Promise<Playback> }>();
const PREFETCH_FRESH_MS = 10_000; // direct-clip URLs in the answer are presigned: use it soon or not at all

/** Starts the first /playback request before the page has rendered (see main.tsx). */
export function prefetchPlayback(camera: string, wall: number, fetcher: Fetcher): void {
  const [s, e] = startWindow(wall);
  const answer = fetcher(s, e);
  answer.catch(() => {}); // whoever takes it falls back to a fresh request
  prefetched.set(`${camera}:${s}:${e}`, { at: Date.now(), answer });
}

/** Fetches playback for this range, using the prefetched answer once when it is fresh and succeeded
 * (it fails when the page opened signed out: the request after the login is then a new one). */
export function withPrefetch(camera: string, fetcher: Fetcher): Fetcher {
  return (start, end) => {
    const key = `${camera}:${start}:${end}`;
    const hit = prefetched.get(key);
    prefetched.delete(key);
    if (!hit || Date.now() - hit.at > PREFETCH_FRESH_MS) return fetcher(start, end);
    return hit.answer.catch(() => fetcher(start, end));
  };
}

