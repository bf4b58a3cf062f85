// Dates, times, durations and numbers for the current language through Intl. `timeZone` is an IANA
// zone (the camera's or the viewer's); the screens still name the zone beside what they show.
import i18next from "i18next";

type Zone = { timeZone?: string };

/** The Intl locale for the page's language (English is written with a 24-hour clock, as before). */
function locale(): string {
  return i18next.language === "zh-CN" ? "zh-CN" : "en-GB";
}

const cache = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();
function dtf(kind: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale()}|${kind}|${options.timeZone ?? ""}`;
  let f = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) {
    f = new Intl.DateTimeFormat(locale(), options);
    cache.set(key, f);
  }
  return f;
}

const DATE: Intl.DateTimeFormatOptions = { year: "numeric", month: "2-digit", day: "2-digit" };
const TIME: Intl.DateTimeFormatOptions = { hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23" };

/** A number format, made once per language and options: building one costs far more than using it
 * (a camera page's first render formats dozens of durations; measured ~50 ms of its main thread). */
function nf(options: Intl.NumberFormatOptions): Intl.NumberFormat {
  const key = `${locale()}|number|${JSON.stringify(options)}`;
  let f = cache.get(key) as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(locale(), options);
    cache.set(key, f);
  }
  return f;
}

function unit(value: number, name: "hour" | "minute" | "second"): string {
  return nf({ style: "unit", unit: name, unitDisplay: "narrow" }).format(value);
}

export const fmt = {
  /** `01/12/2026` (en) / `2026/12/01` (zh-CN). */
  date: (ms: number, o: Zone = {}): string => dtf("date", { ...DATE, timeZone: o.timeZone }).format(ms),
  /** `14:05:07`. */
  time: (ms: number, o: Zone = {}): string => dtf("time", { ...TIME, timeZone: o.timeZone }).format(ms),
  dateTime: (ms: number, o: Zone = {}): string =>
    dtf("dateTime", { ...DATE, ...TIME, timeZone: o.timeZone }).format(ms),
  /** A long date for headings: `Tuesday 1 December 2026` / `2026年12月1日星期二`. */
  longDate: (ms: number, o: Zone = {}): string =>
    dtf("longDate", { dateStyle: "full", timeZone: o.timeZone }).format(ms),
  /** `1h 5m` / `1小时5分钟`, `12s` / `12秒`: the two largest units. */
  duration: (ms: number): string => {
    const s = Math.max(0, Math.round(ms / 1000));
    const join = (a: string, b: string) => (locale() === "zh-CN" ? a + b : `${a} ${b}`);
    if (s < 60) return unit(s, "second");
    if (s < 3600) return s % 60 ? join(unit(Math.floor(s / 60), "minute"), unit(s % 60, "second")) : unit(s / 60, "minute");
    const m = Math.floor((s % 3600) / 60);
    return m ? join(unit(Math.floor(s / 3600), "hour"), unit(m, "minute")) : unit(Math.floor(s / 3600), "hour");
  },
  /** `December 2026` / `2026年12月` for a local `YYYY-MM`. */
  month: (month: string): string => {
    const [y, m] = month.split("-").map(Number);
    return dtf("month", { month: "long", year: "numeric" }).format(new Date(y, m - 1, 1));
  },
  /** Monday-first short weekday names: `Mon`… / `周一`…. */
  weekdays: (): string[] =>
    [5, 6, 7, 8, 9, 10, 11].map((d) => dtf("weekday", { weekday: "short", timeZone: "UTC" }).format(Date.UTC(2024, 1, d))),
  number: (n: number, o: Intl.NumberFormatOptions = {}): string => nf(o).format(n),
};
