// Admins: a camera's activity zones drawn over its still. Click the picture to add a point of the
// zone being drawn; "Finish" closes it as a named zone (activity there is reported with that name)
// or an ignore zone (movement there never counts: a tree, a flag). Saved whole with the sensitivity
// and minimum object size; the api checks the polygons and names a bad zone in its answer, and the
// camera gets the settings with its next token.
import { useEffect, useState } from "preact/hooks";
import { stillUrl } from "../api";
import { textOf, useT, words, type Words } from "../i18n";
import { settingsApi, type ActivitySettings, type Point } from "./api-activity";

export interface ZoneEditorProps {
  camera: string;
  at: number; // the still's instant
  onClose: () => void;
}

const KINDS = ["zone", "ignore"] as const;
/** `list` without its item `i` (removing a zone of either kind). */
const without = <T,>(list: T[], i: number): T[] => list.filter((_, j) => j !== i);
const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
const svgPoints = (pts: Point[]) => pts.map(([x, y]) => `${x * 100},${y * 100}`).join(" ");

export function ZoneEditor({ camera, at, onClose }: ZoneEditorProps) {
  // the picture zones are drawn over is the instant the editor opened at: following the playing
  // cursor asked the api to decode a new still on every frame (a request storm that held all of the
  // api's instances for over a minute on a loaded machine)
  const [shown] = useState(at);
  const t = useT();
  const [settings, setSettings] = useState<ActivitySettings | null>(null);
  const [drawing, setDrawing] = useState<Point[]>([]);
  const [kind, setKind] = useState<"zone" | "ignore">("zone");
  const [name, setName] = useState("");
  const [note, setNote] = useState<Words | null>(null);

  useEffect(() => {
    settingsApi
      .get(camera)
      .then((s) => setSettings({ sensitivity: s.sensitivity, min_object: s.min_object, ignore_zones: s.ignore_zones, zones: s.zones }))
      .catch((e: Error) => setNote(e.message));
  }, [camera]);

  if (!settings) return <p class="zone-editor">{note ? textOf(note) : t("activity.zones.loading")}</p>;

  const add = (ev: MouseEvent) => {
    const box = (ev.currentTarget as HTMLElement).getBoundingClientRect();
    const x = Math.min(1, Math.max(0, (ev.clientX - box.left) / box.width));
    const y = Math.min(1, Math.max(0, (ev.clientY - box.top) / box.height));
    setDrawing([...drawing, [Math.round(x * 1000) / 1000, Math.round(y * 1000) / 1000]]);
  };
  const finish = () => {
    if (drawing.length < 3) return setNote(words("activity.zones.needPoints"));
    if (kind === "zone") {
      if (!name.trim()) return setNote(words("activity.zones.needName"));
      setSettings({ ...settings, zones: [...settings.zones, { name: name.trim(), points: drawing }] });
    } else setSettings({ ...settings, ignore_zones: [...settings.ignore_zones, drawing] });
    setDrawing([]);
    setName("");
    setNote(null);
  };
  const removeButton = (remove: () => void) => (
    <button type="button" onClick={remove}>
      {t("activity.zones.remove")}
    </button>
  );
  const save = () =>
    settingsApi
      .put(camera, settings)
      .then(() => setNote(words("activity.zones.saved")))
      .catch((e: Error) => setNote(e.message));

  return (
    <section class="zone-editor" aria-labelledby="zones-title">
      <h3 id="zones-title">{t("activity.zones.title")}</h3>
      <div class="zone-canvas" onClick={add} role="application" aria-label={t("activity.zones.canvas")}>
        <img src={stillUrl(camera, shown, 640)} alt="" width={640} />
        <svg viewBox="0 0 100 100" preserveAspectRatio="none" aria-hidden="true">
          {settings.zones.map((z) => (
            <polygon key={z.name} class="zone named" points={svgPoints(z.points)} />
          ))}
          {settings.ignore_zones.map((pts, i) => (
            <polygon key={`i${i}`} class="zone ignore" points={svgPoints(pts)} />
          ))}
          {drawing.length > 0 && <polyline class="zone drawing" points={svgPoints(drawing)} />}
        </svg>
        {drawing.map(([x, y], i) => (
          <span key={i} class="zone-point" style={{ left: pct(x), top: pct(y) }} />
        ))}
      </div>
      <div class="zone-tools">
        {KINDS.map((k) => (
          <label key={k}>
            <input type="radio" name="zone-kind" checked={kind === k} onChange={() => setKind(k)} />
            {t(k === "zone" ? "activity.zones.named" : "activity.zones.ignore")}
          </label>
        ))}
        {kind === "zone" && (
          <label>
            {t("activity.zones.name")}
            <input value={name} maxLength={32} onInput={(e) => setName((e.currentTarget as HTMLInputElement).value)} />
          </label>
        )}
        <button type="button" onClick={finish} disabled={drawing.length === 0}>
          {t("activity.zones.finish")}
        </button>
        <button type="button" onClick={() => setDrawing([])} disabled={drawing.length === 0}>
          {t("activity.zones.clearDrawing")}
        </button>
      </div>
      <ul class="zone-list">
        {settings.zones.map((z, i) => (
          <li key={z.name}>
            {z.name} {removeButton(() => setSettings({ ...settings, zones: without(settings.zones, i) }))}
          </li>
        ))}
        {settings.ignore_zones.map((_, i) => (
          <li key={`i${i}`}>
            {t("activity.zones.ignoreItem", { n: i + 1 })}{" "}
            {removeButton(() => setSettings({ ...settings, ignore_zones: without(settings.ignore_zones, i) }))}
          </li>
        ))}
      </ul>
      <label>
        {t("activity.zones.sensitivity")}
        <input
          type="range"
          min={0}
          max={1}
          step={0.05}
          value={settings.sensitivity}
          onInput={(e) => setSettings({ ...settings, sensitivity: Number((e.currentTarget as HTMLInputElement).value) })}
        />
      </label>
      <label>
        {t("activity.zones.minObject")}
        <input
          type="number"
          min={0.01}
          max={50}
          step={0.01}
          value={Math.round(settings.min_object * 10000) / 100}
          onInput={(e) => setSettings({ ...settings, min_object: Number((e.currentTarget as HTMLInputElement).value) / 100 })}
        />
      </label>
      <div class="zone-actions">
        <button type="button" class="primary" onClick={() => void save()}>
          {t("activity.zones.save")}
        </button>
        <button type="button" onClick={onClose}>
          {t("activity.zones.close")}
        </button>
      </div>
      {note && (
        <p class="status" role="status">
          {textOf(note)}
        </p>
      )}
    </section>
  );
}
