// Live view of one camera: tell the api someone watches, wait for the camera's first segments,
// then play the sliding playlist with hls.js tuned for low latency (1 s segments, ~1.5 s behind
// the live edge, catching up at up to 1.5x). The latency shown is now − hls.playingDate: frames
// carry the camera's wall-clock time in EXT-X-PROGRAM-DATE-TIME.
import Hls from "hls.js/light";
import { fmt, t, textOf, useT, words, type Words } from "../i18n";
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiError, type Camera } from "../api";
import { liveApi } from "../api-live-export";
import { HLS_WORKER } from "../player/hls-worker";

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

/** What to say before any live frame, from what the api knows of the camera; null: try to play. */
export function liveRefusal(info: Camera | null | undefined): string | null {
  if (!info) return null;
  if (info.status === "disabled") return t("live.disabled");
  if (info.status === "removed") return t("live.removed");
  if (info.health?.live_view === false) return t("live.noLiveView");
  return null;
}


export function LivePlayer({
  camera,
  info,
  compact = false,
  onStats,
}: {
  camera: string;
  /** The camera as the api describes it (status, online, whether it sends live video). */
  info?: Camera | null;
  compact?: boolean;
  onStats?: (s: LiveStats) => void;
}) {
  useT(); // re-rendered on a language switch: the badge and the status below are re-worded
  const video = useRef<HTMLVideoElement>(null);
  const refusal = liveRefusal(info);
  const offline = info ? !info.online : false;
  const [status, setStatus] = useState<Words>(offline ? words("live.offline") : words("live.connecting"));
  const [stats, setStats] = useState<LiveStats>({ ttffMs: null, latencyMs: null });

  useEffect(() => {
    if (refusal) return; // nothing will come: say why instead of waiting forever
    let alive = true;
    let hls: Hls | null = null;
    const pressed = performance.now();
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
    (async () => {
      try {
        const { playlist } = await liveApi.start(camera);
        if (!alive) return;
        setStatus(offline ? words("live.offline") : words("live.waiting"));
        await waitReady(playlist, () => alive);
        if (!alive) return;
        if (!Hls.isSupported()) {
          setStatus(words("live.cannotPlay"));
          return;
        }
        hls = new Hls({
          debug: localStorage.getItem("vigil-debug") === "1",
          ...HLS_WORKER,
          lowLatencyMode: false,
          liveSyncDuration: 1.5,
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
        hls.on(Hls.Events.FRAG_BUFFERED, () => setStatus(""));
        hls.loadSource(playlist);
        hls.attachMedia(el);
        el.play().catch(() => undefined);
      } catch (e) {
        if (alive) setStatus((e as Error).message);
      }
    })();
    return () => {
      alive = false;
      clearInterval(tick);
      hls?.destroy();
    };
  }, [camera, refusal, offline]);

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
