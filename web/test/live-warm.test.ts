import { afterEach, describe, expect, it, vi } from "vitest";
import { LIVE_SYNC_S, startSegment, takeWarm, warmLive } from "../src/live/warm";

const playlist = (durations: number[]): string =>
  ["#EXTM3U", "#EXT-X-TARGETDURATION:1", "#EXT-X-MEDIA-SEQUENCE:100",
   ...durations.flatMap((d, i) => [`#EXT-X-PROGRAM-DATE-TIME:2026-12-07T10:00:0${i}.000Z`, `#EXTINF:${d},`, `https://oss/live/cam/hls/${100 + i}.ts?sig=${i}`])].join("\n");

describe("the live view's first segment (where hls.js starts, liveSyncDuration before the edge)", () => {
  it("is the one holding the instant 1.5 s before the end of the window", () => {
    expect(LIVE_SYNC_S).toBe(1.5);
    expect(startSegment(playlist([1, 1, 1, 1, 1, 1]))).toBe("https://oss/live/cam/hls/104.ts?sig=4"); // 4.5 s of 6
    expect(startSegment(playlist([2, 2, 2]))).toBe("https://oss/live/cam/hls/102.ts?sig=2");          // 4.5 s of 6
    expect(startSegment(playlist([1, 1, 0.4]))).toBe("https://oss/live/cam/hls/100.ts?sig=0");        // 0.9 s of 2.4
  });

  it("is the first when the window is shorter than the sync distance, none when it is empty", () => {
    expect(startSegment(playlist([1]))).toBe("https://oss/live/cam/hls/100.ts?sig=0");
    expect(startSegment("#EXTM3U\n#EXT-X-TARGETDURATION:1\n")).toBeNull();
  });
});

describe("warmLive: the live start at the press", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.useRealTimers();
  });

  const answer = (url: string): Response =>
    url.endsWith("/live")
      ? new Response(JSON.stringify({ playlist: "/api/v1/cameras/cam-w/live.m3u8", lease_seconds: 30 }), {
          status: 200,
          headers: { "Content-Type": "application/json" },
        })
      : url.endsWith(".m3u8")
        ? new Response(playlist([1, 1, 1]), { status: 200 })
        : new Response(new Uint8Array([0x47, 1, 2]), { status: 200 });

  it("sends POST /live and the playlist GET together, then the start segment, each once", async () => {
    const calls: string[] = [];
    vi.stubGlobal("fetch", vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
      calls.push(`${init?.method ?? "GET"} ${String(input)}`);
      return Promise.resolve(answer(String(input)));
    }));
    const w = warmLive("cam-w");
    expect(calls).toEqual(["POST /api/v1/cameras/cam-w/live", "GET /api/v1/cameras/cam-w/live.m3u8"]); // not one after the other
    expect(warmLive("cam-w")).toBe(w); // a second press (another tile of it) starts nothing new
    const ahead = await w.segment;
    expect(ahead?.url).toBe("https://oss/live/cam/hls/101.ts?sig=1");
    expect((await ahead!.body)?.data).toBeInstanceOf(ArrayBuffer);
    expect(takeWarm("cam-w")).toBe(w);
    expect(calls.filter((c) => c.includes(".ts")).length).toBe(1);
  });

  it("fetches a stale start's playlist again but keeps its POST /live (the user's live-start limit)", async () => {
    vi.useFakeTimers({ toFake: ["performance"] });
    const calls: string[] = [];
    vi.stubGlobal("fetch", vi.fn((input: RequestInfo | URL, init?: RequestInit) => {
      calls.push(`${init?.method ?? "GET"} ${String(input)}`);
      return Promise.resolve(answer(String(input)));
    }));
    const w = warmLive("cam-s");
    vi.advanceTimersByTime(5_000); // the player's script took 5 s: the window has moved on
    const again = takeWarm("cam-s");
    expect(again).not.toBe(w);
    expect(again.started).toBe(w.started);
    expect(calls.filter((c) => c.startsWith("POST")).length).toBe(1);
    expect(calls.filter((c) => c.endsWith(".m3u8")).length).toBe(2);
    vi.advanceTimersByTime(20_000); // long after: a new start altogether
    takeWarm("cam-s");
    expect(calls.filter((c) => c.startsWith("POST")).length).toBe(2);
  });
});
