// A camera: the player, the wall-clock time on screen, and under it the day's timeline with
// jump / prev / next / calendar, download of the clip under the cursor, range selection, and
// (admins only) delete of a clip or a range. The day and the cursor live in useDayTimeline, steps
// across days in useDayCrossing; the rows under the player are components in ./camera/.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { ActivityPanel } from "../activity/ActivityPanel";
import { textOf, useT, words, type Words } from "../i18n";
import { api, ApiError, type Camera, type User } from "../api";
import { exportsApi } from "../api-live-export";
import { LivePlayer } from "../live/LivePlayer";
import { useThumbnails } from "../pictures/hooks";
import { keyAction } from "../player/keyboard";
import { PlayerController, withPrefetch } from "../player/controller";
import { useFirstFrame } from "../player/first-frame";
import { usePreview } from "../player/preview";
import { linkClick, navigate } from "../router";
import { dayEnd, dayStart, formatClock, zoneName } from "../time";
import type { Span } from "../timeline/model";
import { forgetRecordedDays } from "../timeline/recorded-days";
import { Timeline } from "../timeline/Timeline";
import { Time } from "../ui/Time";
import { DayNav } from "./camera/DayNav";
import { DeleteConfirm, type PendingDelete } from "./camera/DeleteConfirm";
import { PlaybackControls } from "./camera/PlaybackControls";
import { RangeBar } from "./camera/RangeBar";
import { useDayCrossing } from "./camera/useDayCrossing";
import { useDayTimeline } from "./camera/useDayTimeline";

const BADGE_KEYS = {
  disabled: "camera.badge.disabled",
  removed: "camera.badge.removed",
  online: "camera.badge.online",
  offline: "camera.badge.offline",
} as const;

