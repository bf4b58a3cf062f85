"""Reading the clocks the simulator drew into every player of the side-by-side view (test and bench)."""

from __future__ import annotations

import base64
import threading
from pathlib import Path
from typing import Any

import numpy as np

# every tile is drawn in the same JavaScript turn: reading them one call at a time would add the time
# between the calls (100-300 ms on a loaded machine) to the spread being measured
TILES_FRAME_JS = """(cameras) => {
  const videos = cameras.map((cam) => document.querySelector(`.sync-tile[data-camera="${cam}"] video`));
  const canvases = videos.map((v) => {
    // a tile with no recording at the clock's instant shows the gap, not its last frame: not sampled
    if (!v || !v.videoWidth || v.readyState < 2 || v.dataset.gap === "yes") return null;
    const c = document.createElement('canvas');
    c.width = v.videoWidth; c.height = v.videoHeight;
    c.getContext('2d').drawImage(v, 0, 0);
    return c;
  });
  return canvases.map((c) => {
    if (!c) return null;
    const h = Math.min(c.height, Math.ceil(c.height / 90) * 8);
    const d = c.getContext('2d').getImageData(0, 0, c.width, h).data;
    // the luma as one base64 string: a JSON array of numbers per tile took seconds to cross the
    // protocol on a loaded machine (the tiles are still drawn in one turn; this is how many samples fit)
    const luma = new Uint8Array(d.length / 4);
    for (let i = 0, j = 0; i < d.length; i += 4, j++) {
      luma[j] = Math.round(0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]);
    }
    let bin = '';
    for (let k = 0; k < luma.length; k += 8192) bin += String.fromCharCode.apply(null, luma.subarray(k, k + 8192));
    return {w: c.width, h: h, full_h: c.height, luma: btoa(bin)};
  });
}"""


def tile_clocks_ms(support: Any, page: Any, cameras: list[str]) -> list[int | None]:
    """The instant drawn into the frame each tile shows now (one moment for all), None before it has one."""
    out: list[int | None] = []
    for doc in page.evaluate(TILES_FRAME_JS, cameras):
        if doc is None:
            out.append(None)
            continue
        luma = np.frombuffer(base64.b64decode(doc["luma"]), dtype=np.uint8).reshape(doc["h"], doc["w"])
        try:
            out.append(int(support.decode_clock(luma, doc["full_h"]).timestamp() * 1000))
        except ValueError:   # a frame that does not read as a clock: read again
            out.append(None)
    return out


DRIFTS_JS = """(cameras) => cameras.map((cam) => {
  const v = document.querySelector(`.sync-tile[data-camera="${cam}"] video`);
  return v && v.dataset.drift !== undefined ? Number(v.dataset.drift) : null;
})"""


def drift_spread_ms(page: Any, cameras: list[str]) -> int | None:
    """Largest difference between the players' own positions (what each shows − the shared clock, as
    the follow loop last read it from currentTime): the sync error without the content's frame period."""
    drifts = page.evaluate(DRIFTS_JS, cameras)
    if any(d is None for d in drifts):
        return None
    return int(max(drifts) - min(drifts))


def spread_ms(support: Any, page: Any, cameras: list[str]) -> int | None:
    """Largest difference between the clocks the tiles show (one sample), None while one has no frame."""
    times = tile_clocks_ms(support, page, cameras)
    if any(t is None for t in times):
        return None
    known = [t for t in times if t is not None]
    return max(known) - min(known)


def simulate_together(support: Any, cloud: Any, cameras: list[str], work: Path, count: int,
                      fps: int | None = None, timeout: float = 300) -> dict[str, list[str]]:
    """Runs one `vigil-camera simulate --fast` per camera at the same time: overlapping recordings."""
    out: dict[str, list[str]] = {}

    def run(camera: str) -> None:
        out[camera] = support.simulate(cloud, camera, work / camera, count, fps or support.FPS, timeout)

    threads = [threading.Thread(target=run, args=(c,)) for c in cameras]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out
