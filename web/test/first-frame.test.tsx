// The camera page's other requests wait for its first frame (issue 30): useFirstFrame opens on the
// video's first `playing`, an `error`, settle() (nothing to play), or after HOLD_MS at the latest;
// and the spare hls.js worker started at boot is what hls.js's `new Worker(workerPath)` gets, once.
import { render } from "preact";
import { useRef } from "preact/hooks";
import { act } from "preact/test-utils";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { HOLD_MS, useFirstFrame } from "../src/player/first-frame";
import { HLS_WORKER_URL, spareHlsWorker } from "../src/player/worker-spare";

let host: HTMLDivElement;
let seen: { shown: boolean; settle: () => void } | null = null;

function Page({ id }: { id: string }) {
  const video = useRef<HTMLVideoElement>(null);
  seen = useFirstFrame(video, id);
  return <video ref={video} data-shown={String(seen.shown)} />;
}

function mount(id: string) {
  act(() => render(<Page id={id} />, host));
  return host.querySelector("video")!;
}

beforeEach(() => {
  vi.useFakeTimers();
  host = document.createElement("div");
  document.body.appendChild(host);
});
afterEach(() => {
  render(null, host);
  host.remove();
  vi.useRealTimers();
});

describe("useFirstFrame", () => {
  it("holds until the video plays, and opens again only for another camera's first frame", () => {
    const v = mount("cam-a");
    expect(seen!.shown).toBe(false);
    act(() => void v.dispatchEvent(new Event("playing")));
    expect(seen!.shown).toBe(true);
    mount("cam-b"); // another camera on the same page: held again
    expect(seen!.shown).toBe(false);
    act(() => void v.dispatchEvent(new Event("error")));
    expect(seen!.shown).toBe(true);
  });

  it("opens after HOLD_MS when nothing plays, or at once when told there is nothing to play", () => {
    mount("cam-c");
    act(() => void vi.advanceTimersByTime(HOLD_MS - 1));
    expect(seen!.shown).toBe(false);
    act(() => void vi.advanceTimersByTime(1));
    expect(seen!.shown).toBe(true);
    mount("cam-d");
    expect(seen!.shown).toBe(false);
    act(() => seen!.settle());
    expect(seen!.shown).toBe(true);
  });
});

describe("spareHlsWorker", () => {
  class FakeWorker {
    static made: string[] = [];
    static all: FakeWorker[] = [];
    terminated = false;
    constructor(public url: string) {
      FakeWorker.made.push(url);
      FakeWorker.all.push(this);
    }
    terminate() {
      this.terminated = true;
    }
  }
  const native = window.Worker;
  afterEach(() => {
    window.Worker = native;
    FakeWorker.made = [];
    FakeWorker.all = [];
  });

  it("hands the worker started at boot to the first `new Worker` of its URL, then steps aside", () => {
    window.Worker = FakeWorker as unknown as typeof Worker;
    spareHlsWorker();
    const url = new URL(HLS_WORKER_URL, window.location.href).href;
    expect(FakeWorker.made).toEqual([url]);
    const other = new window.Worker("/assets/other.js") as unknown as FakeWorker; // another worker: a new one
    expect(other.url).toBe("/assets/other.js");
    const taken = new window.Worker(url) as unknown as FakeWorker;
    expect(FakeWorker.made).toEqual([url, "/assets/other.js"]); // the spare, not a third worker
    expect(window.Worker).toBe(FakeWorker); // restored once taken
    vi.advanceTimersByTime(60_000);
    expect(taken.terminated).toBe(false); // taken: hls.js's to end
  });

  it("drops an unused spare and steps aside after a while", () => {
    window.Worker = FakeWorker as unknown as typeof Worker;
    spareHlsWorker();
    expect(window.Worker).not.toBe(FakeWorker);
    vi.advanceTimersByTime(30_000);
    expect(window.Worker).toBe(FakeWorker);
    expect(FakeWorker.all[0].terminated).toBe(true); // the spare no page took
    const url = new URL(HLS_WORKER_URL, window.location.href).href;
    const fresh = new window.Worker(url) as unknown as FakeWorker;
    expect(FakeWorker.made).toEqual([url, url]); // a new worker: the spare is gone
    expect(fresh.terminated).toBe(false);
  });
});
