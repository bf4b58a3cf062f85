// The day's timeline: recordings as blocks, gaps left empty, a cursor that follows playback.
// Click or drag to seek (touch too), wheel / pinch / buttons to zoom from 24 h to one minute,
// and a range-selection mode for export and range delete.
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { formatClock, formatDuration, formatLocal, formatTick, formatUtc } from "../time";
import { useT } from "../i18n";
import {
  blocks,
  clampView,
  follow,
  pan,
  ticks,
  timeToX,
  xToTime,
  zoomAt,
  type Span,
  type TimelineItem,
} from "./model";

export interface TimelineProps {
  items: TimelineItem[];
  bounds: Span;
  cursor: number | null;
  loading?: boolean;
  selecting?: boolean;
  selection?: Span | null;
  onSeek: (t: number) => void;
  onSelect?: (span: Span | null) => void;
  /** A thumbnail URL for an instant (issue 24: shown above the pointer while hovering or scrubbing). */
  thumb?: (t: number) => string | null;
  /** The span shown, each time it changes (zoom, pan, following the cursor): the activity strip follows it. */
  onView?: (view: Span) => void;
}

/** Blocks narrower than this many pixels are drawn this wide, centred on their time, so a short
 * recording stays visible on either side of the 2 px cursor at 24 h zoom. */
export const MIN_BLOCK_PX = 8;

/** "09:00–10:00 · 1 h 00 min"; the day's end reads 24:00 (not a second "00:00"). */
export function spanLabel(view: Span, bounds: Span): string {
  const end = view.end >= bounds.end ? "24:00" : formatTick(view.end);
  return `${formatTick(view.start)}–${end} · ${formatDuration(view.end - view.start)}`;
}

type Drag =
  | { kind: "scrub"; t: number; moved: boolean; x0: number }
  | { kind: "select"; from: number; to: number }
  | { kind: "pinch"; dist: number; mid: number };

