// The camera page's activity (issue 23): the strip of where activity happened in the day, the
// day's events with stills and review marks, next / previous event (buttons and the n / p keys),
// and "play activity only", which plays the events back to back and skips the quiet video between.
import { useEffect, useRef, useState } from "preact/hooks";
import { useT, words, type Words } from "../i18n";
import { keyAction } from "../player/keyboard";
import { ActivityStrip } from "./ActivityStrip";
import { EventsList } from "./EventsList";
import type { Span } from "../timeline/model";
import { activityOnlyTarget, eventAt, fineWindow, neighbour } from "./model";
import { useActivity, useFinePeaks } from "./useActivity";
import { ZoneEditor } from "./ZoneEditor";

export interface ActivityPanelProps {
  camera: string;
  start: number | null; // the day shown, [start, end)
  end: number | null;
  cursor: number | null;
  view: Span | null; // the span the timeline shows (its zoom); null: the whole day
  live: boolean;
  isAdmin: boolean; // admins also get the zone editor
  onSeek: (t: number) => void;
  say: (message: Words) => void;
}

export function ActivityPanel({ camera, start, end, cursor, view, live, isAdmin, onSeek, say }: ActivityPanelProps) {
  const t = useT();
  const day = useActivity(camera, start, end);
  const dayPeaks = { start: start ?? 0, end: end ?? 0, peaks: day.peaks };
  const shown = view && start !== null && end !== null && view.start >= start && view.end <= end ? view : dayPeaks;
  const fine = useFinePeaks(camera, start !== null && end !== null ? fineWindow(shown, { start, end }) : null);
  const [onlyActivity, setOnlyActivity] = useState(false);
  const [editing, setEditing] = useState(false);
  const cursorRef = useRef(cursor);
  cursorRef.current = cursor;

  const step = (dir: "next" | "previous") => {
    const at = cursorRef.current ?? start;
    if (at === null) return;
    const ev = neighbour(day.events, at, dir);
    if (ev) onSeek(ev.start);
    else say(words(dir === "next" ? "activity.nav.noNext" : "activity.nav.noPrevious"));
  };

  // n / p: next and previous event (the page's other keys are in player/keyboard.ts)
  useEffect(() => {
    const onKey = (ev: KeyboardEvent) => {
      const action = keyAction(ev);
      if (action?.type !== "event" || live) return;
      ev.preventDefault();
      step(action.dir);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  });

  // play activity only: in a quiet stretch, go to the next event; after the last one, stop skipping
  useEffect(() => {
    if (!onlyActivity || live || cursor === null || !day.loaded) return;
    const target = activityOnlyTarget(day.events, cursor);
    if (target === "end") {
      setOnlyActivity(false);
      say(words("activity.only.done"));
    } else if (target !== null) onSeek(target);
  }, [onlyActivity, cursor, day.loaded, day.events, live]);

  if (start === null || end === null) return null;
  const current = cursor === null ? null : eventAt(day.events, cursor);
  const unreviewed = day.events.filter((e) => !e.reviewed).length;
  return (
    <section class="activity-panel" aria-labelledby="activity-title" data-loaded={day.loaded ? "true" : "false"}>
      <ActivityStrip day={dayPeaks} fine={fine} view={{ start: shown.start, end: shown.end }} cursor={cursor} onSeek={onSeek} />
      <div class="activity-head">
        <h2 id="activity-title">{t("activity.title")}</h2>
        <span class="activity-count" data-count={day.events.length}>
          {t("activity.count", { count: day.events.length })}
          {day.events.length > 0 && ` · ${t("activity.unreviewed", { count: unreviewed })}`}
        </span>
        <button type="button" onClick={() => step("previous")} disabled={live} title={t("activity.nav.previousKey")}>
          {t("activity.nav.previous")}
        </button>
        <button type="button" onClick={() => step("next")} disabled={live} title={t("activity.nav.nextKey")}>
          {t("activity.nav.next")}
        </button>
        <label class="activity-only">
          <input
            type="checkbox"
            checked={onlyActivity}
            disabled={live || day.events.length === 0}
            onChange={(e) => setOnlyActivity((e.currentTarget as HTMLInputElement).checked)}
          />
          {t("activity.only.label")}
        </label>
        {isAdmin && (
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            {t("activity.zones.open")}
          </button>
        )}
      </div>
      {isAdmin && editing && <ZoneEditor camera={camera} at={cursor ?? start} onClose={() => setEditing(false)} />}
      {day.error && <p class="error">{day.error}</p>}
      {day.loaded && (
        <EventsList
          camera={camera}
          events={day.events}
          current={current}
          onSeek={onSeek}
          onReviewed={(ev, reviewed) => void day.setReviewed(ev, reviewed).catch((e: Error) => say(e.message))}
        />
      )}
    </section>
  );
}
