// A grid tile's picture (issue 24): the camera's newest still; an offline camera keeps its last
// still, dimmed, with how old it is.
//
// The still is the JPEG the camera uploads beside each clip. A clip can exist without one (an older
// camera, a still upload that failed, clips copied in by hand): then the tile asks the API for the
// frame at the clip's start, decoded from the clip, and only when that fails too shows "no picture"
// instead of a broken image.
import { useState } from "preact/hooks";
import { stillUrl, type NewestStill } from "../api";
import { formatDuration } from "../time";
import { useT } from "../i18n";

type Source = "camera" | "decoded" | "none";

export function GridStill(props: { still: NewestStill | undefined; online: boolean }) {
  const t = useT();
  const { still, online } = props;
  // What failed is remembered for one clip: a new clip starts over from the camera's own still, a
  // refreshed URL of the same clip does not retry a still already found missing. (Derived, not reset
  // in an effect: an effect can run after a fast 404 and undo its fallback.)
  const [failed, setFailed] = useState<{ clip: string; source: Source } | null>(null);
  const clip = still ? `${still.camera}@${still.shows}` : "";
  const source: Source = failed && failed.clip === clip ? failed.source : "camera";
  if (!still) return <div class="grid-still empty" aria-hidden="true" />;
  const age = Math.max(0, Date.now() - still.shows);
  const src = source === "camera" ? still.url : stillUrl(still.camera, still.shows, 320);
  return (
    <figure class={`grid-still${online ? "" : " stale"}`} data-shows={still.shows} data-source={source}>
      {source === "none" ? (
        <span class="grid-still-none">{t("pictures.none")}</span>
      ) : (
        <img
          src={src}
          width={320}
          alt={t("pictures.newestOf", { camera: still.camera })}
          onError={() => setFailed({ clip, source: source === "camera" ? "decoded" : "none" })}
        />
      )}
      {!online && <figcaption>{t("pictures.ago", { age: formatDuration(age) })}</figcaption>}
    </figure>
  );
}
