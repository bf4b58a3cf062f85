// The page's parts that need hls.js, each a script of its own fetched when first shown (see ../lazy.tsx).
// Vite splits at these import() calls; hls.js lands in a chunk they share.
import { imagesSettled, lazy, whenIdle } from "../lazy";

export const CameraPageView = lazy(() => import("./CameraPage").then((m) => m.CameraPage));
export const SyncViewView = lazy(() => import("./SyncView").then((m) => m.SyncView));
export const LivePlayerView = lazy(() => import("../live/LivePlayer").then((m) => m.LivePlayer));

/** After the grid's stills have arrived and the browser is idle, fetch (and compile) the camera page
 * and the live player, so opening a camera or pressing "live tiles" does not wait for their script. */
export function prefetchAfterGrid(grid: ParentNode): void {
  void imagesSettled(grid.querySelectorAll<HTMLImageElement>(".grid-still img")).then(() =>
    whenIdle(() => {
      CameraPageView.load().catch(() => {}); // the click then tries again and says so if it fails
      LivePlayerView.load().catch(() => {});
    }),
  );
}
