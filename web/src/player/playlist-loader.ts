// hls.js's playlist loader with one shortcut: a playlist already fetched at boot (warm.ts) is
// handed over instead of asked again; every other request goes to hls.js's own loader.
import type { HlsConfig, Loader, LoaderCallbacks, LoaderContext, LoaderConfiguration, LoaderStats, PlaylistLoaderContext } from "hls.js/light";
import { takePlaylist } from "./warm";

type Ctor = new (config: HlsConfig) => Loader<PlaylistLoaderContext>;

/** A playlist loader class over `Base` (hls.js's default loader, `Hls.DefaultConfig.loader`). */
export function warmPlaylistLoader(Base: new (config: HlsConfig) => Loader<LoaderContext>): Ctor {
  const Inner = Base as unknown as Ctor;
  return class WarmPlaylistLoader implements Loader<PlaylistLoaderContext> {
    private readonly inner: Loader<PlaylistLoaderContext>;
    private gone = false;
    private warmContext: PlaylistLoaderContext | null = null; // while a warmed answer is handed over

    /** The request in flight (hls.js compares it to ignore a repeat), cleared when answered. */
    get context(): PlaylistLoaderContext | null {
      return this.warmContext ?? this.inner.context;
    }

    constructor(config: HlsConfig) {
      this.inner = new Inner(config);
    }

    get stats(): LoaderStats {
      return this.inner.stats;
    }

    load(context: PlaylistLoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<PlaylistLoaderContext>): void {
      const warm = takePlaylist(context.url);
      if (!warm) {
        this.inner.load(context, config, callbacks);
        return;
      }
      this.warmContext = context;
      const stats = this.inner.stats;
      stats.loading.start = performance.now();
      void warm.then((text) => {
        this.warmContext = null;
        if (this.gone) return;
        if (text === null) {
          this.inner.load(context, config, callbacks); // the boot fetch failed: ask as usual
          return;
        }
        const now = performance.now();
        stats.loading.first = now;
        stats.loading.end = now;
        stats.loaded = stats.total = text.length;
        callbacks.onSuccess({ url: context.url, data: text, code: 200 }, stats, context, null);
      });
    }

    abort(): void {
      this.gone = true;
      this.inner.abort();
    }

    destroy(): void {
      this.gone = true;
      this.inner.destroy();
    }

    getCacheAge(): number | null {
      return this.inner.getCacheAge?.() ?? null;
    }

    getResponseHeader(name: string): string | null {
      return this.inner.getResponseHeader?.(name) ?? null;
    }
  };
}
