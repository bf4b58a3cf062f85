import { afterEach, describe, expect, it, vi } from "vitest";
import type { HlsConfig, Loader, LoaderCallbacks, LoaderConfiguration, LoaderContext, PlaylistLoaderContext } from "hls.js/light";
import { warmPlaylistLoader } from "../src/player/playlist-loader";
import { takePlaylist, warmPlaylist } from "../src/player/warm";

const PLAYLIST = "#EXTM3U\n#EXT-X-ENDLIST\n";

afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

function stubFetch(answer: () => Promise<Response>): ReturnType<typeof vi.fn> {
  const f = vi.fn(answer);
  vi.stubGlobal("fetch", f);
  return f;
}

/** A stand-in for hls.js's own loader: records what it was asked to load. */
class Recorder implements Loader<LoaderContext> {
  static asked: string[] = [];
  context: LoaderContext | null = null;
  stats = {
    aborted: false, loaded: 0, retry: 0, total: 0, chunkCount: 0, bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 }, parsing: { start: 0, end: 0 }, buffering: { start: 0, first: 0, end: 0 },
  };
  constructor(_config: HlsConfig) {}
  load(context: LoaderContext): void {
    Recorder.asked.push(context.url);
  }
  abort(): void {}
  destroy(): void {}
}

function callbacks(): { cb: LoaderCallbacks<PlaylistLoaderContext>; got: Promise<string> } {
  let done: (s: string) => void = () => undefined;
  const got = new Promise<string>((r) => (done = r));
  const cb = {
    onSuccess: (resp: { data?: unknown }) => done(String(resp.data)),
    onError: () => done("error"),
    onTimeout: () => done("timeout"),
  } as unknown as LoaderCallbacks<PlaylistLoaderContext>;
  return { cb, got };
}

const ctx = (url: string) => ({ url, type: "manifest", level: null, id: null, responseType: "text" }) as unknown as PlaylistLoaderContext;

describe("the camera page's first playlist, fetched at boot", () => {
  it("is handed to hls.js once, by absolute URL, without asking again", async () => {
    const f = stubFetch(async () => new Response(PLAYLIST, { status: 200 }));
    warmPlaylist("/api/v1/cameras/cam-a/playlist.m3u8?start=1&end=2");
    const url = new URL("/api/v1/cameras/cam-a/playlist.m3u8?start=1&end=2", location.href).toString();
    expect(f).toHaveBeenCalledTimes(1);
    Recorder.asked = [];
    const Loader = warmPlaylistLoader(Recorder);
    const { cb, got } = callbacks();
    new Loader({} as HlsConfig).load(ctx(url), {} as LoaderConfiguration, cb);
    expect(await got).toBe(PLAYLIST);
    expect(Recorder.asked).toEqual([]);
    // taken once: the next load of the same URL (a reload after an error) is a fresh request
    expect(takePlaylist(url)).toBeNull();
    new Loader({} as HlsConfig).load(ctx(url), {} as LoaderConfiguration, callbacks().cb);
    expect(Recorder.asked).toEqual([url]);
  });

  it("falls back to hls.js's own request when the boot fetch was refused (signed out)", async () => {
    stubFetch(async () => new Response("{}", { status: 401 }));
    const url = new URL("/api/v1/cameras/cam-b/playlist.m3u8?start=1&end=2", location.href).toString();
    warmPlaylist(url);
    Recorder.asked = [];
    const Loader = warmPlaylistLoader(Recorder);
    new Loader({} as HlsConfig).load(ctx(url), {} as LoaderConfiguration, callbacks().cb);
    await vi.waitFor(() => expect(Recorder.asked).toEqual([url]));
  });

  it("is dropped when stale (its segment URLs are presigned)", () => {
    vi.useFakeTimers();
    stubFetch(async () => new Response(PLAYLIST, { status: 200 }));
    const url = new URL("/api/v1/cameras/cam-c/playlist.m3u8?start=1&end=2", location.href).toString();
    warmPlaylist(url);
    vi.advanceTimersByTime(11_000);
    expect(takePlaylist(url)).toBeNull();
  });
});
