// A tiny history router: /login, / (cameras), /cameras/<id>?t=<ms>, /admin. The api function
// answers index.html for any non-API path, so these URLs can be bookmarked and reloaded.
import { useEffect, useState } from "preact/hooks";

export type Route =
  | { name: "login"; next: string }
  | { name: "cameras" }
  | { name: "camera"; id: string; t: number | null }
  | { name: "admin" }
  | { name: "exports" }
  | { name: "shared"; token: string }
  | { name: "sync"; ids: string[]; t: number | null }
  | { name: "alerts" }
  | { name: "notfound" };

export function parseRoute(path: string, search: string): Route {
  const params = new URLSearchParams(search);
  if (path === "/" || path === "") return { name: "cameras" };
  if (path === "/login") return { name: "login", next: params.get("next") ?? "/" };
  if (path === "/admin") return { name: "admin" };
  if (path === "/exports") return { name: "exports" };
  if (path === "/sync") {
    const t = Number(params.get("t"));
    const ids = (params.get("cameras") ?? "").split(",").filter(Boolean);
    return { name: "sync", ids, t: params.has("t") && Number.isFinite(t) ? t : null };
  }
  const s = /^\/s\/([A-Za-z0-9_-]{32,64})$/.exec(path);
  if (s) return { name: "shared", token: s[1] };
  if (path === "/alerts") return { name: "alerts" };
  const m = /^\/cameras\/([^/]+)\/?$/.exec(path);
  if (m) {
    const t = Number(params.get("t"));
    return { name: "camera", id: decodeURIComponent(m[1]), t: params.has("t") && Number.isFinite(t) ? t : null };
  }
  return { name: "notfound" };
}

const listeners = new Set<() => void>();

export function navigate(to: string, replace = false): void {
  if (replace) history.replaceState(null, "", to);
  else history.pushState(null, "", to);
  listeners.forEach((fn) => fn());
}

export function useRoute(): Route {
  const read = () => parseRoute(location.pathname, location.search);
  const [route, setRoute] = useState<Route>(read);
  useEffect(() => {
    const update = () => setRoute(read());
    listeners.add(update);
    window.addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      window.removeEventListener("popstate", update);
    };
  }, []);
  return route;
}

/** An <a> that navigates without reloading the page. */
export function linkClick(ev: MouseEvent): void {
  const a = ev.currentTarget as HTMLAnchorElement;
  if (ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
  ev.preventDefault();
  navigate(a.getAttribute("href") ?? "/");
}
