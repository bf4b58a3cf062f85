// The first /playback request of a camera page, without the player: main.tsx starts it before the
// page has rendered, while the camera page's own script (hls.js and the player) is still on its way.
// Kept apart from controller.ts so the entry script does not pull hls.js in (issue 24).
import type { Playback } from "../api";
import { warmPlaylist } from "./warm";

export type Fetcher = (start: number, end: number) => Promise<Playback>;

export type Source =
  | { kind: "hls"; start: number; end: number; url: string }
  | { kind: "direct"; start: number; end: number; url: string };

export const HOUR = 3_600_000;
const LOOKBACK = 10 * 60_000;

/** The playback range the player asks for to start at `wall`: a little before it too, so that
 * seeking back a few seconds stays in the same playlist. */
export function startWindow(wall: number): [number, number] {
  return [wall - LOOKBACK, wall + HOUR];
}

const prefetched = new Map<string, { at: number; answer: Promise<Playback> }>();
const PREFETCH_FRESH_MS = 10_000; // direct-clip URLs in the answer are presigned: use it soon or not at all

/** The source that holds `wall` (or the first one after it) in a playback answer. Here rather than
 * in controller.ts so that prefetchPlayback can use it without the entry script pulling hls.js in. */
export function pickSource(pb: Playback, wall: number): Source | null {
  const all: Source[] = [
    ...pb.playlists.map((p) => ({ kind: "hls" as const, ...p })),
    ...pb.direct.map((d) => ({ kind: "direct" as const, start: d.start, end: d.end, url: d.url })),
  ].sort((a, b) => a.start - b.start);
  return all.find((s) => s.start <= wall && wall < s.end) ?? all.find((s) => s.start > wall) ?? null;
}

/** Starts the first /playback request before the page has rendered (see main.tsx), and the
 * playlist the player will start with as soon as that answer names it (warm.ts). */
export function prefetchPlayback(camera: string, wall: number, fetcher: Fetcher): void {
  const [s, e] = startWindow(wall);
  const answer = fetcher(s, e).then((pb) => {
    const first = pickSource(pb, wall);
    if (first?.kind === "hls") warmPlaylist(first.url);
    return pb;
  });
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

