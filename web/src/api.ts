// The viewer API client (docs/api.md): JSON under /api/v1, the session cookie, the CSRF header on
// every write, and `{"error": {code, message}}` turned into an ApiError the screens show as is.
import { language, t, type Language } from "./i18n";
import type { TimelineItem } from "./timeline/model";

export interface User {
  name: string;
  role: "admin" | "viewer";
  cameras: string[] | null;
}

/** The user's own settings, kept in their record (GET /me, PUT /me/preferences). */
export interface Preferences {
  language: Language | null;
}

export interface Health {
  spool_depth: number;
  dropped_clips: number;
  token_errors: number;
  reported_at: number;
  /** The camera sends live video when watched; null: it has not said (older camera software). */
  live_view?: boolean | null;
}

export interface Camera {
  id: string;
  name: string;
  status: "enabled" | "disabled" | "removed";
  online: boolean;
  last_clip_end: number | null;
  upload_lag_ms: number | null;
  clips_today: number;
  bytes_today: number;
  newest_clip_start: number | null;
  health: Health | null;
  created?: number;
  key_version?: number;
  gateway?: string | null; // a gateway's camera: the gateway that records it (issue 22)
  cameras?: string[]; // a gateway: the cameras it records
  still?: NewestStill | null; // the grid's picture: the camera's still of its newest readable clip
}

/** A camera's newest still (the grid's tile picture): the camera's own JPEG of its newest clip. */
export interface NewestStill {
  camera: string;
  shows: number;
  clip_end: number;
  url: string;
  expires: number;
}

export interface StillRef {
  at: number;
  shows: number;
  clip: string;
  url: string;
  expires: number | null;
}

export interface Timeline {
  camera: string;
  start: number;
  end: number;
  items: TimelineItem[];
}

export interface Playback {
  camera: string;
  start: number;
  end: number;
  mode: "hls" | "direct" | "mixed";
  playlists: Array<{ start: number; end: number; url: string }>;
  direct: Array<{ key: string; start: number; end: number; url: string; expires: number }>;
}

export interface CalendarDay {
  day: string;
  clips: number;
  recorded_ms: number;
}

export interface AuditEntry {
  time: number;
  user: string | null;
  action: string;
  target: string | null;
  client: string | null;
  request_id: string | null;
  ok: boolean;
  detail?: string | null;
}

export interface UserRecord {
  name: string;
  role: "admin" | "viewer";
  cameras: string[] | null;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter: number | null = null,
  ) {
    super(message);
  }
}

let csrf = "";
let onUnauthenticated: () => void = () => {};

export function setCsrf(token: string): void {
  csrf = token;
}

/** Called when a request answers 401 (the session ended): the app goes back to the login screen. */
export function onSessionLost(fn: () => void): void {
  onUnauthenticated = fn;
}

const BASE = "/api/v1";

/** What a GET may meet from a function instance that was just killed or is starting (FC answers
 * 502 in its own shape), or from a link that dropped: asked again once, shortly after. Writes are
 * never repeated by the page: the user sees the error and decides. */
const RETRYABLE = new Set([502, 503, 504]);
export const RETRY_DELAY_MS = { first: 400, max: 2000 };

async function retryOnce(send: () => Promise<Response>, failed: Response | null): Promise<Response> {
  const after = Number(failed?.headers.get("Retry-After"));
  const wait = Number.isFinite(after) && after > 0 ? Math.min(after * 1000, RETRY_DELAY_MS.max) : RETRY_DELAY_MS.first;
  await new Promise((resolve) => setTimeout(resolve, wait));
  return send();
}

/** `quiet`: a 401 does not end the session on the page (a prefetch made before /me has answered). */
export async function request<T>(method: string, path: string, body?: unknown, quiet = false): Promise<T> {
  // API messages for people follow the page's language (the error `code` never changes)
  const headers: Record<string, string> = { Accept: "application/json", "Accept-Language": language() };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && csrf) headers["X-Vigil-CSRF"] = csrf;
  const send = (): Promise<Response> =>
    fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
    });
  let resp: Response;
  try {
    resp = await send();
    if (method === "GET" && RETRYABLE.has(resp.status)) resp = await retryOnce(send, resp);
  } catch {
    if (method !== "GET") {
      throw new ApiError(0, "network_error", t("common.networkError"));
    }
    try {
      resp = await retryOnce(send, null);
    } catch {
      throw new ApiError(0, "network_error", t("common.networkError"));
    }
  }
  if (resp.status === 204) return undefined as T;
  const text = await resp.text();
  let doc: unknown;
  try {
    doc = text ? JSON.parse(text) : null;
  } catch {
    doc = null;
  }
  if (!resp.ok) {
    const err = (doc as { error?: { code?: string; message?: string } } | null)?.error;
    const retry = Number(resp.headers.get("Retry-After"));
    const e = new ApiError(
      resp.status,
      err?.code ?? `http_${resp.status}`,
      err?.message ?? t("common.serverAnswered", { status: resp.status }),
      Number.isFinite(retry) && retry > 0 ? retry : null,
    );
    if (resp.status === 401 && path !== "/login" && !quiet) onUnauthenticated();
    throw e;
  }
  return doc as T;
}

