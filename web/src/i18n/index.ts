// The page's words: i18next with one JSON catalog per area per language (locales/<lang>/<area>.json;
// key "area.key" = file <area>.json, key inside). English ships in the page; other languages are
// their own chunk, fetched only when chosen. `useT()` re-renders a component when the language changes.
import i18next, { type TOptions } from "i18next";
import { useEffect, useState } from "preact/hooks";
import en from "./locales/en/bundle";
import { DEFAULT_LANGUAGE, fromBrowser, isLanguage, type Language } from "./languages";

export { LANGUAGES, LANGUAGE_NAMES, isLanguage, type Language } from "./languages";
export { fmt } from "./format";

// `./locales/<lang>/bundle.ts` for every language but English: one lazy chunk each.
const lazyBundles = import.meta.glob<{ default: Record<string, Record<string, unknown>> }>([
  "./locales/*/bundle.ts",
  "!./locales/en/bundle.ts",
]);

void i18next.init({
  lng: DEFAULT_LANGUAGE,
  fallbackLng: DEFAULT_LANGUAGE,
  resources: { en },
  keySeparator: ".",
  nsSeparator: ":",
  defaultNS: "common",
  interpolation: { escapeValue: false }, // Preact escapes text itself
  initAsync: false, // English is in the bundle: t() works from the first line that runs
});

/** `t("area.key", { camera })`: the area is the catalog file, the rest the key inside it. */
export function t(key: string, options?: TOptions): string {
  const dot = key.indexOf(".");
  const ns = dot > 0 ? key.slice(0, dot) : "common";
  return i18next.t(dot > 0 ? key.slice(dot + 1) : key, { ...options, ns }) as string;
}

/** The language shown now. */
export function language(): Language {
  const lng = i18next.language;
  return isLanguage(lng) ? lng : DEFAULT_LANGUAGE;
}

async function ensureLoaded(lng: Language): Promise<void> {
  if (i18next.hasResourceBundle(lng, "common")) return;
  const load = lazyBundles[`./locales/${lng}/bundle.ts`];
  if (!load) return;
  const { default: areas } = await load();
  for (const [area, doc] of Object.entries(areas)) i18next.addResourceBundle(lng, area, doc, true, true);
}

const STORE = "vigil.language";

/** Switches the page (loading the language's chunk first); remembered on this browser for the login screen. */
export async function setLanguage(lng: Language): Promise<void> {
  await ensureLoaded(lng);
  try {
    localStorage.setItem(STORE, lng);
  } catch {
    // private mode: the user record still remembers it once signed in
  }
  document.documentElement.lang = lng;
  if (i18next.language !== lng) await i18next.changeLanguage(lng);
}

/** Before the first render: this browser's last choice, else the browser's own languages. */
export function initialLanguage(): Language {
  let stored: string | null;
  try {
    stored = localStorage.getItem(STORE);
  } catch {
    stored = null; // storage refused (private mode): the browser's languages decide
  }
  return isLanguage(stored) ? stored : fromBrowser(navigator.languages ?? [navigator.language]);
}

/** Re-renders the calling component when the language changes; returns `t`. */
export function useT(): typeof t {
  const [, setLng] = useState(i18next.language);
  useEffect(() => {
    const changed = (lng: string) => setLng(lng);
    i18next.on("languageChanged", changed);
    return () => i18next.off("languageChanged", changed);
  }, []);
  return t;
}

/** Words that stay on screen (a status line, a notice): a catalog key and its values, or text the server
 * already wrote. Components keep the key, not the rendered string, and render it with `textOf` on each
 * render, so a language switch re-words what is already shown (a stored string would stay in the old one). */
export type Words = { key: string; values?: Record<string, unknown> } | string;

/** `words("admin.users.added", { name })`: what `t` would say, kept to be said again in the next language. */
export function words(key: string, values?: Record<string, unknown>): Words {
  return { key, values };
}

const isWords = (v: unknown): v is Words => typeof v === "object" && v !== null && typeof (v as { key?: unknown }).key === "string";

/** The text of `w` in the language shown now; a value that is itself `words(...)` is rendered too. */
export function textOf(w: Words | null | undefined): string {
  if (w === null || w === undefined) return "";
  if (typeof w === "string") return w;
  const values = w.values && Object.fromEntries(Object.entries(w.values).map(([k, v]) => [k, isWords(v) ? textOf(v) : v]));
  return t(w.key, values);
}
