// The live view and export endpoints (issue 11), on the same client as the rest of the API.
import { request } from "./api";

export interface ExportGap {
  start: number;
  end: number;
  reason: string;
}

export interface ExportChapter {
  start: number;
  end: number;
  title: string;
  key: string | null;
  wall_start: number;
  wall_end: number;
}

export interface ExportJob {
  id: string;
  camera: string;
  start: number;
  end: number;
  state: "queued" | "running" | "done" | "failed";
  progress: number;
  error: string | null;
  attempts: number;
  created: number;
  updated: number;
  size: number | null;
  duration: number | null;
  frames: number | null;
  pinned: boolean;
  gaps: ExportGap[];
  chapters: ExportChapter[];
  url?: string | null;
  filename?: string | null;
  /** What the file really covers (wall ms): it begins at the keyframe at or before `start`. */
  covered_start?: number | null;
  covered_end?: number | null;
  start_lead_ms?: number | null;
  /** Once done: the signed evidence manifest (presigned) and the MP4's SHA-256 (issue 26). */
  manifest_url?: string | null;
  sha256?: string | null;
}

const cam = (id: string): string => `/cameras/${encodeURIComponent(id)}`;
const exp = (id: string): string => `/exports/${encodeURIComponent(id)}`;

export const liveApi = {
  start: (camera: string) => request<{ playlist: string; lease_seconds: number }>("POST", `${cam(camera)}/live`),
};

export const exportsApi = {
  create: (camera: string, start: number, end: number) =>
    request<{ export: ExportJob }>("POST", "/exports", { camera, start, end }),
  list: () => request<{ exports: ExportJob[] }>("GET", "/exports"),
  get: (id: string) => request<ExportJob>("GET", exp(id)),
  retry: (id: string) => request<{ export: ExportJob }>("POST", `${exp(id)}/retry`),
  pin: (id: string, pinned: boolean) => request<ExportJob>("POST", `${exp(id)}/pin`, { pinned }),
  remove: (id: string) => request<void>("DELETE", exp(id)),
};
