// hls.js's loader, primed with what warm.ts fetched before hls.js was on the page: the first request for
// a URL it already holds (the live playlist, the first segment) is answered from it, once; everything
// else (the playlist's reloads, later segments, retries) goes to hls.js's own loader as before.
import Hls, { type Loader, type LoaderCallbacks, type LoaderConfiguration, type LoaderContext } from "hls.js/light";
import type { Fetched } from "./warm";

type LoaderClass = new (config: ConstructorParameters<typeof Hls.DefaultConfig.loader>[0]) => Loader<LoaderContext>;

const key = (url: string): string => new URL(url, location.href).href;

/** What hls.js may take instead of asking the network: URL → response (in hand or on its way), each
 * used once. A response that fails or is not the kind hls.js asked for leaves it to hls.js's loader. */
export class Primed {
  private held = new Map<string, Promise<Fetched | null>>();

  hold(url: string, body: Promise<Fetched | null>): void {
    this.held.set(key(url), body);
  }

  take(url: string): Promise<Fetched | null> | undefined {
    const k = key(url);
    const f = this.held.get(k);
    this.held.delete(k);
    return f;
  }

  /** hls.js's default loader, answering from this first. */
  loader(): LoaderClass {
    const take = (url: string) => this.take(url);
    const Base = Hls.DefaultConfig.loader as LoaderClass;
    return class PrimedLoader extends Base {
      load(context: LoaderContext, config: LoaderConfiguration, callbacks: LoaderCallbacks<LoaderContext>): void {
        const pending = take(context.url);
        if (!pending) {
          super.load(context, config, callbacks);
          return;
        }
        this.context = context;
        const wanted = context.responseType === "arraybuffer" ? "object" : "string";
        // always answered in a later task, as a network answer is: hls.js does not expect it within load()
        void pending.then((f) => {
          const s = this.stats;
          if (s.aborted || this.context !== context) return;
          if (!f || typeof f.data !== wanted) {
            super.load(context, config, callbacks);
            return;
          }
          s.loading.start = f.start;
          s.loading.first = f.end;
          s.loading.end = f.end;
          s.loaded = s.total = typeof f.data === "string" ? f.data.length : f.data.byteLength;
          callbacks.onSuccess({ url: context.url, data: f.data }, s, context, null);
        });
      }
    };
  }
}
