// Under the status line: "Go to" a typed date and time, the previous / next day, the calendar
// (opens below the row) and the range-selection toggle.
import { useState } from "preact/hooks";
import { dayEnd, dayKey, dayStart, parseDayKey, parseInputValue, toInputValue } from "../../time";
import { Calendar } from "../../timeline/Calendar";
import { Icon } from "../../ui/Icon";
import { useT, words, type Words } from "../../i18n";

export function DayNav(p: {
  camera: string;
  day: number | null;
  cursor: number | null;
  /** Live plays: "Go to" has no playback position to show (a day or the calendar leaves live). */
  live?: boolean;
  selecting: boolean;
  onSelecting: (on: boolean) => void;
  onSeek: (t: number) => void;
  say: (m: Words | null) => void;
}) {
  const t = useT();
  const { day, cursor } = p;
  const [jump, setJump] = useState(""); // what the viewer typed; empty = the field follows playback
  const [calendar, setCalendar] = useState(false);

  const onJump = (ev: Event) => {
    ev.preventDefault();
    const target = parseInputValue(jump || (cursor !== null ? toInputValue(cursor) : ""));
    if (target === null) {
      p.say(words("camera.nav.badTime"));
      return;
    }
    setJump(""); // the field follows playback again
    p.onSeek(target);
  };

  return (
    <>
      <div class="nav-row">
        <form class="jump" onSubmit={onJump} aria-label={t("camera.nav.jumpForm")}>
          <label>
            {t("camera.nav.goTo")}
            <input
              type="datetime-local"
              step="1"
              name="jump"
              aria-label={t("camera.nav.jumpField")}
              value={jump || (cursor !== null && !p.live ? toInputValue(cursor) : "")}
              disabled={p.live}
              onInput={(e) => setJump(e.currentTarget.value)}
            />
          </label>
          <button type="submit" disabled={p.live}>
            {t("camera.nav.go")}
          </button>
        </form>
        <button type="button" aria-label={t("camera.nav.prevDay")} onClick={() => day !== null && p.onSeek(dayStart(day - 1))}>
          {t("camera.nav.prevDayShort")}
        </button>
        <button type="button" aria-expanded={calendar} aria-label={t("camera.nav.calendar")} onClick={() => setCalendar(!calendar)}>
          <Icon name="calendar" /> {day !== null ? dayKey(day) : ""}
        </button>
        <button type="button" aria-label={t("camera.nav.nextDay")} onClick={() => day !== null && p.onSeek(dayEnd(day))}>
          {t("camera.nav.nextDayShort")}
        </button>
        <button type="button" aria-pressed={p.selecting} aria-label={t("camera.nav.selectLabel")} onClick={() => p.onSelecting(!p.selecting)}>
          {t("camera.nav.select")}
        </button>
      </div>
      {calendar && day !== null && (
        <Calendar
          camera={p.camera}
          day={dayKey(day)}
          onClose={() => setCalendar(false)}
          onPick={(d) => {
            setCalendar(false);
            const start = parseDayKey(d);
            if (start !== null) p.onSeek(start);
          }}
        />
      )}
    </>
  );
}
