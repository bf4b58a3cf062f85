// A camera page opened at a time starts with a `<video>` the server put in the page's HTML
// (functions/vigil_fn/api/web.py `preview_tag`): it plays a small MP4 of the recording from that
// instant (api/preview.py), natively, while this script, the session, the playlist and hls.js are
// still on their way (issue 30: the first frame came 4.9x later than a bare video's). Its time 0 is
// the page's instant, so it shows wall time `at + currentTime`.
//
// The camera page moves it over its player; when the player plays, the player goes to the
// preview's instant and the preview goes away. A preview that fails (signed out, not this viewer's
// camera, nothing recorded) is removed at once, and any page but that camera at that instant drops it.
import { useEffect, useRef, useState } from "preact/hooks";
import type { RefObject } from "preact";

const PREVIEW_ID = "vigil-preview";
const IN_STEP_MS = 150; // the player is close enough to the preview's instant not to seek

function find(): HTMLVideoElement | null {
  const el = document.getElementById(PREVIEW_ID);
  return el instanceof HTMLVideoElement ? el : null;
}

function failed(el: HTMLVideoElement): boolean {
  return el.error !== null || el.networkState === HTMLMediaElement.NETWORK_NO_SOURCE;
}

function drop(el: HTMLVideoElement): void {
  el.pause();
  el.removeAttribute("src");
  el.load(); // stops its download too
  el.remove();
}

/** At start-up: a preview that fails is removed (its 401/403/404 is the page's to say, not a broken
 * element's), and one the page never takes is removed by `keepPreviewFor`. */
export function watchPreview(): void {
  const el = find();
  if (!el) return;
  if (failed(el)) drop(el);
  else el.addEventListener("error", () => drop(el), { once: true });
}

/** Keeps the preview only for the camera page of `camera` opened at `at` (null: drops any). */
export function keepPreviewFor(camera: string | null, at: number | null): HTMLVideoElement | null {
  const el = find();
  if (!el) return null;
  if (camera !== null && at !== null && el.dataset.camera === camera && Number(el.dataset.at) === at && !failed(el)) return el;
  drop(el);
  return null;
}

export interface PreviewPlayer {
  /** The wall-clock instant the player shows now (null: nothing loaded yet). */
  wallNow(): number | null;
  seek(wall: number): Promise<void> | void;
}

/** The camera page's part: the preview sits over the player's `<video>` (same box) until the player
 * has played, then the player seeks to where the preview is and the preview goes; meanwhile `onTime`
 * gets the preview's instant. Returns whether a preview is showing (the page hides its loading
 * spinner meanwhile), and `end` for the page's play/pause and live controls: once the viewer acts on
 * the player, the preview goes (a seek elsewhere changes `at`, which ends it too). */
export function usePreview(
  video: RefObject<HTMLVideoElement | null>,
  player: RefObject<PreviewPlayer | null>,
  camera: string,
  at: number | null,
  onTime: (wall: number) => void,
): { showing: boolean; end: () => void } {
  const [showing, setShowing] = useState(() => find() !== null);
  const ending = useRef<() => void>(() => undefined);
  useEffect(() => {
    const el = keepPreviewFor(camera, at);
    const main = video.current;
    if (!el || !main || at === null) {
      setShowing(false);
      return;
    }
    main.after(el); // over the player (CSS: .stage .player-preview), under the page's overlays
    setShowing(true);
    let handing = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      main.removeEventListener("playing", onPlaying);
      main.removeEventListener("pause", onPause);
      el.removeEventListener("error", finish);
      el.removeEventListener("timeupdate", onPreviewTime);
      drop(el);
      setShowing(false);
    };
    // the player plays: it goes to the preview's instant (where the preview has got to, or its last
    // frame if it ended first: the viewer never sees time run back), then shows once that frame is on
    // screen
    const onPlaying = () => {
      if (handing) return;
      const here = at + el.currentTime * 1000;
      const shown = player.current?.wallNow() ?? null;
      if (shown === null || Math.abs(shown - here) < IN_STEP_MS) return finish();
      handing = true;
      main.addEventListener("seeked", () => requestAnimationFrame(finish), { once: true });
      void player.current?.seek(here);
    };
    const onPause = () => el.pause(); // the viewer paused: so does the picture they see
    const onPreviewTime = () => {
      if (!handing) onTime(at + el.currentTime * 1000); // the page's clock shows the preview's instant
    };
    el.addEventListener("timeupdate", onPreviewTime);
    onPreviewTime(); // it may have played on (or ended) before the page rendered
    main.addEventListener("playing", onPlaying);
    main.addEventListener("pause", onPause);
    el.addEventListener("error", finish, { once: true });
    ending.current = finish;
    return finish;
  }, [camera, at]);
  // the viewer acted on the player (play/pause, live): the player's state is theirs from now on
  return { showing, end: () => ending.current() };
}
