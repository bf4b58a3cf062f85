import { describe, expect, it } from "vitest";
import { LIVE_SYNC_S, startSegment } from "../src/live/warm";

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
