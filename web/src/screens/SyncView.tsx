// Cameras side by side (issue 26): 2-9 players that show the same wall-clock instant, one timeline of
// all their recordings and gaps, one set of controls. A SyncClock is the instant; every 100 ms each
// player is nudged (playbackRate) or, far off, seeked to it. A camera with no recording at that instant
// shows the gap — its player is paused and hidden behind "No recording" — never a frozen frame. A player
// that is loading holds the clock, for at most HOLD_CAP_MS: then the others go on and it says it is
// catching up.
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { api, request, type Camera } from "../api";
import { PlayerController } from "../player/controller";
import { linkClick, navigate } from "../router";
import { catchUp, correction, HoldCap, recordedAt, SyncClock, type Span } from "../sync/clock";
import { SyncExport } from "../sync/SyncExport";
import { SaveLayout, SavedLayouts } from "../sync/Layouts";
import { Time } from "../ui/Time";
import { textOf, useT, words, type Words } from "../i18n";

interface SyncCamera {
  id: string;
  name: string;
  items: Array<{ type: "span" | "gap"; start: number; end: number }>;
}

const WINDOW_MS = 3_600_000;
const RATES = [0.5, 1, 2, 4];
const LAYOUT_KEY = "vigil.sync.layout";

function gridClass(n: number): string {
  return n <= 2 ? "cols-2" : n <= 4 ? "cols-2" : "cols-3";
}

interface TileHandle {
  controller: PlayerController;
  video: HTMLVideoElement;
  loading: boolean;
  seeking: boolean; // a seek (playback request + attach) is in flight: do not start another
  cap: HoldCap; // how long it has held the clock; past the cap it catches up on its own
  setGap: (gap: boolean) => void;
  setCatchingUp: (catchingUp: boolean) => void;
}

/** Seek one player, once at a time: a new seek every tick would restart its loading forever. */
function seekTile(h: TileHandle, wall: number): void {
  if (h.seeking) return;
  h.seeking = true;
  h.controller.seek(Math.round(wall)).finally(() => {
    h.seeking = false;
  });
}

function Tile({ cam, spans, register }: { cam: SyncCamera; spans: Span[]; register: (id: string, h: TileHandle | null) => void }) {
  const t = useT();
  const ref = useRef<HTMLVideoElement>(null);
  const [gap, setGap] = useState(false);
  const [catchingUp, setCatchingUp] = useState(false);
  useEffect(() => {
    const video = ref.current;
    if (!video) return;
    const handle: TileHandle = {
      video,
      loading: false,
      seeking: false,
      cap: new HoldCap(),
      setGap,
      setCatchingUp,
      controller: new PlayerController(video, (s, e) => api.playback(cam.id, s, e), {
        onTime: () => {},
        onState: (st) => {
          handle.loading = st.loading;
        },
      }),
    };
    video.muted = true;
    register(cam.id, handle);
    return () => {
      register(cam.id, null);
      handle.controller.destroy();
    };
  }, [cam.id]);
  return (
    <figure class="sync-tile" data-camera={cam.id} data-spans={spans.length}>
      <video ref={ref} class="sync-video" playsInline muted aria-label={t("sync.camera", { name: cam.name })} />
      {gap && <div class="sync-gap">{t("sync.noRecording")}</div>}
      {catchingUp && !gap && (
        <div class="sync-catching-up" role="status">
          {t("sync.catchingUp")}
        </div>
      )}
      <figcaption>{cam.name}</figcaption>
    </figure>
  );
}

interface Histogram {
  camera: string;
  start: number;
  end: number;
  bins: number;
  peaks: number[];
}

/** The next (or previous) activity event among the cameras, from `wall`: the nearest one's start. */
async function nearestEvent(ids: string[], wall: number, direction: "next" | "previous"): Promise<number | null> {
  const answers = await Promise.all(
    ids.map((id) =>
      request<{ event: { start: number } | null }>(
        "GET",
        `/cameras/${encodeURIComponent(id)}/events/near?at=${Math.round(direction === "next" ? wall + 1000 : wall - 1000)}&direction=${direction}`,
      ).catch(() => ({ event: null })),
    ),
  );
  const starts = answers.map((a) => a.event?.start).filter((s): s is number => typeof s === "number");
  if (!starts.length) return null;
  return direction === "next" ? Math.min(...starts) : Math.max(...starts);
}