const q = (params: Record<string, string | number>): string =>
  "?" + Object.entries(params).map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join("&");
const cam = (id: string): string => `/cameras/${encodeURIComponent(id)}`;

/** The frame at or just before `at`, `w` px wide: an <img> src (the API answers the JPEG itself). */
export const stillUrl = (id: string, at: number, w = 320): string => `${BASE}${cam(id)}/still${q({ at: Math.round(at), w })}`;

export const api = {
  login: (username: string, password: string) =>
    request<{ user: User; csrf_token: string; preferences?: Preferences }>("POST", "/login", { username, password }),
  logout: () => request<void>("POST", "/logout"),
  me: () => request<{ user: User; csrf_token: string; preferences?: Preferences }>("GET", "/me"),
  setPreferences: (p: { language: Language }) => request<Preferences>("PUT", "/me/preferences", p),
  cameras: (quiet = false) => request<{ cameras: Camera[] }>("GET", "/cameras", undefined, quiet),
  camera: (id: string) => request<Camera>("GET", cam(id)),
  timeline: (id: string, start: number, end: number) =>
    request<Timeline>("GET", `${cam(id)}/timeline${q({ start, end })}`),
  /** Days of `month` with recordings, as local days of the IANA zone `tz` (UTC when null). */
  calendar: (id: string, month: string, tz: string | null) =>
    request<{ camera: string; month: string; tz: string; days: CalendarDay[] }>(
      "GET",
      `${cam(id)}/calendar${q(tz ? { month, tz } : { month })}`,
    ),
  playback: (id: string, start: number, end: number, quiet = false) =>
    request<Playback>("GET", `${cam(id)}/playback${q({ start, end })}`, undefined, quiet),
  newestStills: (quiet = false) => request<{ stills: NewestStill[] }>("GET", "/stills/newest", undefined, quiet),
  /** Camera stills over ≤ 300 s (one per clip, presigned), sampled every `interval` ms (≥ 200). */
  stills: (id: string, start: number, end: number, interval: number) =>
    request<{ stills: StillRef[]; next: number | null }>("GET", `${cam(id)}/stills${q({ start, end, interval })}`),
  download: (key: string) =>
    request<{ url: string; expires: number; filename: string }>("GET", `/clips/download${q({ key })}`),
  deleteClip: (key: string) => request<void>("DELETE", `/clips${q({ key })}`),
  deleteRange: (id: string, start: number, end: number) =>
    request<{ deleted: number }>("POST", `${cam(id)}/clips/delete`, { start, end }),
  retention: () => request<{ days: number | null; activity_days: number | null }>("GET", "/settings/retention"),
  /** `activityDays`: how long clips the camera tagged as holding activity are kept; absent: unchanged. */
  setRetention: (days: number, activityDays?: number) =>
    request<{ days: number; activity_days: number | null }>("PUT", "/settings/retention",
      activityDays === undefined ? { days } : { days, activity_days: activityDays }),
  addCamera: (id: string, name: string) =>
    request<{ camera: Camera; config: Record<string, unknown> }>("POST", "/cameras", name ? { id, name } : { id }),
  cameraAction: (id: string, action: "disable" | "enable" | "rotate") =>
    request<{ camera?: Camera; config?: Record<string, unknown> }>("POST", `${cam(id)}/${action}`),
  removeCamera: (id: string) => request<void>("DELETE", cam(id)),
  users: () => request<{ users: UserRecord[]; unreadable?: string[] }>("GET", "/users"),
  addUser: (u: { name: string; password: string; role: string; cameras?: string[] }) =>
    request<unknown>("POST", "/users", u),
  updateUser: (name: string, patch: { password?: string; role?: string; cameras?: string[]; all_cameras?: boolean }) =>
    request<unknown>("PATCH", `/users/${encodeURIComponent(name)}`, patch),
  removeUser: (name: string) => request<void>("DELETE", `/users/${encodeURIComponent(name)}`),
  audit: (before?: string | number) =>
    request<{ entries: AuditEntry[]; next: string | number | null }>(
      "GET",
      `/audit${q(before === undefined || before === null ? { limit: 50 } : { limit: 50, before })}`,
    ),
};
