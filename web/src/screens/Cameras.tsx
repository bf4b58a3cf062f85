// The camera grid: every camera the user may see, its health, newest recording and newest still (all in
// one /cameras answer); refreshed every GRID_REFRESH_MS while the page is visible, at once when it becomes so.
import { useEffect, useRef, useState } from "preact/hooks";
import { api, type Camera } from "../api";
import { GridStill } from "../pictures/GridStill";
import { take } from "../prefetch";
import { linkClick } from "../router";
import { LivePlayerView, prefetchAfterGrid } from "./lazy";
import { liveRefusal, warmLive } from "../live/warm";
import { formatBytes, formatDuration } from "../time";
import { Time } from "../ui/Time";
import { useT } from "../i18n";

/** One clip's length: a tile's still is then never more than about one clip older than the newest. */
export const GRID_REFRESH_MS = 10_000;

/** A tile whose still shows the same clip keeps the URL it has (each answer signs anew): the browser
 * then shows its cached picture instead of fetching the same JPEG every refresh. */
export function keepStills(before: Camera[] | null, after: Camera[]): Camera[] {
  const had = new Map((before ?? []).map((c) => [c.id, c.still]));
  const soon = Date.now() + 2 * GRID_REFRESH_MS;
  return after.map((c) => {
    const old = had.get(c.id);
    return old && c.still && old.shows === c.still.shows && old.expires > soon ? { ...c, still: old } : c;
  });
}

const STATUS_KEYS = {
  disabled: "cameras.status.disabled",
  removed: "cameras.status.removed",
  online: "cameras.status.online",
  offline: "cameras.status.offline",
} as const;

export function Cameras() {
  const t = useT();
  const [cameras, setCameras] = useState<Camera[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [liveTiles, setLiveTiles] = useState(false);
  const grid = useRef<HTMLUListElement>(null);
  const shown = cameras !== null;

  useEffect(() => {
    if (shown && grid.current) prefetchAfterGrid(grid.current); // once the first list is on screen
  }, [shown]);

  useEffect(() => {
    let alive = true;
    const load = () => {
      if (document.visibilityState !== "visible") return;
      take("cameras", () => api.cameras())
        .then((r) => {
          if (!alive) return;
          setCameras((before) => keepStills(before, r.cameras));
          setError(null);
        })
        .catch((e: Error) => alive && setError(e.message));
    };
    load();
    const id = setInterval(load, GRID_REFRESH_MS);
    document.addEventListener("visibilitychange", load);
    return () => {
      alive = false;
      clearInterval(id);
      document.removeEventListener("visibilitychange", load);
    };
  }, []);

  return (
    <main class="page">
      <h1>{t("cameras.title")}</h1>
      <button
        type="button"
        class="live-button"
        aria-pressed={liveTiles}
        // a pointer on its way to the button, or focus: the player's script starts coming (if the grid's idle
        // prefetch has not fetched it yet), so a quick press waits less for it
        onPointerEnter={() => LivePlayerView.load().catch(() => {})}
        onFocus={() => LivePlayerView.load().catch(() => {})}
        onClick={() => {
          // the live views start now, while the player's script is still on its way (live/warm.ts)
          if (!liveTiles) cameras?.forEach((c) => c.status === "enabled" && !liveRefusal(c) && warmLive(c.id));
          setLiveTiles(!liveTiles);
        }}
      >
        {liveTiles ? t("cameras.stopLiveTiles") : t("cameras.liveTiles")}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {cameras === null && !error && <p aria-busy="true">{t("cameras.loading")}</p>}
      {cameras?.length === 0 && <p>{t("cameras.none")}</p>}
      <ul ref={grid} class="grid" aria-label={t("cameras.title")}>
        {cameras?.map((c) => (
          <li key={c.id} class={`cam card ${c.status}`} data-camera={c.id}>
            {liveTiles && c.status === "enabled" && <LivePlayerView.View camera={c.id} info={c} compact fallback={<div class="live live-tile" />} />}
            <a href={`/cameras/${encodeURIComponent(c.id)}`} onClick={linkClick} aria-label={t("cameras.open", { camera: c.name || c.id })}>
              {!liveTiles && <GridStill still={c.still ?? undefined} online={c.online} />}
              <h2>{c.name || c.id}</h2>
              <p class="id">{c.id}</p>
              <p>
                <span class={`dot ${c.status !== "enabled" ? "off" : c.online ? "on" : "away"}`} aria-hidden="true" />
                {t(STATUS_KEYS[c.status === "enabled" ? (c.online ? "online" : "offline") : c.status])}
              </p>
              <dl>
                <dt>{t("cameras.newestClip")}</dt>
                <dd>
                  <Time ms={c.newest_clip_start} />
                </dd>
                <dt>{t("cameras.lastClipEnd")}</dt>
                <dd>
                  <Time ms={c.last_clip_end} />
                </dd>
                <dt>{t("cameras.uploadLag")}</dt>
                <dd>{c.upload_lag_ms === null ? "—" : formatDuration(c.upload_lag_ms)}</dd>
                <dt>{t("cameras.today")}</dt>
                <dd>
                  {t("cameras.clipsToday", { count: c.clips_today, size: formatBytes(c.bytes_today) })}
                </dd>
                <dt>{t("cameras.device")}</dt>
                <dd class="device-line">
                  {c.health
                    ? t("cameras.health", {
                        spool: c.health.spool_depth ?? 0,
                        dropped: c.health.dropped_clips ?? 0,
                        tokenErrors: c.health.token_errors ?? 0,
                      })
                    : t("cameras.noReport")}
                </dd>
              </dl>
            </a>
          </li>
        ))}
      </ul>
    </main>
  );
}