export function Timeline(props: TimelineProps) {
  const t = useT();
  const { items, bounds, cursor } = props;
  const track = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(800);
  const [view, setView] = useState<Span>(bounds);
  const [hover, setHover] = useState<number | null>(null);
  const [drag, setDragState] = useState<Drag | null>(null);
  // handlers read the drag from a ref: a fast click's pointerup can arrive before the re-render
  const dragRef = useRef<Drag | null>(null);
  const setDrag = (d: Drag | null) => {
    dragRef.current = d;
    setDragState(d);
  };
  const pointers = useRef(new Map<number, number>());
  const viewRef = useRef(view);
  viewRef.current = view;

  // a new day resets the view to the whole day
  useEffect(() => setView(bounds), [bounds.start, bounds.end]);

  useEffect(() => props.onView?.(view), [view.start, view.end]);

  // the view follows the playback cursor unless the user is dragging
  useEffect(() => {
    if (cursor !== null && !drag) setView((v) => follow(v, cursor, bounds));
  }, [cursor, drag]);

  useLayoutEffect(() => {
    const el = track.current;
    if (!el) return;
    const measure = () => setWidth(el.clientWidth || 800);
    measure();
    const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(measure) : null;
    ro?.observe(el);
    return () => ro?.disconnect();
  }, []);

  // wheel zooms around the pointer (horizontal wheel / shift pans); passive: false to keep the page still
  useEffect(() => {
    const el = track.current;
    if (!el) return;
    const onWheel = (ev: WheelEvent) => {
      ev.preventDefault();
      const v = viewRef.current;
      const rect = el.getBoundingClientRect();
      const span = v.end - v.start;
      if (ev.shiftKey || Math.abs(ev.deltaX) > Math.abs(ev.deltaY)) {
        const d = ev.shiftKey ? ev.deltaY || ev.deltaX : ev.deltaX;
        setView(pan(v, (d / Math.max(rect.width, 1)) * span, bounds));
      } else {
        const anchor = xToTime(v, ev.clientX - rect.left, rect.width);
        setView(zoomAt(v, Math.exp(ev.deltaY * 0.0025), anchor, bounds));
      }
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, [bounds.start, bounds.end]);

  const timeAt = (clientX: number): number => {
    const rect = track.current!.getBoundingClientRect();
    return Math.round(xToTime(viewRef.current, clientX - rect.left, rect.width));
  };

  const pinchState = (): { dist: number; mid: number } => {
    const xs = [...pointers.current.values()];
    const rect = track.current!.getBoundingClientRect();
    return {
      dist: Math.max(1, Math.abs(xs[0] - xs[1])),
      mid: xToTime(viewRef.current, (xs[0] + xs[1]) / 2 - rect.left, rect.width),
    };
  };

  const onPointerDown = (ev: PointerEvent) => {
    if (ev.button !== 0 && ev.pointerType === "mouse") return;
    track.current?.setPointerCapture?.(ev.pointerId);
    pointers.current.set(ev.pointerId, ev.clientX);
    if (pointers.current.size === 2) {
      setDrag({ kind: "pinch", ...pinchState() });
      return;
    }
    const t = timeAt(ev.clientX);
    setDrag(props.selecting ? { kind: "select", from: t, to: t } : { kind: "scrub", t, moved: false, x0: ev.clientX });
  };

  const onPointerMove = (ev: PointerEvent) => {
    const t = timeAt(ev.clientX);
    setHover(t);
    if (!pointers.current.has(ev.pointerId)) return;
    pointers.current.set(ev.pointerId, ev.clientX);
    const drag = dragRef.current;
    if (!drag) return;
    if (drag.kind === "pinch" && pointers.current.size === 2) {
      const now = pinchState();
      const zoomed = zoomAt(viewRef.current, drag.dist / now.dist, drag.mid, bounds);
      setView(zoomed);
      setDrag({ kind: "pinch", dist: now.dist, mid: drag.mid });
    } else if (drag.kind === "scrub") {
      setDrag({ ...drag, t, moved: drag.moved || Math.abs(ev.clientX - drag.x0) > 3 });
    } else if (drag.kind === "select") {
      setDrag({ ...drag, to: t });
    }
  };

  const onPointerUp = (ev: PointerEvent) => {
    pointers.current.delete(ev.pointerId);
    const drag = dragRef.current;
    if (!drag) return;
    if (drag.kind === "pinch") {
      if (pointers.current.size === 0) setDrag(null);
      return;
    }
    if (drag.kind === "scrub") props.onSeek(timeAt(ev.clientX));
    if (drag.kind === "select") {
      const to = timeAt(ev.clientX);
      const span = { start: Math.min(drag.from, to), end: Math.max(drag.from, to) };
      props.onSelect?.(span.end - span.start >= 1000 ? span : null);
    }
    setDrag(null);
  };

  const onPointerCancel = (ev: PointerEvent) => {
    pointers.current.delete(ev.pointerId);
    if (pointers.current.size === 0) setDrag(null);
  };

  const zoom = (factor: number) => {
    const anchor = cursor !== null && cursor >= view.start && cursor <= view.end ? cursor : (view.start + view.end) / 2;
    setView(zoomAt(view, factor, anchor, bounds));
  };

  const x = (t: number) => timeToX(view, t, width);
  const pct = (t: number) => `${((t - view.start) / (view.end - view.start)) * 100}%`;
  const wpct = (a: number, b: number) => `${Math.max(0, ((b - a) / (view.end - view.start)) * 100)}%`;
  const shown = drag?.kind === "scrub" ? drag.t : cursor;
  const sel = drag?.kind === "select" ? { start: Math.min(drag.from, drag.to), end: Math.max(drag.from, drag.to) } : props.selection;
  const gaps = items.filter((i) => i.type === "gap" && i.end > view.start && i.start < view.end);
  const span = view.end - view.start;

  return (
    <section class="timeline" aria-label={t("timeline.label")}>
      <div class="tl-toolbar" role="toolbar" aria-label={t("timeline.zoom")}>
        <button type="button" onClick={() => zoom(0.5)} aria-label={t("timeline.zoomIn")} title={t("timeline.zoomIn")} disabled={span <= 60_000}>
          +
        </button>
        <button type="button" onClick={() => zoom(2)} aria-label={t("timeline.zoomOut")} title={t("timeline.zoomOut")} disabled={span >= bounds.end - bounds.start}>
          −
        </button>
        <button type="button" onClick={() => setView(bounds)} aria-label={t("timeline.wholeDay")} title={t("timeline.wholeDay")}>
          {t("timeline.wholeDayShort")}
        </button>
        <button type="button" onClick={() => setView(clampView({ start: (shown ?? view.start) - 30_000, end: (shown ?? view.start) + 30_000 }, bounds))} aria-label={t("timeline.oneMinuteLabel")} title={t("timeline.oneMinute")}>
          {t("timeline.oneMinuteShort")}
        </button>
        <button type="button" onClick={() => setView(pan(view, -span / 2, bounds))} aria-label={t("timeline.earlier")} title={t("timeline.earlier")}>
          ◀
        </button>
        <button type="button" onClick={() => setView(pan(view, span / 2, bounds))} aria-label={t("timeline.later")} title={t("timeline.later")}>
          ▶
        </button>
        <span class="tl-span" aria-live="polite">
          {spanLabel(view, bounds)}
        </span>
      </div>
      <div
        ref={track}
        class={`tl-track${props.loading ? " loading" : ""}${props.selecting ? " selecting" : ""}`}
        role="slider"
        tabIndex={0}
        aria-label={t("timeline.seek")}
        aria-valuemin={bounds.start}
        aria-valuemax={bounds.end}
        aria-valuenow={cursor ?? bounds.start}
        aria-valuetext={cursor !== null ? formatLocal(cursor) : "no position"}
        data-view-start={Math.round(view.start)}
        data-view-end={Math.round(view.end)}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerCancel}
        onPointerLeave={() => setHover(null)}
      >
        <div class="tl-ruler" aria-hidden="true">
          {ticks(view, width).filter((t) => x(t) < width - 36).map((t) => (
            <span key={t} class="tl-tick" style={{ left: `${x(t)}px` }}>
              {formatTick(t)}
            </span>
          ))}
        </div>
        <div class="tl-lane">
          {gaps.map((g) => (
            <div
              key={`g${g.start}`}
              class="tl-gap"
              data-start={g.start}
              data-end={g.end}
              style={{ left: pct(Math.max(g.start, view.start)), width: wpct(Math.max(g.start, view.start), Math.min(g.end, view.end)) }}
              title={t("timeline.gap", { start: formatClock(g.start), end: formatClock(g.end) })}
            />
          ))}
          {blocks(items, view, width).map((b) => (
            <div
              key={`c${b.start}`}
              class={`tl-clip${b.bad ? " bad" : ""}${x(Math.min(b.end, view.end)) - x(Math.max(b.start, view.start)) < MIN_BLOCK_PX ? " thin" : ""}`}
              data-start={b.start}
              data-end={b.end}
              data-clips={b.keys.length}
              style={{ left: pct(Math.max(b.start, view.start)), width: wpct(Math.max(b.start, view.start), Math.min(b.end, view.end)) }}
              title={t("timeline.block", { count: b.keys.length, start: formatClock(b.start), end: formatClock(b.end) })}
            />
          ))}
          {sel && sel.end > view.start && sel.start < view.end && (
            <div
              class="tl-selection"
              data-start={sel.start}
              data-end={sel.end}
              style={{ left: pct(Math.max(sel.start, view.start)), width: wpct(Math.max(sel.start, view.start), Math.min(sel.end, view.end)) }}
            />
          )}
          {shown !== null && shown >= view.start && shown <= view.end && (
            <div class="tl-cursor" data-time={shown} style={{ left: pct(shown) }} />
          )}
        </div>
        {(hover !== null || drag?.kind === "scrub") && (
          <HoverLabel t={drag?.kind === "scrub" ? drag.t : (hover as number)} left={(t) => Math.min(Math.max(x(t), 80), width - 80)} thumb={props.thumb} />
        )}
      </div>
    </section>
  );
}

/** The time under the pointer, with the thumbnail of that moment above it when one is known. */
function HoverLabel(props: { t: number; left: (t: number) => number; thumb?: (t: number) => string | null }) {
  const src = props.thumb?.(props.t) ?? null;
  return (
    <div class="tl-hover" style={{ left: `${props.left(props.t)}px` }} title={formatUtc(props.t)} data-time={Math.round(props.t)}>
      {src && <img class="tl-thumb" src={src} width={160} alt="" />}
      {formatClock(props.t)}
    </div>
  );
}
