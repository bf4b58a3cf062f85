// The first playlist of a camera page asked the moment its prefetched /playback answer arrives
// (plan.ts prefetchPlayback, started in main.tsx beside /me), not after /me has answered, the
// page has rendered and hls.js has been attached (measured on a loaded machine: the playlist
// started ~500 ms after /playback had answered, and took ~400 ms itself beside the timeline's
// calls). The playlist answers `no-store`, so the browser cache cannot carry it to hls.js: its
// playlist loader (playlist-loader.ts) takes the text from here, once, by URL.
// No hls.js import here: this runs at boot, before the player's code is needed.

const FRESH_MS = 10_000; // the playlist's segment URLs are presigned: use it soon or ask again
const warm = new Map<string, { at: number; text: Promise<string | null> }>();

/** Starts fetching the playlist at `url` (root-relative or absolute); null when it cannot be read. */
export function warmPlaylist(url: string): void {
  const abs = new URL(url, window.location.href).toString();
  // same-origin with the session cookie, like hls.js's own request; a 401 (signed out) or any
  // failure yields null, and the loader then asks itself (after the login, a new request)
  const text = fetch(abs, { credentials: "same-origin" })
    .then((r) => (r.ok ? r.text() : null))
    .catch(() => null);
  warm.set(abs, { at: Date.now(), text });
}

/** The warmed playlist text for `url` once (a promise; null when the fetch failed), or null when
 * none was started or it is stale. */
export function takePlaylist(url: string): Promise<string | null> | null {
  const hit = warm.get(url);
  warm.delete(url);
  if (!hit || Date.now() - hit.at > FRESH_MS) return null;
  return hit.text;
}
