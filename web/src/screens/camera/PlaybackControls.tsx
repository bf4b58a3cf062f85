// The toolbar under the player: previous / −10 s / play / +10 s / next, live, full screen,
// download of the clip under the cursor and (admins) its delete.
import { Icon } from "../../ui/Icon";
import { useT } from "../../i18n";

export function PlaybackControls(p: {
  cursor: number | null;
  playing: boolean;
  /** A previous / next step would be taken now (the day is loaded, no step under way). */
  canStep: boolean;
  live: boolean;
  hasClip: boolean;
  /** The camera's still of the clip under the cursor (issue 24: the download shows what it holds). */
  clipThumb?: string | null;
  isAdmin: boolean;
  onStep: (dir: 1 | -1) => void;
  onSeekBy: (ms: number) => void;
  onToggle: () => void;
  onLive: () => void;
  onFullscreen: () => void;
  onDownload: () => void;
  onDelete: () => void;
}) {
  const t = useT();
  const { cursor, playing, canStep, live } = p;
  if (live) {
    // live has no position to step from, nothing to pause and no clip under a cursor: only leave
    // live, and full screen
    return (
      <div class="controls" role="toolbar" aria-label={t("camera.controls.label")}>
        <button type="button" class="live-button" aria-pressed={true} aria-label={t("camera.controls.stopLiveLabel")} title={t("camera.controls.stopLiveTitle")} onClick={p.onLive}>
          {t("camera.controls.stopLive")}
        </button>
        <button type="button" aria-label={t("camera.controls.fullscreen")} title={t("camera.controls.fullscreenTitle")} onClick={p.onFullscreen}>
          <Icon name="fullscreen" />
        </button>
      </div>
    );
  }
  return (
    <div class="controls" role="toolbar" aria-label={t("camera.controls.label")}>
      <button
        type="button"
        aria-label={t("camera.controls.prevClip")}
        title={t("camera.controls.prevClipTitle")}
        disabled={!canStep}
        onClick={() => p.onStep(-1)}
      >
        <Icon name="prev" />
      </button>
      <button type="button" aria-label={t("camera.controls.back10")} title={t("camera.controls.back10Title")} disabled={cursor === null} onClick={() => p.onSeekBy(-10_000)}>
        {t("camera.controls.back10Short")}
      </button>
      <button type="button" aria-label={playing ? t("camera.controls.pause") : t("camera.controls.play")} title={t("camera.controls.playTitle")} onClick={p.onToggle}>
        <Icon name={playing ? "pause" : "play"} />
      </button>
      <button type="button" aria-label={t("camera.controls.forward10")} title={t("camera.controls.forward10Title")} disabled={cursor === null} onClick={() => p.onSeekBy(10_000)}>
        {t("camera.controls.forward10Short")}
      </button>
      <button
        type="button"
        aria-label={t("camera.controls.nextClip")}
        title={t("camera.controls.nextClipTitle")}
        disabled={!canStep}
        onClick={() => p.onStep(1)}
      >
        <Icon name="next" />
      </button>
      <button
        type="button"
        class="live-button"
        aria-pressed={false}
        aria-label={t("camera.controls.liveLabel")}
        title={t("camera.controls.liveTitle")}
        onClick={p.onLive}
      >
        {t("camera.controls.live")}
      </button>
      <button type="button" aria-label={t("camera.controls.fullscreen")} title={t("camera.controls.fullscreenTitle")} onClick={p.onFullscreen}>
        <Icon name="fullscreen" />
      </button>
      <button type="button" aria-label={t("camera.controls.downloadLabel")} title={t("camera.controls.downloadTitle")} disabled={!p.hasClip} onClick={p.onDownload}>
        {p.clipThumb && <img class="clip-thumb" src={p.clipThumb} height={24} alt="" />}
        <Icon name="download" /> {t("camera.controls.download")}
      </button>
      {p.isAdmin && (
        <button type="button" class="danger" aria-label={t("camera.controls.deleteLabel")} title={t("camera.controls.deleteTitle")} disabled={!p.hasClip} onClick={p.onDelete}>
          {t("camera.controls.deleteLabel")}
        </button>
      )}
    </div>
  );
}
