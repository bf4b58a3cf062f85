// The shared clock of cameras watched side by side: one wall-clock instant every player follows.
// It runs at `rate` while playing and holds while any player that has a recording is still loading,
// so a seek lands every player on the same instant before time moves on.

export class SyncClock {
  private anchorWall: number;
  private anchorPerf: number;
  playing = false;
  rate = 1;
  private held = false;

  constructor(wall: number, private readonly now: () => number = () => performance.now()) {
    this.anchorWall = wall;
    this.anchorPerf = now();
  }

  /** The instant every player should show now. */
  wall(): number {
    if (!this.playing || this.held) return this.anchorWall;
    return this.anchorWall + (this.now() - this.anchorPerf) * this.rate;
  }

  private rebase(): void {
    this.anchorWall = this.wall();
    this.anchorPerf = this.now();
  }

  seek(wall: number): void {
    this.anchorWall = wall;
    this.anchorPerf = this.now();
  }

  setPlaying(playing: boolean): void {
    this.rebase();
    this.playing = playing;
  }

  setRate(rate: number): void {
    this.rebase();
    this.rate = rate;
  }

  /** Whether the clock is holding for a player (the follow loop keeps the others paused meanwhile). */
  get isHeld(): boolean {
    return this.held;
  }

  /** Hold while a player catches up (loading after a seek), then go on from where it held. */
  hold(held: boolean): void {
    if (held === this.held) return;
    this.rebase();
    this.held = held;
    this.anchorPerf = this.now();
  }
}

/** Below this drift (ms) a player is left alone. Measured (tests/bench/test_sync_bench.py): the players'
 * positions spread ~28 ms at p95; the drawn clocks' 105-117 ms is that plus the content's frame period
 * (100 ms at 10 fps, frames starting at unrelated instants per camera). 15 ms was tried: players then
 * chased hls.js's jittery position, re-seeked under load and the browser test's tiles stopped settling;
 * 40 ms holds. */
export const DEAD_ZONE_MS = 40;

/** How a player should move to follow the clock: nudge its speed for a small drift, seek for a large one.
 * `drift` = what it shows − the clock (ms); positive = ahead. The nudge removes a drift in about 1 s. */
export function correction(drift: number, rate: number): { seek: boolean; playbackRate: number } {
  if (Math.abs(drift) > 400) return { seek: true, playbackRate: rate };
  if (Math.abs(drift) < DEAD_ZONE_MS) return { seek: false, playbackRate: rate };
  const nudge = Math.max(-0.25, Math.min(0.25, drift / 1000));
  return { seek: false, playbackRate: rate * (1 - nudge) };
}

export interface Span {
  start: number;
  end: number;
}

/** Whether a camera recorded at `wall` (its spans from /api/v1/sync). */
export function recordedAt(spans: Span[], wall: number): boolean {
  return spans.some((s) => s.start <= wall && wall < s.end);
}

/** The longest one player may hold the shared clock (ms). Landing a seek takes 0.1-1 s here even at load
 * 40 (tests/bench/test_sync_bench.py); a player that takes longer — its segments stalled, its network
 * gone — would freeze every other tile for as long. After this the others go on and it catches up. */
export const HOLD_CAP_MS = 4000;

/** How far ahead of the clock a player that fell behind is sent, so it has landed by the time the clock
 * gets there (then it waits, paused, for the clock): seeking to where the clock is would leave it behind
 * by its own landing time, again and again. */
export const CATCH_UP_LEAD_MS = 1500;

/** Per player: since when it holds the clock, and whether it has held too long (`HOLD_CAP_MS`) and
 * now catches up instead, the others going on without it. */
export class HoldCap {
  private since: number | null = null;
  catchingUp = false;

  constructor(private readonly cap: number = HOLD_CAP_MS) {}

  /** This tick's verdict for a player that does (`holds`) or does not want the clock to wait: whether
   * the clock waits for it. Past the cap it is `catchingUp` and never makes the clock wait again until
   * `reset` (it has caught up, or the viewer moved every player). */
  waitFor(holds: boolean, now: number): boolean {
    if (!holds || this.catchingUp) {
      this.since = null;
      return false;
    }
    this.since ??= now;
    if (now - this.since > this.cap) {
      this.catchingUp = true;
      this.since = null;
      return false;
    }
    return true;
  }

  reset(): void {
    this.since = null;
    this.catchingUp = false;
  }
}

/** What a catching-up player does once it shows a frame again, `drift` = what it shows − the clock (ms):
 * far behind, seek ahead of the clock by the lead; ahead, wait paused for the clock (far ahead: seek
 * again); close, it has caught up and follows as every player does. */
export function catchUp(drift: number, rate: number): { action: "seek"; to: number } | { action: "wait" | "follow" } {
  const lead = CATCH_UP_LEAD_MS * rate;
  if (drift < -400 || drift > 2 * lead + 400) return { action: "seek", to: lead };
  if (drift > DEAD_ZONE_MS) return { action: "wait" };
  return { action: "follow" };
}
