// hls.js's transmuxer worker, shipped as a same-origin file: Vite copies the installed package's
// own dist/hls.worker.js into assets/ under a content hash (so it always matches the hls.js the
// page runs, and is cached like the rest). The page's CSP then allows workers with
// `worker-src 'self'` only: no `blob:`, which hls.js's inline worker would need. A camera page opened
// directly has it started at boot (worker-spare.ts).
import { HLS_WORKER_URL } from "./worker-spare";

/** hls.js options that move transmuxing off the main thread (recordings and live view). */
export const HLS_WORKER = { enableWorker: true, workerPath: HLS_WORKER_URL } as const;
