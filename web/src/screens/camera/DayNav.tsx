// Under the status line: "Go to" a typed date and time, the previous / next day, the calendar
// (opens below the row) and the range-selection toggle.
import { useState } from "preact/hooks";
import { dayEnd, dayKey, dayStart, parseDayKey, parseInputValue, toInputValue } from "../../time";
import { Calendar } from "../../timeline/Calendar";
import { Icon } from "../../ui/Icon";

export function DayNav(p: {
  camera: string;
  day: number | null;
  cursor: number | null;
  selecting: boolean;
  onSelecting: (on: boolean) => void;
  onSeek: (t: number) => void;
  say: (m: string | null) => void;
}) {
  const { day, cursor } = p;
  const [jump, setJump] = useState(""); // what the viewer typed; empty = the field follows playback
  const [calendar, setCalendar] = useState(false);

  const onJump = (ev: Event) => {
    ev.preventDefault();
    const target = parseInputValue(jump || (cursor !== null ? toInputValue(cursor) : ""));
    if (target === null) {
      p.say("Type a date and time like 2026-12-01T14:05:00.");
      return;
    }
    setJump(""); // the field follows playback again
    p.onSeek(target);
  };

  return (
    <>
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
        <button type="button" aria-label="Previous day" onClick={() => day !== null && p.onSeek(dayStart(day - 1))}>
          ‹ Day
        </button>
        <button type="button" aria-expanded={calendar} aria-label="Calendar" onClick={() => setCalendar(!calendar)}>
          <Icon name="calendar" /> {day !== null ? dayKey(day) : ""}
        </button>
        <button type="button" aria-label="Next day" onClick={() => day !== null && p.onSeek(dayEnd(day))}>
          Day ›
        </button>
        <button type="button" aria-pressed={p.selecting} aria-label="Select a range" onClick={() => p.onSelecting(!p.selecting)}>
          Select range
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