export function CameraPage({ id, t: at, user }: { id: string; t: number | null; user: User }) {
  const t = useT(); // `t` in the props is the time in the URL: `at` here
  const video = useRef<HTMLVideoElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const ctrl = useRef<PlayerController | null>(null);
  const [camera, setCamera] = useState<Camera | null>(null);
  const [state, setState] = useState({ loading: false, playing: false, error: null as string | null, ended: false });
  const [message, setMessage] = useState<Words | null>(null);
  const [selecting, setSelecting] = useState(false);
  const [selection, setSelection] = useState<Span | null>(null);
  const [view, setView] = useState<Span | null>(null); // the timeline's zoom, for the activity strip
  const [pending, setPending] = useState<PendingDelete | null>(null);
  const [live, setLive] = useState(false);
  const [denied, setDenied] = useState<string | null>(null);
  const liveStage = useRef<HTMLDivElement>(null);
  const onTime = useRef<(w: number) => void>(() => undefined);
  const thumb = useThumbnails(id);
  // the day's timeline, the camera's details, events, activity and stills wait for the first frame
  const first = useFirstFrame(video, id);

  // the player lives as long as the page; a layout effect runs before the first paint instead of a
  // frame later, so playback requests start at once. It must come before useDayTimeline's: the
  // day's effect seeks the player it makes here
  useLayoutEffect(() => {
    const c = new PlayerController(video.current!, withPrefetch(id, (s, e) => api.playback(id, s, e)), {
      onTime: (w) => w !== null && !previewingRef.current && onTime.current(w), // a preview shows its own instant
      onState: (s) => {
        setState(s);
        if (s.error !== null || s.ended) first.settle(); // nothing to wait for
      },
    });
    ctrl.current = c;
    return () => c.destroy();
  }, [id]);

  // the page's HTML started playing the recording from `at` before this script ran: it stays over
  // the player until the player plays (player/preview.ts)
  const preview = usePreview(video, ctrl, id, at, (w) => onTime.current(w));
  const previewing = preview.showing;
  const togglePlay = () => {
    preview.end();
    ctrl.current?.togglePlay();
  };
  const previewingRef = useRef(previewing);
  previewingRef.current = previewing;

  const tl = useDayTimeline({ id, t: at, player: ctrl, say: setMessage, playing: state.playing, ready: first.shown });
  onTime.current = tl.setCursor;
  const crossing = useDayCrossing(tl, { id, say: setMessage });
  const { day, items, itemsDay, cursor, seekTo } = tl;
  const { here } = crossing;
  const cursorRef = useRef<number | null>(at);
  cursorRef.current = cursor;
  const isAdmin = user.role === "admin";

  // the camera, and where to start when the URL names no time: its newest clip (then asked at once;
  // with a time in the URL it is only the heading, asked after the first frame)
  const cameraNow = at === null || first.shown || live; // Live waits for it (LivePlayer: `known`)
  useEffect(() => {
    if (!cameraNow) return;
    let alive = true;
    api
      .camera(id)
      .then((cam) => {
        if (!alive) return;
        setCamera(cam);
        tl.begin(cam.newest_clip_start ?? Date.now());
      })
      .catch((e: Error) => {
        if (!alive) return;
        // not this viewer's camera (403), or no such camera (404): a page that says so, not a player
        if (e instanceof ApiError && (e.status === 403 || e.status === 404)) {
          ctrl.current?.unload();
          setDenied(e.status === 403 ? "forbidden" : "missing");
        } else setMessage(e.message);
      });
    return () => {
      alive = false;
    };
  }, [id, cameraNow]);

  // keyboard shortcuts
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      const action = keyAction(ev);
      if (!action || action.type === "event") return; // next / previous event: activity/ActivityPanel
      ev.preventDefault();
      if (action.type === "toggle" && !live) togglePlay();
      if (action.type === "fullscreen") toggleFullscreen();
      if (action.type === "seekBy" && cursorRef.current !== null && !live) seekTo(cursorRef.current + action.ms);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  const toggleFullscreen = () => {
    if (document.fullscreenElement) void document.exitFullscreen();
    else void (live ? liveStage : stage).current?.requestFullscreen?.();
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
        setMessage(words("camera.deletedClip", { time: formatClock(p.start) }));
      } else {
        const r = await api.deleteRange(id, p.span.start, p.span.end);
        setMessage(words("camera.deletedClips", { count: r.deleted }));
        setSelection(null);
      }
      ctrl.current?.unload(); // the deleted clip's last frame must not stay on screen
      forgetRecordedDays(id);
      await tl.loadDay(day);
    } catch (e) {
      setMessage((e as Error).message);
    }
  };

  /** A time picked on the timeline or the day row while live leaves live for the recording. */
  const seekRecorded = (target: number) => {
    if (live) setLive(false);
    seekTo(target);
  };

  if (denied) {
    return (
      <main class="page not-allowed" aria-labelledby="denied-title">
        <h1 id="denied-title">{denied === "forbidden" ? t("camera.denied.forbiddenTitle") : t("camera.denied.missingTitle")}</h1>
        <p>
          {denied === "forbidden"
            ? t("camera.denied.forbidden", { camera: id })
            : t("camera.denied.missing", { camera: id })}
        </p>
        <p>
          <a href="/" onClick={linkClick} class="button">
            {t("camera.denied.back")}
          </a>
        </p>
      </main>
    );
  }

  const bounds = day !== null ? { start: day, end: dayEnd(day) } : { start: dayStart(Date.now()), end: dayEnd(Date.now()) };

  return (
    <main class="page camera-page">
      <div class="cam-head">
        <a href="/" onClick={linkClick} class="back" aria-label={t("camera.back")}>
          ‹
        </a>
        <h1>{camera ? camera.name || camera.id : id}</h1>
        {camera && (
          <span class={`badge ${camera.status}`}>{t(BADGE_KEYS[camera.status !== "enabled" ? camera.status : camera.online ? "online" : "offline"])}</span>
        )}
      </div>
      {live && (
        <div class="stage live-stage" ref={liveStage} onDblClick={toggleFullscreen}>
          <LivePlayer camera={id} info={camera} />
        </div>
      )}
      <div class="stage" ref={stage} hidden={live}>
        <video
          ref={video}
          muted
          playsInline
          autoplay
          aria-label={t("camera.video", { camera: camera?.name || id })}
          onClick={togglePlay}
          onDblClick={toggleFullscreen}
        />
        {state.loading && !previewing && <div class="spinner" aria-label={t("camera.loading")} />}
        <div class="wall" aria-live="off">
          <Time ms={cursor} class="wall-time" />
          <span class="zone">{zoneName()}</span>
        </div>
      </div>
      <div class="control-bar">
        <PlaybackControls
          cursor={cursor}
          playing={state.playing}
          canStep={crossing.canStep}
          live={live}
          hasClip={here !== null}
          clipThumb={here ? thumb(here.start) : null}
          isAdmin={isAdmin}
          onStep={crossing.step}
          onSeekBy={(ms) => cursor !== null && seekTo(cursor + ms)}
          onToggle={togglePlay}
          onLive={() => {
            preview.end();
            if (!live) ctrl.current?.pause();
            setLive(!live);
          }}
          onFullscreen={toggleFullscreen}
          onDownload={download}
          onDelete={() => here && setPending({ kind: "clip", key: here.key, start: here.start, end: here.end })}
        />
        <p class="status" role="status" aria-live="polite">
          {live ? t("camera.liveNow") : (state.error ?? (message !== null ? textOf(message) : null) ?? (state.ended ? t("camera.ended") : "\u00a0"))}
        </p>
      </div>
      <DayNav camera={id} day={day} cursor={cursor} live={live} selecting={selecting} onSelecting={setSelecting} onSeek={seekRecorded} say={setMessage} />
      <Timeline
        thumb={thumb}
        items={itemsDay === day ? items : []}
        bounds={bounds}
        cursor={cursor}
        loading={itemsDay !== day}
        selecting={selecting}
        selection={selection}
        onSeek={seekRecorded}
        onView={setView}
        onSelect={(s) => {
          setSelection(s);
          if (s) setSelecting(false);
        }}
      />
      <ActivityPanel camera={id} start={first.shown ? day : null} end={first.shown && day !== null ? dayEnd(day) : null} cursor={cursor} view={view} live={live} isAdmin={isAdmin} onSeek={seekRecorded} say={setMessage} />
      <RangeBar
        selection={selection}
        selecting={selecting}
        isAdmin={isAdmin}
        onExport={(s) =>
          void exportsApi
            .create(id, s.start, s.end)
            .then(() => navigate("/exports"))
            .catch((e: Error) => setMessage(e.message))
        }
        onDelete={(span) => setPending({ kind: "range", span })}
        onClear={() => setSelection(null)}
      />
      {pending && <DeleteConfirm pending={pending} onCancel={() => setPending(null)} onConfirm={confirmDelete} />}
    </main>
  );
}