function SharedTimeline({ cams, start, end, at, onSeek, activity }: { cams: SyncCamera[]; start: number; end: number; at: number; onSeek: (t: number) => void; activity: Map<string, Histogram> }) {
  const t = useT();
  const pct = (ms: number) => `${(((ms - start) / (end - start)) * 100).toFixed(3)}%`;
  const click = (ev: MouseEvent) => {
    const box = (ev.currentTarget as HTMLElement).getBoundingClientRect();
    onSeek(start + ((ev.clientX - box.left) / box.width) * (end - start));
  };
  return (
    <div class="sync-timeline" onClick={click} role="slider" aria-label={t("sync.timeline")} aria-valuemin={start} aria-valuemax={end} aria-valuenow={Math.round(at)} data-view-start={start} data-view-end={end}>
      {cams.map((c) => (
        <div class="sync-row" key={c.id} title={c.name}>
          {c.items
            .filter((i) => i.type === "span")
            .map((i) => (
              <span class="sync-span" key={i.start} style={{ left: pct(Math.max(i.start, start)), width: pct(start + Math.min(i.end, end) - Math.max(i.start, start)) }} />
            ))}
          {(activity.get(c.id)?.peaks ?? []).map((peak, n, all) =>
            peak > 0 ? (
              <span class="sync-activity" key={`a${n}`} data-peak={peak.toFixed(2)}
                style={{ left: `${((n / all.length) * 100).toFixed(3)}%`, width: `${(100 / all.length).toFixed(3)}%`, opacity: 0.35 + 0.65 * peak }} />
            ) : null,
          )}
        </div>
      ))}
      <div class="sync-cursor" style={{ left: pct(at) }} />
    </div>
  );
}

function Picker({ initial }: { initial: string[] }) {
  const t = useT();
  const [cameras, setCameras] = useState<Camera[] | null>(null);
  const [chosen, setChosen] = useState<string[]>(initial);
  useEffect(() => {
    api.cameras().then((r) => setCameras(r.cameras), () => setCameras([]));
  }, []);
  const toggle = (id: string) => setChosen((c) => (c.includes(id) ? c.filter((x) => x !== id) : [...c, id]));
  const go = (ev: Event) => {
    ev.preventDefault();
    localStorage.setItem(LAYOUT_KEY, chosen.join(","));
    navigate(`/sync?cameras=${chosen.map(encodeURIComponent).join(",")}`);
  };
  return (
    <form class="card" onSubmit={go} aria-label={t("sync.choose")}>
      <p>{t("sync.chooseHint")}</p>
      {cameras?.map((c) => (
        <label key={c.id} class="pick">
          <input type="checkbox" checked={chosen.includes(c.id)} onChange={() => toggle(c.id)} /> {c.name || c.id}
        </label>
      ))}
      <p>
        <button type="submit" disabled={chosen.length < 2 || chosen.length > 9}>
          {t("sync.watch", { n: chosen.length })}
        </button>
      </p>
    </form>
  );
}

