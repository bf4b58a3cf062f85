// Saved layouts of the side-by-side view, kept on the server per user (issue 26): the picker lists them
// (open, delete), the view saves the cameras it shows under a name. The layout the page used to keep in
// this browser's localStorage is moved to the server once, as "Last used", and removed from the browser.
import { useEffect, useState } from "preact/hooks";
import { request } from "../api";
import { linkClick } from "../router";
import { t, textOf, useT, words, type Words } from "../i18n";

export interface SavedLayout {
  id: string;
  name: string;
  cameras: string[];
  updated: number;
}

export const LEGACY_LAYOUT_KEY = "vigil.sync.layout";

export const layoutsApi = {
  list: () => request<{ layouts: SavedLayout[] }>("GET", "/sync/layouts"),
  save: (name: string, cameras: string[]) => request<SavedLayout>("PUT", "/sync/layouts", { name, cameras }),
  remove: (id: string) => request<void>("DELETE", `/sync/layouts/${encodeURIComponent(id)}`),
};

/** Move the browser's old layout to the server (once), then list what the server holds. */
async function loadWithMigration(): Promise<SavedLayout[]> {
  const legacy = (localStorage.getItem(LEGACY_LAYOUT_KEY) ?? "").split(",").filter(Boolean);
  if (legacy.length >= 2 && legacy.length <= 9) {
    try {
      await layoutsApi.save(t("sync.layouts.lastUsed"), legacy);
    } catch {
      // a camera no longer yours or gone: nothing worth keeping
    }
    localStorage.removeItem(LEGACY_LAYOUT_KEY);
  }
  return (await layoutsApi.list()).layouts;
}

export function SavedLayouts() {
  const t = useT();
  const [layouts, setLayouts] = useState<SavedLayout[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    loadWithMigration().then(setLayouts, (e: Error) => setError(e.message));
  }, []);
  const remove = (id: string) =>
    layoutsApi.remove(id).then(
      () => setLayouts((all) => (all ?? []).filter((x) => x.id !== id)),
      (e: Error) => setError(e.message),
    );
  return (
    <section class="card sync-layouts" aria-label={t("sync.layouts.region")}>
      <h2>{t("sync.layouts.title")}</h2>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {layouts !== null && layouts.length === 0 && <p>{t("sync.layouts.none")}</p>}
      <ul>
        {layouts?.map((x) => (
          <li key={x.id} data-layout={x.name}>
            <a href={`/sync?cameras=${x.cameras.map(encodeURIComponent).join(",")}`} onClick={linkClick}>
              {x.name}
            </a>{" "}
            {t("sync.layouts.cameras", { count: x.cameras.length })}{" "}
            <button type="button" aria-label={t("sync.layouts.deleteOf", { name: x.name })} onClick={() => void remove(x.id)}>
              {t("sync.layouts.delete")}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

export function SaveLayout({ cameras }: { cameras: string[] }) {
  const t = useT();
  const [name, setName] = useState("");
  const [note, setNote] = useState<Words | null>(null);
  const [error, setError] = useState<string | null>(null);
  const save = (ev: Event) => {
    ev.preventDefault();
    setError(null);
    layoutsApi.save(name, cameras).then(
      (x) => setNote(words("sync.layouts.saved", { name: x.name })),
      (e: Error) => setError(e.message),
    );
  };
  return (
    <form class="sync-save-layout" onSubmit={save} aria-label={t("sync.layouts.form")}>
      <label>
        {t("sync.layouts.name")}{" "}
        <input value={name} maxLength={40} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </label>{" "}
      <button type="submit">{t("sync.layouts.save")}</button>
      {note && <span role="status"> {textOf(note)}</span>}
      {error && (
        <span class="error" role="alert">
          {" "}
          {error}
        </span>
      )}
    </form>
  );
}
