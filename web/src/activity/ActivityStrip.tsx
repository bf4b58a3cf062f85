// Where activity happened, drawn under the timeline over the same span the timeline shows (it follows
// the zoom): a bar per bin with activity, as tall as its peak score — minute bins over the day, and
// 5-second bins once the view is under an hour. A click seeks there (the player shows that time).
import { useT } from "../i18n";
import type { Span } from "../timeline/model";
import { stripBars, stripSource, type Peaks } from "./model";

export interface ActivityStripProps {
  day: Peaks;
  fine: Peaks | null;
  view: Span;
  cursor: number | null;
  onSeek: (t: number) => void;
}

export function ActivityStrip({ day, fine, view, cursor, onSeek }: ActivityStripProps) {
  const t = useT();
  const span = view.end - view.start;
  const src = stripSource(day, fine, view);
  const bars = stripBars(src, view);
  const seek = (ev: MouseEvent) => {
    const box = (ev.currentTarget as HTMLElement).getBoundingClientRect();
    onSeek(view.start + Math.round(((ev.clientX - box.left) / Math.max(1, box.width)) * span));
  };
  return (
    <div
      class="activity-strip"
      role="img"
      aria-label={t("activity.strip.label", { count: bars.length })}
      data-busy-bins={bars.length}
      data-view-start={Math.round(view.start)}
      data-view-end={Math.round(view.end)}
      data-bin-ms={Math.round((src.end - src.start) / Math.max(1, src.peaks.length))}
      onClick={seek}
    >
      {bars.map((b) => (
        <span
          key={b.bin}
          class="activity-bar"
          data-bin={b.bin}
          style={{ left: `${b.left}%`, width: `max(${b.width}%, 2px)`, height: `${Math.round(20 + 80 * b.peak)}%` }}
        />
      ))}
      {cursor !== null && cursor >= view.start && cursor < view.end && (
        <span class="activity-cursor" style={{ left: `${((cursor - view.start) / span) * 100}%` }} />
      )}
    </div>
  );
}