export function SyncView({ ids, t: from }: { ids: string[]; t: number | null }) {
  const t = useT();
  const [start0] = useState(() => from ?? Date.now() - 10 * 60_000);
  const [doc, setDoc] = useState<{ start: number; end: number; cameras: SyncCamera[] } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [playing, setPlaying] = useState(true);
  const [rate, setRate] = useState(1);
  const [at, setAt] = useState(start0);
  const [activity, setActivity] = useState(new Map<string, Histogram>());
  const [note, setNote] = useState<Words | null>(null);
  const clock = useMemo(() => new SyncClock(start0), [start0]);
  const tiles = useRef(new Map<string, TileHandle>());
  const gridRef = useRef<HTMLDivElement>(null);
  const capped = useRef(0); // players that held the clock past the cap since the last seek (read by the sync bench)

  useEffect(() => {
    if (ids.length < 2) return;
    const s = start0 - WINDOW_MS / 2;
    request<{ start: number; end: number; cameras: SyncCamera[] }>(
      "GET",
      `/sync?cameras=${ids.map(encodeURIComponent).join(",")}&start=${Math.round(s)}&end=${Math.round(s + WINDOW_MS)}`,
    ).then(setDoc, (e: Error) => setError(e.message));
    // each camera's activity strip over the same window (absent when the camera has no analysis)
    void Promise.all(
      ids.map((id) =>
        request<Histogram>("GET", `/cameras/${encodeURIComponent(id)}/activity?start=${Math.round(s)}&end=${Math.round(s + WINDOW_MS)}&bins=360`)
          .then((h) => [id, h] as const)
          .catch(() => null),
      ),
    ).then((found) => setActivity(new Map(found.filter((x): x is readonly [string, Histogram] => x !== null))));
  }, [ids.join(","), start0]);

  const spans = useMemo(() => {
    const out = new Map<string, Span[]>();
    doc?.cameras.forEach((c) => out.set(c.id, c.items.filter((i) => i.type === "span")));
    return out;
  }, [doc]);

  const seekAll = (wall: number) => {
    clock.seek(wall);
    capped.current = 0;
    tiles.current.forEach((h, id) => {
      h.cap.reset();   // a fresh start for every player: each may hold the clock again while it lands
      if (recordedAt(spans.get(id) ?? [], wall)) {
        h.seeking = false;
        seekTile(h, wall);
      }
    });
    setAt(wall);
  };

  // the follow loop: hold the clock while a recording player loads (each for at most HOLD_CAP_MS), then
  // nudge or seek each to it
  useEffect(() => {
    if (!doc) return;
    clock.setPlaying(playing);
    /** Move one player towards the clock's instant `wall`; true when it wants the clock to wait for it. */
    const follow = (h: TileHandle, cam: string, wall: number, heldBefore: boolean): boolean => {
      const has = recordedAt(spans.get(cam) ?? [], wall);
      h.video.dataset.gap = has ? "no" : "yes";
      h.setGap(!has);
      if (!has) {
        if (!h.video.paused) h.controller.pause();
        h.video.dataset.follow = "no";           // when its recording starts, it seeks there afresh
        h.cap.reset();
        return false;
      }
      if (h.seeking) return true;
      if (h.video.dataset.follow !== "yes") {   // first time this camera has a recording here
        h.video.dataset.follow = "yes";
        seekTile(h, wall);
        return true;
      }
      const shown = h.controller.wallNow();
      if (shown === null) return true;          // its playlist is still loading
      const loading = h.loading;
      if (!playing) {
        if (!h.video.paused) h.controller.pause();
        if (Math.abs(shown - wall) > 200) seekTile(h, wall);
        return loading;
      }
      // A player still landing a seek (the element decodes up to the new position) holds the clock, and
      // while it holds the others wait paused where they are: else they play on for the seek's time and
      // are then that far ahead (measured ~1 s after a seek on a loaded machine: tests/bench/test_sync_bench.py).
      if (h.video.seeking) return true;
      if (h.cap.catchingUp) {                   // held the clock too long: the others went on without it
        if (loading) return true;
        const step = catchUp(shown - wall, clock.rate);
        if (step.action === "seek") {
          seekTile(h, wall + step.to);
          return true;
        }
        if (step.action === "wait") {
          if (!h.video.paused) h.controller.pause();
          return true;
        }
        h.cap.reset();                          // caught up: it follows (and may hold) as every player does
      }
      if (heldBefore) {
        if (!h.video.paused) h.controller.pause();
        return loading;
      }
      if (h.video.paused) h.controller.play();
      h.video.dataset.drift = String(Math.round(shown - wall));   // read by the sync bench
      const fix = correction(shown - wall, clock.rate);
      if (fix.seek) {
        seekTile(h, wall);
        return true;
      }
      h.video.playbackRate = fix.playbackRate;
      return loading;
    };
    const id = setInterval(() => {
      const wall = clock.wall();
      const now = performance.now();
      const heldBefore = clock.isHeld && playing;
      let waiting = false;
      tiles.current.forEach((h, cam) => {
        const holds = follow(h, cam, wall, heldBefore);
        const was = h.cap.catchingUp;
        if (h.cap.waitFor(holds && playing, now)) waiting = true;
        if (h.cap.catchingUp && !was) capped.current += 1;
        h.setCatchingUp(h.cap.catchingUp);
        h.video.dataset.catchingUp = h.cap.catchingUp ? "yes" : "no";
      });
      clock.hold(waiting);
      if (gridRef.current) {                    // read by the sync bench
        gridRef.current.dataset.held = clock.isHeld ? "yes" : "no";
        gridRef.current.dataset.capped = String(capped.current);
      }
      setAt(wall);
    }, 100);
    return () => clearInterval(id);
  }, [doc, playing, spans]);

  useEffect(() => {
    clock.setRate(rate);
  }, [rate]);

  if (ids.length < 2 || ids.length > 9) {
    return (
      <main class="page">
        <h1>{t("sync.title")}</h1>
        {ids.length > 9 && <p class="error" role="alert">{t("sync.tooMany")}</p>}
        <Picker initial={ids.length ? ids : (localStorage.getItem(LAYOUT_KEY) ?? "").split(",").filter(Boolean)} />
        <SavedLayouts />
      </main>
    );
  }
  const register = (id: string, h: TileHandle | null) => {
    if (h) tiles.current.set(id, h);
    else tiles.current.delete(id);
  };
  return (
    <main class="page sync">
      <h1>
        {t("sync.title")} · <Time ms={Math.round(at)} />
      </h1>
      {error && (
        <p class="error" role="alert">
          {error} <a href="/sync" onClick={linkClick}>{t("sync.chooseOther")}</a>
        </p>
      )}
      {doc && (
        <>
          <div ref={gridRef} class={`sync-grid ${gridClass(doc.cameras.length)}`} data-clock={Math.round(at)}>
            {doc.cameras.map((c) => (
              <Tile key={c.id} cam={c} spans={spans.get(c.id) ?? []} register={register} />
            ))}
          </div>
          <div class="controls sync-controls">
            <button type="button" onClick={() => seekAll(clock.wall() - 10_000)} aria-label={t("sync.back10")}>
              {t("sync.back10Short")}
            </button>
            <button type="button" onClick={() => setPlaying((p) => !p)} aria-label={playing ? t("sync.pauseAll") : t("sync.playAll")}>
              {playing ? t("sync.pause") : t("sync.play")}
            </button>
            <button type="button" onClick={() => seekAll(clock.wall() + 10_000)} aria-label={t("sync.forward10")}>
              {t("sync.forward10Short")}
            </button>
            <button type="button" aria-label={t("sync.previousEvent")} onClick={() => void nearestEvent(ids, clock.wall(), "previous").then((s) => (s === null ? setNote(words("sync.noEarlier")) : (setNote(null), seekAll(s))))}>
              {t("sync.previousEventShort")}
            </button>
            <button type="button" aria-label={t("sync.nextEvent")} onClick={() => void nearestEvent(ids, clock.wall(), "next").then((s) => (s === null ? setNote(words("sync.noLater")) : (setNote(null), seekAll(s))))}>
              {t("sync.nextEventShort")}
            </button>
            <label>
              {t("sync.speed")}{" "}
              <select value={rate} onChange={(e) => setRate(Number((e.target as HTMLSelectElement).value))} aria-label={t("sync.speed")}>
                {RATES.map((r) => (
                  <option key={r} value={r}>
                    {t("sync.rate", { rate: r })}
                  </option>
                ))}
              </select>
            </label>
            <a href="/sync" onClick={linkClick}>
              {t("sync.choose")}
            </a>
          </div>
          {note && <p class="hint" role="status">{textOf(note)}</p>}
          <SharedTimeline cams={doc.cameras} start={doc.start} end={doc.end} at={at} onSeek={seekAll} activity={activity} />
          <SaveLayout cameras={doc.cameras.map((c) => c.id)} />
          <SyncExport cameras={doc.cameras.map((c) => c.id)} at={at} />
        </>
      )}
    </main>
  );
}
