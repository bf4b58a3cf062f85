// Live view of one camera: tell the api someone watches, wait for the camera's first segments,
// then play the sliding playlist with hls.js tuned for low latency (1 s segments, ~1.5 s behind
// the live edge, catching up at up to 1.5x). The latency shown is now − hls.playingDate: frames
// carry the camera's wall-clock time in EXT-X-PROGRAM-DATE-TIME.
//
// The start (POST /live, the playlist, the first segment) is warm.ts's, begun before this script
// arrives where the page can (the grid's "Live tiles"); hls.js gets what it fetched (primed.ts).
import Hls from "hls.js/light";
import { fmt, t, textOf, useT, words, type Words } from "../i18n";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Camera } from "../api";
import { HLS_WORKER } from "../player/hls-worker";
import { Primed } from "./primed";
import { LIVE_SYNC_S, liveRefusal, takeWarm } from "./warm";

export interface LiveStats {
  ttffMs: number | null;
  latencyMs: number | null;
}

const RETRY = { maxNumRetry: 120, retryDelayMs: 500, maxRetryDelayMs: 2000 };

/** Polls the live playlist until the camera has segments (503 live_not_ready until then). */
async function waitReady(url: string, alive: () => boolean): Promise<void> {
  for (let i = 0; alive(); i++) {
    const resp = await fetch(url, { credentials: "same-origin", cache: "no-store" }).catch(() => null);
    if (resp?.ok) return;
    if (resp?.status === 401 || resp?.status === 403) throw new ApiError(resp.status, "forbidden", t("live.forbidden"));
    await new Promise((r) => setTimeout(r, i < 20 ? 400 : 1000));
  }
}

export function LivePlayer({
  camera,
  info,
  compact = false,
  onStats,
}: {
  camera: string;
  /** The camera as the api describes it (status, online, whether it sends live video); null while the page
   * is still asking (nothing starts until it is in); left out: start at once. */
  info?: Camera | null;
  compact?: boolean;
  onStats?: (s: LiveStats) => void;
}) {
  useT(); // re-rendered on a language switch: the badge and the status below are re-worded
  const video = useRef<HTMLVideoElement>(null);
  const refusal = liveRefusal(info);
  // null: the page is still asking the api about the camera; it may be one that sends no live video, so
  // nothing starts until that answer is in (the start's playlist GET leaves at once, beside POST /live)
  const known = info !== null;
  const offline = info ? !info.online : false;
  const [status, setStatus] = useState<Words>(offline ? words("live.offline") : words("live.connecting"));
  const [stats, setStats] = useState<LiveStats>({ ttffMs: null, latencyMs: null });

  useEffect(() => {
    if (refusal || !known) return; // nothing will come: say why instead of waiting forever
    let alive = true;
    let hls: Hls | null = null;
    const warm = takeWarm(camera); // begun at the press where the page could (the grid), else now
    const pressed = warm.at;
    let ttff: number | null = null;
    const el = video.current!;
    const tick = setInterval(() => {
      const date = hls?.playingDate;
      if (!date || el.paused || el.readyState < 2) return;
      if (ttff === null) ttff = Math.round(performance.now() - pressed);
      const s = { ttffMs: ttff, latencyMs: Math.max(0, Date.now() - date.getTime()) };
      el.dataset.latencyMs = String(s.latencyMs);
      el.dataset.ttffMs = String(ttff);
      el.dataset.playingDate = String(date.getTime());
      setStats(s);
      onStats?.(s);
    }, 250);
    const fail = (e: unknown) => {
      if (!alive) return;
      hls?.destroy(); // refused (403, 404, 429): nothing plays, the reason shows
      hls = null;
      alive = false;
      setStatus((e as Error).message);
    };
    // POST /live is not waited for when the camera is already live: the playlist GET went out beside it
    let buffered = false; // a frame is in: a late POST /live answer must not put "Waiting…" over it
    warm.started.then(() => alive && !buffered && setStatus(offline ? words("live.offline") : words("live.waiting")), fail);
    (async () => {
      try {
        if (!Hls.isSupported()) {
          setStatus(words("live.cannotPlay"));
          return;
        }
        const primed = new Primed();
        hls = new Hls({
          debug: localStorage.getItem("vigil-debug") === "1",
          ...HLS_WORKER,
          loader: primed.loader(),
          // the start segment is fetched and transmuxed while the media source is still opening (40-80 ms
          // after attachMedia here), not on hls.js's next 100 ms tick after it opened
          startFragPrefetch: true,
          lowLatencyMode: false,
          liveSyncDuration: LIVE_SYNC_S,
          liveMaxLatencyDuration: 5,
          maxLiveSyncPlaybackRate: 1.5,
          backBufferLength: 10,
          playlistLoadPolicy: { default: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 20_000, timeoutRetry: RETRY, errorRetry: RETRY } },
          fragLoadPolicy: { default: { maxTimeToFirstByteMs: 10_000, maxLoadTimeMs: 20_000, timeoutRetry: RETRY, errorRetry: RETRY } },
        });
        (el as HTMLVideoElement & { vigilHls?: Hls }).vigilHls = hls;
        hls.on(Hls.Events.ERROR, (_e, data) => {
          if (!data.fatal || !hls) return;
          if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
          else setTimeout(() => hls?.startLoad(-1), 1000);   // camera restarting / network: keep trying
        });
        hls.on(Hls.Events.FRAG_BUFFERED, () => {
          buffered = true;
          setStatus("");
        });
        hls.attachMedia(el); // the media source opens while the playlist is on its way
        const first = await warm.ready;
        if (first) {
          primed.hold(first.url, Promise.resolve(first)); // ready: hls.js takes this answer, not asking again
          const ahead = await warm.segment;
          if (ahead) primed.hold(ahead.url, ahead.body);
        } else {
          await warm.started; // a camera that is not live yet: it learns of the viewer first
          await waitReady(warm.playlist, () => alive);
        }
        if (!alive || !hls) return;
        hls.loadSource(warm.playlist);
        el.play().catch(() => undefined);
      } catch (e) {
        fail(e);
      }
    })();
    return () => {
      alive = false;
      clearInterval(tick);
      hls?.destroy();
    };
  }, [camera, refusal, offline, known]);

  const behind = stats.latencyMs === null ? "" : t("live.behind", { seconds: fmt.number(stats.latencyMs / 1000, { minimumFractionDigits: 1, maximumFractionDigits: 1 }) });
  return (
    <div class={compact ? "live live-tile" : "live"}>
      <video ref={video} class="live-video" muted playsInline autoplay aria-label={t("live.video", { camera })} data-camera={camera} />
      {!refusal && (
        <div class="live-badge" aria-live="off">
          <span class="live-dot" aria-hidden="true" /> {t("live.badge")} {behind && <span class="live-behind">{behind}</span>}
        </div>
      )}
      {(refusal ?? textOf(status)) && (
        <p class={`live-status${refusal ? " refused" : ""}`} role="status">
          {refusal ?? textOf(status)}
        </p>
      )}
    </div>
  );
}
