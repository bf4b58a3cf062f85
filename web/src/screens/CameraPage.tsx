// A camera: the player, the wall-clock time on screen, and under it the day's timeline with
// jump / prev / next / calendar, download of the clip under the cursor, range selection, and
// (admins only) delete of a clip or a range.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { api, type Camera, type User } from "../api";
import { exportsApi } from "../api-live-export";
import { LivePlayer } from "../live/LivePlayer";
import { useThumbnails } from "../pictures/hooks";
import { keyAction } from "../player/keyboard";
import { PlayerController, withPrefetch } from "../player/controller";
import { linkClick, navigate } from "../router";
import { dayEnd, dayKey, dayStart, formatClock, formatDuration, parseDayKey, parseInputValue, toInputValue, zoneName } from "../time";
import { Calendar } from "../timeline/Calendar";
import { clipAcrossDays, clipAt, nextClip, playableFrom, prevClip, type Span, type TimelineItem, type WantClip } from "../timeline/model";
import { adjacentRecordedDay, forgetRecordedDays, MAX_MONTHS_BACK, recordedDays } from "../timeline/recorded-days";
import { Timeline } from "../timeline/Timeline";
import { Confirm } from "../ui/Confirm";
import { Icon } from "../ui/Icon";
import { Time } from "../ui/Time";

type Pending = { kind: "clip"; key: string; start: number; end: number } | { kind: "range"; span: Span };
/** A previous/next step into another day: the adjacent day first (its timeline is loaded anyway,
 * and with continuous recording it has the clip); only when that day is empty, the calendar. */
