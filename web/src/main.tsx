// Entry: who is logged in decides the screen; a 401 anywhere brings the login screen back.
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, onSessionLost, setCsrf, type Preferences, type User } from "./api";
import { initialLanguage, isLanguage, language, setLanguage, useT } from "./i18n";
import { warmPictures } from "./pictures/warm";
import { prefetchPlayback } from "./player/plan";
import { keepPreviewFor, watchPreview } from "./player/preview";
import { spareHlsWorker } from "./player/worker-spare";
import { prefetch } from "./prefetch";
import { linkClick, navigate, parseRoute, useRoute } from "./router";
import { Admin } from "./screens/Admin";
import { Alerts } from "./screens/Alerts";
import { Cameras } from "./screens/Cameras";
import { Exports } from "./screens/Exports";
import { CameraPageView, SyncViewView } from "./screens/lazy";
import { Login } from "./screens/Login";
import { SharedLink } from "./screens/SharedLink";
import { LanguageSwitch } from "./ui/LanguageSwitch";
import "./styles.css";

// asked before the first render, not in an effect a frame later; a camera page opened at a time
// also starts its playback plan now, beside /me (the session cookie is all it needs). The answer
// is settled into a value at once: a signed-out 401 that arrives before the effect below attaches
// its handler would otherwise be an unhandled rejection (an error on the console of a loaded machine).
const whoAmI: Promise<{ me: { user: User; csrf_token: string; preferences?: Preferences } } | { error: unknown }> = api.me().then(
  (me) => ({ me }),
  (error: unknown) => ({ error }),
);
const first = parseRoute(location.pathname, location.search);
watchPreview(); // the camera page's first picture, if its HTML has one (player/preview.ts)
if (first.name === "camera" && first.t !== null) {
  const id = first.id;
  prefetchPlayback(id, first.t, (s, e) => api.playback(id, s, e, true));
}
// the camera page and the side-by-side view carry hls.js in scripts of their own: opened directly,
// their script is asked now, beside /me, not after the first render
if (first.name === "camera") {
  CameraPageView.load().catch(() => {}); // the view says so if it failed
  spareHlsWorker(); // hls.js's transmuxer worker starts now, not after the first segment
}
if (first.name === "sync") SyncViewView.load().catch(() => {});
if (first.name === "cameras") {   // the grid: its list, each camera with its newest still, beside /me
  // quiet: a signed-out 401 here is /me's to report; the stills are asked as soon as their URLs are known
  prefetch("cameras", () =>
    api.cameras(true).then((r) => {
      warmPictures(r.cameras.map((c) => c.still?.url));
      return r;
    }),
  );
}

function App() {
  useT(); // the whole tree re-renders in the new language; components keep their state
  const route = useRoute();
  // a share link is public: its visitor has no account, so it skips the session entirely
  if (route.name === "shared") return <SharedLink token={route.token} />;
  return <SignedIn />;
}

function SignedIn() {
  const t = useT();
  const route = useRoute();
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const signedIn = useRef(false); // a 401 ends a session only when there was one (not on a first visit)
  signedIn.current = !!user;

  useEffect(() => {
    onSessionLost(() => {
      const ended = signedIn.current ? "ended=1&" : ""; // the login screen then says the session ended
      setUser(null);
      if (location.pathname !== "/login") navigate(`/login?${ended}next=${encodeURIComponent(location.pathname + location.search)}`, true);
    });
    void whoAmI.then((answer) => {
      if ("error" in answer) {
        setUser(null); // signed out (401) or the API is unreachable: the login screen says which on submit
        return;
      }
      setCsrf(answer.me.csrf_token);
      adoptPreferences(answer.me.preferences);
      setUser(answer.me.user);
    });
  }, []);

  useEffect(() => {
    if (user === null || route.name !== "camera") keepPreviewFor(null, null); // only the camera page keeps it
  }, [user, route.name]);

  useEffect(() => {
    if (user === null && route.name !== "login" && route.name !== "shared") {
      navigate(`/login?next=${encodeURIComponent(location.pathname + location.search)}`, true);
    }
    if (user && route.name === "login") navigate(route.next.startsWith("/") ? route.next : "/", true);
  }, [user, route.name]);

  const logout = async () => {
    try {
      await api.logout();
    } finally {
      setCsrf("");
      setUser(null);
      navigate("/login", true);
    }
  };

  if (user === undefined) return <main class="boot" aria-busy="true" />;
  if (route.name === "login" || !user) {
    return (
      <Login
        onLoggedIn={(u, csrf, preferences) => {
          setCsrf(csrf);
          adoptPreferences(preferences);
          setUser(u);
        }}
      />
    );
  }
  return (
    <>
      <header class="topbar">
        <a href="/" class="brand" onClick={linkClick}>
          Vigil
        </a>
        <nav aria-label={t("common.nav.label")}>
          <a href="/" onClick={linkClick} aria-current={route.name === "cameras" ? "page" : undefined}>
            {t("common.nav.cameras")}
          </a>
          <a href="/sync" onClick={linkClick} aria-current={route.name === "sync" ? "page" : undefined}>
            {t("common.nav.sync")}
          </a>
          <a href="/exports" onClick={linkClick} aria-current={route.name === "exports" ? "page" : undefined}>
            {t("common.nav.exports")}
          </a>
          {user.role === "admin" && (
            <a href="/admin" onClick={linkClick} aria-current={route.name === "admin" ? "page" : undefined}>
              {t("common.nav.admin")}
            </a>
          )}
          {user.role === "admin" && (
            <a href="/alerts" onClick={linkClick} aria-current={route.name === "alerts" ? "page" : undefined}>
              {t("common.nav.alerts")}
            </a>
          )}
        </nav>
        <LanguageSwitch signedIn />
        <span class="who" title={t("common.signedInAs", { name: user.name, role: t(ROLE_KEYS[user.role]) })}>
          {user.name}
        </span>
        <button type="button" class="link" onClick={logout}>
          {t("common.signOut")}
        </button>
      </header>
      {route.name === "cameras" && <Cameras />}
      {route.name === "camera" && <CameraPageView.View id={route.id} t={route.t} user={user} fallback={<main class="page" aria-busy="true" />} />}
      {route.name === "admin" && (user.role === "admin" ? <Admin /> : <NotFound />)}
      {route.name === "exports" && <Exports />}
      {route.name === "sync" && <SyncViewView.View ids={route.ids} t={route.t} fallback={<main class="page" aria-busy="true" />} />}
      {route.name === "alerts" && (user.role === "admin" ? <Alerts /> : <NotFound />)}
      {route.name === "notfound" && <NotFound />}
    </>
  );
}

const ROLE_KEYS = { admin: "common.role.admin", viewer: "common.role.viewer" } as const;

function NotFound() {
  const t = useT();
  return (
    <main class="page">
      <h1>{t("common.notFound.title")}</h1>
      <p>
        <a href="/" onClick={linkClick}>
          {t("common.notFound.back")}
        </a>
      </p>
    </main>
  );
}

/** The user's remembered language wins over this browser's guess (another browser may have set it). */
function adoptPreferences(preferences: Preferences | undefined): void {
  const lng = preferences?.language;
  if (isLanguage(lng) && lng !== language()) void setLanguage(lng);
}

// the first language is ready before the first render (a Chinese reader never sees English flash by)
void setLanguage(initialLanguage()).finally(() => render(<App />, document.getElementById("app")!));
