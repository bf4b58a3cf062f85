import { render } from "preact";
import { act } from "preact/test-utils";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Timeline } from "../src/timeline/Timeline";
import type { TimelineItem } from "../src/timeline/model";

const DAY = { start: Date.UTC(2026, 10, 30, 23), end: Date.UTC(2026, 11, 1, 23) };
const at = (h: number, m = 0, s = 0) => DAY.start + ((h * 60 + m) * 60 + s) * 1000;
const items: TimelineItem[] = [
  { type: "clip", key: "a", start: at(10), end: at(10, 0, 10) },
  { type: "gap", start: at(10, 0, 10), end: at(10, 5) },
  { type: "clip", key: "c", start: at(10, 5), end: at(10, 5, 10) },
];

let host: HTMLDivElement;
afterEach(() => {
  render(null, host);
  host.remove();
});

function mount(onSeek = vi.fn(), cursor: number | null = null) {
  host = document.createElement("div");
  document.body.appendChild(host);
  act(() => render(<Timeline items={items} bounds={DAY} cursor={cursor} onSeek={onSeek} />, host));
  const track = host.querySelector<HTMLDivElement>(".tl-track")!;
  track.getBoundingClientRect = () => ({ left: 0, top: 0, width: 1000, height: 80, right: 1000, bottom: 80, x: 0, y: 0, toJSON: () => ({}) });
  return { track, onSeek };
}

const view = (track: HTMLElement) => [Number(track.dataset.viewStart), Number(track.dataset.viewEnd)];
const button = (name: string) => host.querySelector<HTMLButtonElement>(`button[aria-label="${name}"]`)!;

describe("Timeline", () => {
  it("draws clips as blocks and gaps as empty space", () => {
    const { track } = mount();
    expect(host.querySelectorAll(".tl-clip")).toHaveLength(2);
    const gap = host.querySelector<HTMLElement>(".tl-gap")!;
    expect(Number(gap.dataset.start)).toBe(at(10, 0, 10));
    expect(view(track)).toEqual([DAY.start, DAY.end]);
  });

  it("zooms with the buttons between 24 h and 1 min", () => {
    const { track } = mount(vi.fn(), at(10, 0, 5));
    for (let i = 0; i < 15; i++) act(() => button("Zoom in").click());
    const [s, e] = view(track);
    expect(e - s).toBe(60_000);
    expect(s <= at(10, 0, 5) && at(10, 0, 5) <= e).toBe(true);
    expect(button("Zoom in").disabled).toBe(true);
    act(() => button("Whole day").click());
    expect(view(track)).toEqual([DAY.start, DAY.end]);
  });

  it("zooms with the wheel around the pointer", () => {
    const { track } = mount();
    act(() => {
      track.dispatchEvent(new WheelEvent("wheel", { deltaY: -400, clientX: 500, bubbles: true, cancelable: true }));
    });
    const [s, e] = view(track);
    expect(e - s).toBeLessThan(DAY.end - DAY.start);
    expect((s + e) / 2).toBeCloseTo(at(12), -3);
  });

  it("a click seeks to the instant under the pointer", () => {
    const { track, onSeek } = mount();
    const Pointer = window.PointerEvent ?? MouseEvent;
    act(() => {
      track.dispatchEvent(new Pointer("pointerdown", { clientX: 250, button: 0, bubbles: true, pointerId: 1 } as PointerEventInit));
    });
    act(() => {
      track.dispatchEvent(new Pointer("pointerup", { clientX: 250, button: 0, bubbles: true, pointerId: 1 } as PointerEventInit));
    });
    expect(onSeek).toHaveBeenCalledWith(at(6));
  });

  it("a fast click (pointerup before any re-render) still seeks", () => {
    const { track, onSeek } = mount();
    const Pointer = window.PointerEvent ?? MouseEvent;
    act(() => {
      track.dispatchEvent(new Pointer("pointerdown", { clientX: 750, button: 0, bubbles: true, pointerId: 2 } as PointerEventInit));
      track.dispatchEvent(new Pointer("pointerup", { clientX: 750, button: 0, bubbles: true, pointerId: 2 } as PointerEventInit));
    });
    expect(onSeek).toHaveBeenCalledWith(at(18));
  });

  it("shows the cursor where playback is", () => {
    mount(vi.fn(), at(10, 0, 5));
    const cur = host.querySelector<HTMLElement>(".tl-cursor")!;
    expect(Number(cur.dataset.time)).toBe(at(10, 0, 5));
  });
});

describe("Timeline gestures", () => {
  const Pointer = window.PointerEvent ?? MouseEvent;
  const fire = (el: HTMLElement, type: string, id: number, x: number) =>
    el.dispatchEvent(new Pointer(type, { clientX: x, button: 0, bubbles: true, pointerId: id, pointerType: "touch" } as PointerEventInit));

  it("pinch with two fingers zooms in around their middle", () => {
    const { track } = mount();
    act(() => {
      fire(track, "pointerdown", 1, 400);
      fire(track, "pointerdown", 2, 600);
    });
    act(() => {
      fire(track, "pointermove", 1, 200);
    });
    act(() => {
      fire(track, "pointermove", 2, 800);
    });
    const [s, e] = view(track);
    expect(e - s).toBeLessThan((DAY.end - DAY.start) / 2);
    expect(s < at(12) && at(12) < e).toBe(true);
    act(() => {
      fire(track, "pointerup", 1, 200);
      fire(track, "pointerup", 2, 800);
    });
  });

  it("in range mode a drag selects instead of seeking", () => {
    host = document.createElement("div");
    document.body.appendChild(host);
    const onSeek = vi.fn();
    const onSelect = vi.fn();
    act(() => render(<Timeline items={items} bounds={DAY} cursor={null} selecting onSeek={onSeek} onSelect={onSelect} />, host));
    const track = host.querySelector<HTMLDivElement>(".tl-track")!;
    track.getBoundingClientRect = () => ({ left: 0, top: 0, width: 1000, height: 80, right: 1000, bottom: 80, x: 0, y: 0, toJSON: () => ({}) });
    act(() => {
      fire(track, "pointerdown", 3, 250);
      fire(track, "pointermove", 3, 400);
      fire(track, "pointerup", 3, 500);
    });
    expect(onSeek).not.toHaveBeenCalled();
    expect(onSelect).toHaveBeenCalledWith({ start: at(6), end: at(12) });
  });
});