type Crossing = WantClip & { origin: number; searched: boolean };
export function CameraPage({ id, t, user }: { id: string; t: number | null; user: User }) {
  const video = useRef<HTMLVideoElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const ctrl = useRef<PlayerController | null>(null);
  const [camera, setCamera] = useState<Camera | null>(null);
  const [day, setDay] = useState<number | null>(t !== null ? dayStart(t) : null);
  const [items, setItems] = useState<TimelineItem[]>([]);
  const [itemsDay, setItemsDay] = useState<number | null>(null);
  const [cursor, setCursor] = useState<number | null>(t);
  const [state, setState] = useState({ loading: false, playing: false, error: null as string | null, ended: false });
  const [message, setMessage] = useState<string | null>(null);
  const [selecting, setSelecting] = useState(false);
  const [selection, setSelection] = useState<Span | null>(null);
  const [calendar, setCalendar] = useState(false);
  const [pending, setPending] = useState<Pending | null>(null);
  const [jump, setJump] = useState("");
  const [live, setLive] = useState(false);
  const wantSeek = useRef<number | null>(t);
  const wantClip = useRef<Crossing | null>(null);
  const [searching, setSearching] = useState(false);
  const cursorRef = useRef<number | null>(t);
  const thumb = useThumbnails(id);
  cursorRef.current = cursor;
  const isAdmin = user.role === "admin";

  // the player lives as long as the page; layout effects (here and for the day) run before the
  // first paint instead of a frame later, so playback requests start at once
  useLayoutEffect(() => {
    const c = new PlayerController(video.current!, withPrefetch(id, (s, e) => api.playback(id, s, e)), {
      onTime: (w) => w !== null && setCursor(w),
      onState: setState,
    });
    ctrl.current = c;
    return () => c.destroy();
  }, [id]);

  // the camera, and where to start when the URL names no time: its newest clip
  useEffect(() => {
    let alive = true;
    api
      .camera(id)
      .then((cam) => {
        if (!alive) return;
        setCamera(cam);
        if (wantSeek.current === null && day === null) {
          const start = cam.newest_clip_start ?? Date.now();
          wantSeek.current = start;
          setCursor(start);
          setDay(dayStart(start));
        }
      })
      .catch((e: Error) => alive && setMessage(e.message));
    return () => {
      alive = false;
    };
  }, [id]);

  const loadDay = useCallback(
    async (d: number, current: () => boolean = () => true) => {
      try {
        const tl = await api.timeline(id, d, dayEnd(d));
        if (!current()) return null; // an answer for a day the page has left
        setItems(tl.items);
        setItemsDay(d);
        return tl.items;
      } catch (e) {
        if (current()) setMessage((e as Error).message);
        return null;
      }
    },
    [id],
  );

  // the day's timeline; today's is refreshed as new clips arrive
  useLayoutEffect(() => {
    if (day === null) return;
    let alive = true;
    // start playing at once, beside the timeline request: the player finds the first recording at
    // or after the instant itself, so the first frame does not wait for the day's timeline
    if (wantSeek.current !== null) {
      const target = wantSeek.current;
      wantSeek.current = null;
      setCursor(target);
      void ctrl.current?.seek(target);
    }
    void loadDay(day, () => alive).then((list) => {
      const want = wantClip.current;
      if (!list || !want || want.day !== day) return;
      const c = clipAcrossDays(list, want);
      if (c) {
        wantClip.current = null;
        navigate(`/cameras/${encodeURIComponent(id)}?t=${Math.round(c.start)}`, true);
        startAt(c.start, list);
      } else if (!want.searched) void searchDays(want);
      else {
        wantClip.current = null;
        setMessage(want.dir === 1 ? "No later clip on this day." : "No earlier clip on this day.");
      }
    });
    const today = dayStart(Date.now()) === day;
    const timer = today ? setInterval(() => void loadDay(day, () => alive), 30_000) : undefined;
    return () => {
      alive = false;
      clearInterval(timer);
    };
  }, [day, loadDay]);

  // playback that runs on past midnight (the player moves on to the next recording by itself)
  // takes the timeline to the day it is now in, so the cursor never leaves the timeline
  useEffect(() => {
    if (cursor === null || day === null || !state.playing || wantClip.current !== null) return;
    const d = dayStart(cursor);
    if (d !== day) {
      setItems([]);
      setDay(d);
    }
  }, [cursor, day, state.playing]);

  const startAt = (target: number, list: TimelineItem[]) => {
    const from = playableFrom(list, target);
    if (from === null) {
      setCursor(target);
      setMessage("No recording at or after this time on this day.");
      ctrl.current?.pause();
      return;
    }
    setMessage(from > target + 1000 ? `No recording at ${formatClock(target)}: playing from ${formatClock(from)}.` : null);
    setCursor(from);
    void ctrl.current?.seek(from);
  };

  /** Seek to a wall-clock instant, loading its day first when it is another one. */
  const seekTo = (target: number) => {
    navigate(`/cameras/${encodeURIComponent(id)}?t=${Math.round(target)}`, true);
    const d = dayStart(target);
    if (d !== itemsDay) {
      wantSeek.current = target;
      setCursor(target);
      setItems([]);
      setDay(d);
      return;
    }
    startAt(target, items);
  };

  // keyboard shortcuts
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      const action = keyAction(ev);
      if (!action) return;
      ev.preventDefault();
      if (action.type === "toggle") ctrl.current?.togglePlay();
      if (action.type === "fullscreen") toggleFullscreen();
      if (action.type === "seekBy" && cursorRef.current !== null) seekTo(cursorRef.current + action.ms);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void stage.current?.requestFullscreen?.();
  };

  const here = cursor !== null ? clipAt(items, cursor) : null;
  const prev = cursor !== null ? prevClip(items, cursor) : null;
  const next = cursor !== null ? nextClip(items, cursor) : null;

  /** Previous/next clip; at the day's first/last clip, the nearest other day with recordings
   * (from the calendar in the viewer's zone) and its last/first clip. */
  const stepClip = (dir: 1 | -1) => {
    const step = dir === 1 ? next : prev;
    if (step) {
      seekTo(step.start);
      return;
    }
    if (day === null || cursor === null || itemsDay !== day || searching) return;
    const from = dir === 1 ? cursor : (here?.start ?? cursor);
    const adjacent = dir === 1 ? dayEnd(day) : dayStart(day - 1);
    wantClip.current = { dir, from, day: adjacent, origin: day, searched: false };
    setItems([]);
    setDay(adjacent);
  };

  /** The adjacent day was empty: the nearest day with recordings past it, from the calendar; none
   * → back to the day the step started from, saying so. */
  const searchDays = async (want: Crossing) => {
    setSearching(true);
    setMessage(want.dir === 1 ? "Looking for the next day with recordings…" : "Looking for the previous day with recordings…");
    try {
      const found = await adjacentRecordedDay((m) => recordedDays(id, m), dayKey(want.day), want.dir, Date.now());
      const start = found !== null ? parseDayKey(found) : null;
      if (wantClip.current !== want) return; // the viewer went elsewhere meanwhile
      const target = start ?? want.origin;
      wantClip.current = start === null ? null : { ...want, day: start, searched: true };
      if (start === null) {
        const origin = dayKey(want.origin);
        setMessage(want.dir === 1 ? `No recordings after ${origin}.` : `No recordings before ${origin} (looked back ${MAX_MONTHS_BACK} months).`);
      } else setMessage(null);
      setItems([]);
      setDay(target);
    } catch (e) {
      if (wantClip.current === want) {
        wantClip.current = null;
        setDay(want.origin);
      }
      setMessage((e as Error).message);
    } finally {
      setSearching(false);
    }
  };

  const download = async () => {
    if (!here) return;
    try {
      const d = await api.download(here.key);
      const a = document.createElement("a");
      a.href = d.url;
      a.download = d.filename;
      a.rel = "noopener";
      document.body.appendChild(a);
      a.click();
      a.remove();
    } catch (e) {
      setMessage((e as Error).message);
    }
  };

  const confirmDelete = async () => {
    const p = pending;
    setPending(null);
    if (!p || day === null) return;
    try {
      if (p.kind === "clip") {
        await api.deleteClip(p.key);
        setMessage(`Deleted the clip from ${formatClock(p.start)}.`);
      } else {
        const r = await api.deleteRange(id, p.span.start, p.span.end);
        setMessage(`Deleted ${r.deleted} clip${r.deleted === 1 ? "" : "s"}.`);
        setSelection(null);
      }
      ctrl.current?.pause();
      forgetRecordedDays(id);
      await loadDay(day);
    } catch (e) {
      setMessage((e as Error).message);
    }
  };

  const onJump = (ev: Event) => {
    ev.preventDefault();
    const target = parseInputValue(jump || (cursor !== null ? toInputValue(cursor) : ""));
    if (target === null) {
      setMessage("Type a date and time like 2026-12-01T14:05:00.");
      return;
    }
    setJump(""); // the field follows playback again
    seekTo(target);
  };

  const bounds = day !== null ? { start: day, end: dayEnd(day) } : { start: dayStart(Date.now()), end: dayEnd(Date.now()) };

  return (
    <main class="page camera-page">
      <div class="cam-head">
        <a href="/" onClick={linkClick} class="back" aria-label="Back to cameras">
          ‹
        </a>
        <h1>{camera ? camera.name || camera.id : id}</h1>
        {camera && (
          <span class={`badge ${camera.status}`}>{camera.status !== "enabled" ? camera.status : camera.online ? "online" : "offline"}</span>
        )}
      </div>
      {live && (
        <div class="stage live-stage">
          <LivePlayer camera={id} />
        </div>
      )}
      <div class="stage" ref={stage} hidden={live}>
        <video
          ref={video}
          muted
          playsInline
          autoplay
          aria-label={`Recording of ${camera?.name || id}`}
          onClick={() => ctrl.current?.togglePlay()}
          onDblClick={toggleFullscreen}
        />
        {state.loading && <div class="spinner" aria-label="Loading" />}
        <div class="wall" aria-live="off">
          <Time ms={cursor} class="wall-time" />
          <span class="zone">{zoneName()}</span>
        </div>
      </div>
      <div class="controls" role="toolbar" aria-label="Playback">
        <button
          type="button"
          aria-label="Previous clip"
          title="Previous clip (on an earlier day at the day's first)"
          disabled={cursor === null || searching}
          onClick={() => stepClip(-1)}
        >
          <Icon name="prev" />
        </button>
        <button type="button" aria-label="Back 10 seconds" title="Back 10 s (←)" disabled={cursor === null} onClick={() => cursor !== null && seekTo(cursor - 10_000)}>
          −10 s
        </button>
        <button type="button" aria-label={state.playing ? "Pause" : "Play"} title="Play / pause (space)" onClick={() => ctrl.current?.togglePlay()}>
          <Icon name={state.playing ? "pause" : "play"} />
        </button>
        <button type="button" aria-label="Forward 10 seconds" title="Forward 10 s (→)" disabled={cursor === null} onClick={() => cursor !== null && seekTo(cursor + 10_000)}>
          +10 s
        </button>
        <button
          type="button"
          aria-label="Next clip"
          title="Next clip (on a later day at the day's last)"
          disabled={cursor === null || searching}
          onClick={() => stepClip(1)}
        >
          <Icon name="next" />
        </button>
        <button
          type="button"
          class="live-button"
          aria-pressed={live}
          aria-label={live ? "Stop live view" : "Live"}
          title="Watch the camera live"
          onClick={() => {
            if (!live) ctrl.current?.pause();
            setLive(!live);
          }}
        >
          {live ? "■ Stop live" : "● Live"}
        </button>
        <button type="button" aria-label="Full screen" title="Full screen (f)" onClick={toggleFullscreen}>
          <Icon name="fullscreen" />
        </button>
        <button type="button" aria-label="Download clip" title="Download the clip under the cursor" disabled={!here} onClick={download}>
          <Icon name="download" /> Clip
        </button>
        {isAdmin && (
          <button
            type="button"
            class="danger"
            aria-label="Delete clip"
            title="Delete the clip under the cursor"
            disabled={!here}
            onClick={() => here && setPending({ kind: "clip", key: here.key, start: here.start, end: here.end })}
          >
            Delete clip
          </button>
        )}
      </div>
      <p class="status" role="status" aria-live="polite">
        {state.error ?? message ?? (state.ended ? "No more recordings after this time." : "\u00a0")}
      </p>
      <div class="nav-row">
        <form class="jump" onSubmit={onJump} aria-label="Jump to a time">
          <label>
            Go to
            <input
              type="datetime-local"
              step="1"
              name="jump"
              aria-label="Date and time to jump to"
              value={jump || (cursor !== null ? toInputValue(cursor) : "")}
              onInput={(e) => setJump(e.currentTarget.value)}
            />
          </label>
          <button type="submit">Go</button>
        </form>
        <button type="button" aria-label="Previous day" onClick={() => day !== null && seekTo(dayStart(day - 1))}>
          ‹ Day
        </button>
        <button type="button" aria-expanded={calendar} aria-label="Calendar" onClick={() => setCalendar(!calendar)}>
          <Icon name="calendar" /> {day !== null ? dayKey(day) : ""}
        </button>
        <button type="button" aria-label="Next day" onClick={() => day !== null && seekTo(dayEnd(day))}>
          Day ›
        </button>
        <button type="button" aria-pressed={selecting} aria-label="Select a range" onClick={() => setSelecting(!selecting)}>
          Select range
        </button>
      </div>
      {calendar && day !== null && (
        <Calendar
          camera={id}
          day={dayKey(day)}
          onClose={() => setCalendar(false)}
          onPick={(d) => {
            setCalendar(false);
            const start = parseDayKey(d);
            if (start !== null) seekTo(start);
          }}
        />
      )}
      <Timeline
        thumb={thumb}
        items={itemsDay === day ? items : []}
        bounds={bounds}
        cursor={cursor}
        loading={itemsDay !== day}
        selecting={selecting}
        selection={selection}
        onSeek={seekTo}
        onSelect={(s) => {
          setSelection(s);
          if (s) setSelecting(false);
        }}
      />
      <div class="range-row" aria-live="polite">
        {selection ? (
          <>
            <span>
              Range <Time ms={selection.start} /> – <Time ms={selection.end} /> ({formatDuration(selection.end - selection.start)})
            </span>
            <button
              type="button"
              title="Export this range as one MP4 (Exports screen)"
              aria-label="Export range"
              onClick={() =>
                void exportsApi
                  .create(id, selection.start, selection.end)
                  .then(() => navigate("/exports"))
                  .catch((e: Error) => setMessage(e.message))
              }
            >
              Export MP4
            </button>
            {isAdmin && (
              <button type="button" class="danger" aria-label="Delete range" onClick={() => setPending({ kind: "range", span: selection })}>
                Delete range
              </button>
            )}
            <button type="button" aria-label="Clear selection" onClick={() => setSelection(null)}>
              Clear
            </button>
          </>
        ) : (
          <span class="hint">{selecting ? "Drag on the timeline to select a range." : "\u00a0"}</span>
        )}
      </div>
      {pending && (
        <Confirm
          title={pending.kind === "clip" ? "Delete this clip?" : "Delete every clip in this range?"}
          confirmLabel="Delete"
          onCancel={() => setPending(null)}
          onConfirm={confirmDelete}
        >
          {pending.kind === "clip" ? (
            <p>
              The clip <Time ms={pending.start} /> – <Time ms={pending.end} /> is removed from storage for good.
            </p>
          ) : (
            <p>
              Every clip from <Time ms={pending.span.start} /> to <Time ms={pending.span.end} /> is removed from storage for good.
            </p>
          )}
        </Confirm>
      )}
    </main>
  );
}
