import { describe, expect, it } from "vitest";
import { monthGrid, shiftMonth } from "../src/timeline/calendar";
import { parseRoute } from "../src/router";
import { pickSource, prefetchPlayback, startWindow, withPrefetch } from "../src/player/controller";
import type { Playback } from "../src/api";
import { vi } from "vitest";

describe("month calendar", () => {
  it("lays December 2026 out Monday first", () => {
    const rows = monthGrid("2026-12");
    expect(rows[0].map((c) => c.date)).toEqual([null, 1, 2, 3, 4, 5, 6]); // 1 Dec 2026 is a Tuesday
    expect(rows.flat().filter((c) => c.day).length).toBe(31);
    expect(rows.every((r) => r.length === 7)).toBe(true);
    expect(rows[rows.length - 1].find((c) => c.date === 31)?.day).toBe("2026-12-31");
  });
  it("shifts months across years", () => {
    expect(shiftMonth("2026-12", 1)).toBe("2027-01");
    expect(shiftMonth("2026-01", -1)).toBe("2025-12");
  });
});

describe("routes", () => {
  it("parses the page's paths", () => {
    expect(parseRoute("/", "")).toEqual({ name: "cameras" });
    expect(parseRoute("/cameras/cam-1", "?t=123")).toEqual({ name: "camera", id: "cam-1", t: 123 });
    expect(parseRoute("/cameras/cam-1", "")).toEqual({ name: "camera", id: "cam-1", t: null });
    expect(parseRoute("/cameras/cam-1", "?t=abc")).toEqual({ name: "camera", id: "cam-1", t: null });
    expect(parseRoute("/login", "?next=/admin")).toEqual({ name: "login", next: "/admin" });
    expect(parseRoute("/nope/x", "")).toEqual({ name: "notfound" });
  });
});

describe("playback source", () => {
  const pb: Playback = {
    camera: "c", start: 0, end: 3_600_000, mode: "mixed",
    playlists: [{ start: 0, end: 1000, url: "/p1" }, { start: 5000, end: 9000, url: "/p2" }],
    direct: [{ key: "k", start: 2000, end: 4000, url: "https://x/k.mp4", expires: 0 }],
  };
  it("picks the source that holds the instant, else the next one", () => {
    expect(pickSource(pb, 500)?.url).toBe("/p1");
    expect(pickSource(pb, 2500)).toMatchObject({ kind: "direct", url: "https://x/k.mp4" });
    expect(pickSource(pb, 1500)?.url).toBe("https://x/k.mp4");
    expect(pickSource(pb, 4500)?.url).toBe("/p2");
    expect(pickSource(pb, 9500)).toBeNull();
  });
});

describe("playback prefetch", () => {
  const answer = (start: number): Playback => ({ camera: "c", start, end: start + 1, mode: "hls", playlists: [], direct: [] });

  it("is used once for the very range the player asks first", async () => {
    const early = vi.fn(async (s: number) => answer(s));
    prefetchPlayback("cam-a", 10_000_000, early);
    const late = vi.fn(async (s: number) => answer(-s));
    const fetch = withPrefetch("cam-a", late);
    const [s, e] = startWindow(10_000_000);
    expect((await fetch(s, e)).start).toBe(s);
    expect(late).not.toHaveBeenCalled();
    expect((await fetch(s, e)).start).toBe(-s); // second time: a fresh request
  });

  it("a failed prefetch (opened signed out) falls back to a fresh request", async () => {
    prefetchPlayback("cam-b", 20_000_000, async () => {
      throw new Error("Sign in first.");
    });
    const fetch = withPrefetch("cam-b", async (s: number) => answer(s));
    const [s, e] = startWindow(20_000_000);
    expect((await fetch(s, e)).start).toBe(s);
  });
});
