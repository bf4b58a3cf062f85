// Screens and players whose script is fetched when first shown (issue 24): the camera grid's entry
// script then carries no hls.js (120 KB gzip, ~390 KB to compile on a busy 2-core machine while the
// grid's /cameras answer and stills are on their way). The grid asks for them once it is idle.
import type { ComponentType, JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useT } from "./i18n";

export interface Lazy<P> {
  /** Renders the component once its script has arrived, `fallback` (or nothing) until then. */
  View: (props: P & { fallback?: JSX.Element }) => JSX.Element | null;
  /** Fetches and runs the script now (at most once; again after a failure). */
  load: () => Promise<ComponentType<P>>;
}

/** A component whose module is imported on first use (`importer` is an `import()` that picks the export). */
export function lazy<P extends object>(importer: () => Promise<ComponentType<P>>): Lazy<P> {
  let ready: ComponentType<P> | null = null;
  let pending: Promise<ComponentType<P>> | null = null;
  const load = () => {
    pending ??= importer().then(
      (c) => (ready = c),
      (e: unknown) => {
        pending = null; // a later visit tries again (the network came back, or a new deploy)
        throw e;
      },
    );
    return pending;
  };
  function View(props: P & { fallback?: JSX.Element }) {
    const t = useT();
    const [shown, setShown] = useState<{ c: ComponentType<P> | null; failed: boolean }>({ c: ready, failed: false });
    useEffect(() => {
      if (shown.c) return;
      let alive = true;
      load().then(
        (c) => alive && setShown({ c, failed: false }),
        () => alive && setShown({ c: null, failed: true }),
      );
      return () => {
        alive = false;
      };
    }, []);
    const { fallback, ...rest } = props;
    if (shown.failed) {
      return (
        <p class="error" role="alert">
          {t("common.scriptFailed")}
        </p>
      );
    }
    const C = shown.c;
    return C ? <C {...(rest as P)} /> : (fallback ?? null);
  }
  return { View, load };
}

/** Runs `work` when the browser has nothing else to do (a short timer where requestIdleCallback is missing). */
export function whenIdle(work: () => void): void {
  if (typeof requestIdleCallback === "function") requestIdleCallback(work, { timeout: 5000 });
  else setTimeout(work, 300);
}

/** Resolves when every image in `images` has loaded or failed: the grid's stills come before prefetching. */
export function imagesSettled(images: Iterable<HTMLImageElement>): Promise<void> {
  const waits = [...images]
    .filter((img) => !img.complete)
    .map((img) => new Promise<void>((done) => {
      img.addEventListener("load", () => done(), { once: true });
      img.addEventListener("error", () => done(), { once: true });
    }));
  return Promise.all(waits).then(() => undefined);
}
