// Under the timeline: the selected range with Export MP4, (admins) Delete range and Clear; while
// selecting, how to select.
import type { Span } from "../../timeline/model";
import { formatDuration } from "../../time";
import { Time } from "../../ui/Time";

export function RangeBar(p: {
  selection: Span | null;
  selecting: boolean;
  isAdmin: boolean;
  onExport: (s: Span) => void;
  onDelete: (s: Span) => void;
  onClear: () => void;
}) {
  const { selection } = p;
  return (
    <div class="range-row" aria-live="polite">
      {selection ? (
        <>
          <span>
            Range <Time ms={selection.start} /> – <Time ms={selection.end} /> ({formatDuration(selection.end - selection.start)})
          </span>
          <button type="button" title="Export this range as one MP4 (Exports screen)" aria-label="Export range" onClick={() => p.onExport(selection)}>
            Export MP4
          </button>
          {p.isAdmin && (
            <button type="button" class="danger" aria-label="Delete range" onClick={() => p.onDelete(selection)}>
              Delete range
            </button>
          )}
          <button type="button" aria-label="Clear selection" onClick={p.onClear}>
            Clear
          </button>
        </>
      ) : (
        <span class="hint">{p.selecting ? "Drag on the timeline to select a range." : "\u00a0"}</span>
      )}
    </div>
  );
}
