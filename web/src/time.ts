// Wall-clock helpers: instants are epoch milliseconds (UTC); the page shows them in the viewer's
// time zone, days are the viewer's local days (23 or 25 h long across DST changes).
import { t } from "./i18n";
import { fmt } from "./i18n/format";

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** `2026-12-01 14:05:07` in the viewer's time zone (`.mmm` with `ms`). */
export function formatLocal(ms: number, withMs = false): string {
  const d = new Date(ms);
  const base = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${formatClock(ms)}`;
  return withMs ? `${base}.${pad(d.getMilliseconds(), 3)}` : base;
}

/** `14:05:07` local. */
export function formatClock(ms: number): string {
  const d = new Date(ms);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** `14:05` local, `14:05:30` when the seconds matter. */
export function formatTick(ms: number): string {
  const d = new Date(ms);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return d.getSeconds() ? `${hm}:${pad(d.getSeconds())}` : hm;
}

/** `2026-12-01 06:05:07 UTC` (in Chinese `UTC 时间 …`), the hover text beside every local time. */
export function formatUtc(ms: number): string {
  return t("common.utcTime", { time: new Date(ms).toISOString().replace("T", " ").replace(/\.\d{3}Z$/, "") });
}

// The browser's zone, asked once: `Intl.DateTimeFormat()` builds a whole formatter to answer it, and
// the camera page asks on every render (measured ~50-80 ms of its first render's main thread).
let browserZone: string | undefined;
function systemZone(): string | undefined {
  browserZone ??= Intl.DateTimeFormat().resolvedOptions().timeZone;
  return browserZone;
}

/** The viewer's time-zone name, e.g. `Asia/Shanghai`. */
export function zoneName(): string {
  return systemZone() || "local";
}

/** The viewer's IANA zone for the API (`Asia/Shanghai`), or null when the browser names none. */
export function ianaZone(): string | null {
  const name = systemZone();
  return name && /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/.test(name) && name !== "Etc/Unknown" ? name : null;
}

/** Local `YYYY-MM` that holds `ms`. */
export function monthKey(ms: number): string {
  return dayKey(ms).slice(0, 7);
}

/** Local midnight at or before `ms`. */
export function dayStart(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
}

/** The next local midnight after the day that holds `ms`. */
export function dayEnd(ms: number): number {
  const d = new Date(ms);
  return new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
}

/** Local day `YYYY-MM-DD` that holds `ms`. */
export function dayKey(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Local midnight of `YYYY-MM-DD`, or null when it is not a real date. */
export function parseDayKey(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const date = new Date(y, mo, d);
  if (date.getFullYear() !== y || date.getMonth() !== mo || date.getDate() !== d) return null;
  return date.getTime();
}

/** The value an `<input type="datetime-local" step="1">` shows for `ms`. */
export function toInputValue(ms: number): string {
  return formatLocal(ms).replace(" ", "T");
}

/** Parses `YYYY-MM-DDTHH:MM[:SS]` (local) as typed into the jump field; null when invalid. */
export function parseInputValue(text: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  if (h > 23 || mi > 59 || s > 59) return null;
  const date = new Date(y, mo - 1, d, h, mi, s);
  if (date.getFullYear() !== y || date.getMonth() !== mo - 1 || date.getDate() !== d) return null;
  return date.getTime();
}

/** `1h 5m` / `1小时5分钟`, `12s` / `12秒`: durations in the page's language (i18n/format.ts). */
export function formatDuration(ms: number): string {
  return fmt.duration(ms);
}

/** `1.2 MB` for byte counts (the number in the page's language; the unit is the same in both). */
export function formatBytes(n: number): string {
  if (n < 1024) return `${fmt.number(n)} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return `${fmt.number(v, { maximumFractionDigits: v < 10 ? 1 : 0 })} ${units[i]}`;
}
