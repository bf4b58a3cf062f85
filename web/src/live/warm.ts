// The start of a live view, before hls.js is on the page (issue 30 goal 2: a live tile's first frame).
//
// Before, a tile's first frame waited for, one after another: the player's script (hls.js), POST /live,
// a first GET of the playlist (to see it is ready), hls.js's own GET of the same playlist, the segment,
// and the transmux. Here, as soon as the viewer asks for live (the grid's "Live tiles" click, in the
// entry script: no hls.js import), POST /live and the playlist GET go out together, and once the
// playlist answers, the segment hls.js will start with is fetched too, all while the player's script is
// still on its way. The player (LivePlayer) then hands the playlist and the segment to hls.js as if its
// own loader had fetched them (primed.ts), so nothing is asked for twice.
import { ApiError, request, type Camera } from "../api";
import { t } from "../i18n";
import { spareHlsWorker } from "../player/worker-spare";

/** hls.js's `liveSyncDuration` in LivePlayer: where in the window it starts (seconds before the live edge). */
export const LIVE_SYNC_S = 1.5;
/** A warm start the player has not taken within this long is stale (the window has moved on): its playlist
 * and segment are fetched again, but its POST /live stands for this long (well inside the 30 s lease), so a
 * slow script does not cost a second start against the user's live-start limit. */
const FRESH_MS = 4_000;
const STARTED_MS = 15_000;

export interface Fetched {
  url: string;
  data: string | ArrayBuffer;
  /** performance.now() when the request went out and when it completed (hls.js's load stats). */
  start: number;
  end: number;
}

export interface Ahead {
  url: string;
  body: Promise<Fetched | null>;
}

export interface WarmStart {
  /** The playlist path (as POST /live names it). */
  playlist: string;
  /** Settles when POST /live has: rejects with its error (403, 404, 429 ...). */
  started: Promise<unknown>;
  /** The first ready playlist (null while the camera is not live yet: the player then polls). */
  ready: Promise<Fetched | null>;
  /** Once the playlist is in: the segment hls.js will load first, its bytes on the way (null: none). */
  segment: Promise<Ahead | null>;
  /** performance.now() of this start's playlist GET, and of its POST /live. */
  at: number;
  since: number;
}

const warm = new Map<string, WarmStart>();

export function livePlaylistPath(camera: string): string {
  return `/api/v1/cameras/${encodeURIComponent(camera)}/live.m3u8`;
}

/** The URI of the segment that holds the instant `syncS` seconds before the end of a live playlist
 * (where hls.js starts a live stream with `liveSyncDuration: syncS`); null if there is none. */
export function startSegment(text: string, syncS: number = LIVE_SYNC_S): string | null {
  const segs: { uri: string; dur: number }[] = [];
  let dur = 0;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("#EXTINF:")) dur = parseFloat(line.slice(8)) || 0;
    else if (line && !line.startsWith("#")) segs.push({ uri: line, dur });
  }
  const total = segs.reduce((sum, s) => sum + s.dur, 0);
  let at = Math.max(0, total - syncS);
  for (const s of segs) {
    if (at < s.dur) return s.uri;
    at -= s.dur;
  }
  return segs.length ? segs[segs.length - 1].uri : null;
}

async function fetched(url: string, binary: boolean): Promise<Fetched | null> {
  const start = performance.now();
  const resp = await fetch(url, binary ? { mode: "cors", credentials: "omit" } : { credentials: "same-origin", cache: "no-store" });
  if (resp.status === 401 || resp.status === 403) throw new ApiError(resp.status, "forbidden", t("live.forbidden"));
  if (!resp.ok) return null;
  const data = binary ? await resp.arrayBuffer() : await resp.text();
  return { url: resp.url || url, data, start, end: performance.now() };
}

/** Starts the live view of `camera` now (POST /live and the playlist together, then the first segment);
 * the LivePlayer that mounts for it takes the result (`takeWarm`). Safe to call more than once. */
export function warmLive(camera: string): WarmStart {
  const had = warm.get(camera);
  if (had && performance.now() - had.at < FRESH_MS) return had;
  const playlist = livePlaylistPath(camera);
  const now = performance.now();
  const started =
    had && now - had.since < STARTED_MS
      ? had.started
      : request<{ playlist: string }>("POST", `/cameras/${encodeURIComponent(camera)}/live`);
  started.catch(() => undefined); // the player reports it
  const ready = fetched(playlist, false).catch(() => null);
  const segment = ready.then((p) => {
    const uri = p && typeof p.data === "string" ? startSegment(p.data) : null;
    if (!p || !uri) return null;
    const url = new URL(uri, new URL(p.url, location.href)).href;
    return { url, body: fetched(url, true).catch(() => null) };
  });
  spareHlsWorker(); // hls.js's worker starts now too, not after its first segment
  const w: WarmStart = { playlist, started, ready, segment, at: now, since: had && started === had.started ? had.since : now };
  warm.set(camera, w);
  // one never taken (the tiles were switched off before the player came) lets its segment go
  setTimeout(() => warm.get(camera) === w && warm.delete(camera), STARTED_MS);
  return w;
}

/** The warm start of `camera` if a fresh one is pending (taken once), else a new one. */
export function takeWarm(camera: string): WarmStart {
  const w = warmLive(camera); // the pending one if fresh, else a new one (reusing a recent POST /live)
  warm.delete(camera);
  return w;
}

/** What to say before any live frame, from what the api knows of the camera; null: try to play. */
export function liveRefusal(info: Camera | null | undefined): string | null {
  if (!info) return null;
  if (info.status === "disabled") return t("live.disabled");
  if (info.status === "removed") return t("live.removed");
  if (info.health?.live_view === false) return t("live.noLiveView");
  return null;
}
