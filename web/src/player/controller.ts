// Plays a camera's recordings by wall-clock time: picks the source for an instant from the
// playback API (an HLS playlist of ≤ 1 h, or a presigned progressive MP4), seeks inside it by the
// segments' EXT-X-PROGRAM-DATE-TIME, and moves on to the next window when one ends.
import Hls from "hls.js/light";
import { t } from "../i18n";
import { HLS_WORKER } from "./hls-worker";
import type { Playback } from "../api";
import { wallToMedia, mediaToWall, type FragTime } from "./mapping";
import { warmPlaylistLoader } from "./playlist-loader";
import { HOUR, pickSource, startWindow, type Fetcher, type Source } from "./plan";

export interface PlayerEvents {
  onTime: (wall: number | null) => void;
  onState: (state: { loading: boolean; playing: boolean; error: string | null; ended: boolean }) => void;
}

export type { Fetcher, Source } from "./plan";
export { pickSource, prefetchPlayback, startWindow, withPrefetch } from "./plan";

export class PlayerController {
  private hls: Hls | null = null;
  private source: Source | null = null;
  private frags: FragTime[] = [];
  private pendingWall: number | null = null;
  private raf = 0;
  private generation = 0;
  private wantPlay = true;
  fatalErrors = 0;
  private reloads = 0;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly fetchPlayback: Fetcher,
    private readonly events: PlayerEvents,
  ) {
    video.addEventListener("timeupdate", this.tick);
    video.addEventListener("seeked", this.tick);
    video.addEventListener("play", this.onPlay);
    video.addEventListener("playing", this.onPlaying);
    video.addEventListener("pause", this.onPause);
    video.addEventListener("waiting", () => this.state({ loading: true }));
    video.addEventListener("canplay", () => this.state({ loading: false }));
    video.addEventListener("ended", this.onEnded);
    video.addEventListener("loadedmetadata", this.onDirectMetadata);
  }

  private current = { loading: false, playing: false, error: null as string | null, ended: false };

  private state(patch: Partial<typeof this.current>): void {
    this.current = { ...this.current, ...patch };
    this.events.onState(this.current);
  }

  /** The wall-clock instant on screen now. */
  wallNow(): number | null {
    if (!this.source) return null;
    if (this.source.kind === "direct") return this.source.start + this.video.currentTime * 1000;
    // hls.js's playingDate (EXT-X-PROGRAM-DATE-TIME of the fragment playing) while playing; it lags a
    // seek until hls.js's next tick, so paused, seeking, or off by more than a segment it yields to
    // the same PDT mapping computed from the playlist here
    const mapped = mediaToWall(this.frags, this.video.currentTime);
    const date = this.hls?.playingDate?.getTime();
    if (date === undefined || this.video.paused || this.video.seeking) return mapped ?? date ?? null;
    return mapped === null || Math.abs(date - mapped) < 1000 ? date : mapped;
  }

  private tick = (): void => {
    if (this.pendingWall !== null) return;
    this.events.onTime(this.wallNow());
  };

  private loop = (): void => {
    this.tick();
    this.raf = requestAnimationFrame(this.loop);
  };

  /** The element's `autoplay` starts every newly loaded source; one the viewer paused stays paused
   * (stepping to another clip or day while paused shows its first frame, it does not play on). */
  private onPlay = (): void => {
    if (!this.wantPlay) this.video.pause();
  };

  private onPlaying = (): void => {
    this.state({ playing: true, loading: false, ended: false });
    cancelAnimationFrame(this.raf);
    this.raf = requestAnimationFrame(this.loop);
  };

  private onPause = (): void => {
    cancelAnimationFrame(this.raf);
    this.state({ playing: false });
    this.tick();
  };

  private onEnded = (): void => {
    // the window is over: carry on with whatever comes after the last instant played
    const last = this.wallNow() ?? this.source?.end;
    if (last !== undefined && last !== null) void this.seek(last + 50, true);
  };

  private onDirectMetadata = (): void => {
    if (this.source?.kind !== "direct" || this.pendingWall === null) return;
    const offset = Math.max(0, (this.pendingWall - this.source.start) / 1000);
    this.pendingWall = null;
    this.video.currentTime = Math.min(offset, Math.max(0, this.video.duration - 0.05));
    this.resume();
  };

  private resume(): void {
    if (this.wantPlay) {
      this.video.play().catch(() => this.state({ playing: false }));
    }
    this.tick();
  }

  /** Plays from wall-clock instant `wall`; within the loaded window it is a plain media seek. */
  async seek(wall: number, continuing = false): Promise<void> {
    const src = this.source;
    if (src && wall >= src.start && wall < src.end && this.pendingWall === null) {
      if (src.kind === "direct") {
        this.video.currentTime = (wall - src.start) / 1000;
        this.resume();
        return;
      }
      const target = wallToMedia(this.frags, wall);
      if (target) {
        this.video.currentTime = target.time;
        this.resume();
        return;
      }
    }
    await this.load(wall, continuing);
  }

  private async load(wall: number, continuing: boolean): Promise<void> {
    const gen = ++this.generation;
    this.state({ loading: true, error: null, ended: false });
    this.pendingWall = wall;
    this.events.onTime(wall);
    const [from, to] = continuing ? [wall, wall + HOUR] : startWindow(wall);
    let pb: Playback;
    try {
      pb = await this.fetchPlayback(from, to);
    } catch (e) {
      if (gen === this.generation) this.state({ loading: false, error: (e as Error).message });
      return;
    }
    if (gen !== this.generation) return;
    const src = pickSource(pb, wall);
    if (!src) {
      this.pendingWall = null;
      this.state({ loading: false, ended: true, playing: false });
      this.events.onTime(continuing ? null : wall);
      return;
    }
    if (src.start > wall) this.pendingWall = src.start; // a gap: play from the next recording
    this.attach(src);
  }

  private attach(src: Source): void {
    this.destroyHls();
    this.source = src;
    this.frags = [];
    if (src.kind === "direct") {
      this.video.src = src.url;
      this.video.load();
      return;
    }
    this.video.removeAttribute("src");
    if (!Hls.isSupported()) {
      this.state({ loading: false, error: t("player.noHls") });
      return;
    }
    // transmuxing runs in the worker, off the main thread (the timeline and the cursor stay smooth).
    // Loading starts from the playlist (LEVEL_LOADED below) at the instant asked, with its segment
    // fetched while the media element is still being attached (startFragPrefetch), not after
    const hls = new Hls({
      ...HLS_WORKER,
      pLoader: warmPlaylistLoader(Hls.DefaultConfig.loader),
      autoStartLoad: false,
      startFragPrefetch: true,
      lowLatencyMode: false,
      maxBufferLength: 12,
      maxMaxBufferLength: 60,
    });
    this.hls = hls;
    let started = false;
    hls.on(Hls.Events.LEVEL_LOADED, (_e, data) => {
      this.frags = data.details.fragments
        .filter((f) => f.programDateTime !== null)
        .map((f) => ({ start: f.start, duration: f.duration, pdt: f.programDateTime as number }));
      if (!started) {
        // the first segment hls.js asks is the one that holds the instant; the element is there at
        // once too, so the cursor never shows the window's start while that segment loads
        started = true;
        const target = this.pendingWall !== null ? wallToMedia(this.frags, this.pendingWall) : null;
        this.pendingWall = null;
        this.video.currentTime = target ? target.time : 0;
        hls.startLoad(target ? target.time : 0);
        this.resume();
      }
    });
    hls.on(Hls.Events.ERROR, (_e, data) => {
      if (!data.fatal) return;
      this.fatalErrors += 1;
      this.video.dataset.fatalErrors = String(this.fatalErrors);
      if (data.type === Hls.ErrorTypes.MEDIA_ERROR && this.fatalErrors < 3) {
        hls.recoverMediaError();
        return;
      }
      // segment URLs are presigned for ≤ 15 min: after a long pause they expire, so ask the API
      // for a fresh playlist at the same instant once before giving up
      const here = this.wallNow();
      if (data.type === Hls.ErrorTypes.NETWORK_ERROR && here !== null && this.reloads < 1) {
        this.reloads += 1;
        void this.load(here, false);
        return;
      }
      this.state({ loading: false, error: t("player.failed", { details: data.details }) });
    });
    hls.on(Hls.Events.FRAG_BUFFERED, () => {
      this.reloads = 0;
    });
    hls.loadSource(new URL(src.url, window.location.href).toString());
    hls.attachMedia(this.video);
  }

  togglePlay(): void {
    if (this.video.paused) {
      this.wantPlay = true;
      this.resume();
    } else {
      this.wantPlay = false;
      this.video.pause();
    }
  }

  play(): void {
    this.wantPlay = true;
    this.resume();
  }

  pause(): void {
    this.wantPlay = false;
    this.video.pause();
  }

  /** Stops playback and clears the picture (a deleted clip must not stay on screen). */
  unload(): void {
    this.generation += 1;
    this.wantPlay = false;
    this.destroyHls();
    this.source = null;
    this.frags = [];
    this.pendingWall = null;
    this.video.pause();
    this.video.removeAttribute("src");
    this.video.load();
    this.state({ loading: false, playing: false, ended: false });
  }

  private destroyHls(): void {
    this.hls?.destroy();
    this.hls = null;
  }

  destroy(): void {
    cancelAnimationFrame(this.raf);
    this.generation += 1;
    this.destroyHls();
    this.video.removeEventListener("timeupdate", this.tick);
    this.video.removeEventListener("seeked", this.tick);
    this.video.removeEventListener("play", this.onPlay);
    this.video.removeEventListener("playing", this.onPlaying);
    this.video.removeEventListener("pause", this.onPause);
    this.video.removeEventListener("ended", this.onEnded);
    this.video.removeEventListener("loadedmetadata", this.onDirectMetadata);
    this.video.removeAttribute("src");
  }
}
