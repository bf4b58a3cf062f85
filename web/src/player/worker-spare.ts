// hls.js's transmuxer worker, started at boot on a camera page instead of after the first segment
// has arrived. hls.js creates its worker only when it has a segment to transmux, and starting one
// (fetch, compile, init) then sat on the first frame's path: ~100-250 ms measured on the shared
// 2-core machine. hls.js takes no worker from outside (it calls `new self.Worker(workerPath)`), so the
// spare is handed over at that call: `Worker` is wrapped once, for that one URL, and restored as soon
// as the spare is taken or dropped. No hls.js import here: this runs in the entry script.
import hlsWorkerUrl from "hls.js/dist/hls.worker.js?url";

/** The worker's script (same-origin, content-hashed: the CSP allows `worker-src 'self'` only). */
export const HLS_WORKER_URL: string = hlsWorkerUrl;

const SPARE_MS = 30_000; // a page that never plays (signed out, denied) lets its spare go

/** Starts hls.js's worker now; the next `new Worker(HLS_WORKER_URL)` (hls.js's) gets it. */
export function spareHlsWorker(): void {
  if (typeof Worker === "undefined") return;
  const url = new URL(HLS_WORKER_URL, window.location.href).href;
  const Native = window.Worker;
  let spare: Worker | null;
  try {
    spare = new Native(url);
  } catch {
    return; // hls.js then starts its own, as before
  }
  const restore = () => {
    if (window.Worker === (Handover as unknown)) window.Worker = Native;
  };
  function Handover(scriptURL: string | URL, options?: WorkerOptions): Worker {
    if (spare && String(scriptURL) === url) {
      const taken = spare;
      spare = null;
      restore();
      return taken;
    }
    return new Native(scriptURL, options);
  }
  Handover.prototype = Native.prototype;
  window.Worker = Handover as unknown as typeof Worker;
  setTimeout(() => {
    spare?.terminate();
    spare = null;
    restore();
  }, SPARE_MS);
}
