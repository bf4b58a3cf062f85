// Login: errors shown as the API words them; a rate limit disables the form for Retry-After seconds.
import { useEffect, useState } from "preact/hooks";
import { api, ApiError, type Preferences, type User } from "../api";
import { textOf, useT, words, type Words } from "../i18n";
import { LanguageSwitch } from "../ui/LanguageSwitch";

export function Login({ onLoggedIn }: { onLoggedIn: (u: User, csrf: string, preferences?: Preferences) => void }) {
  const t = useT();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [error, setError] = useState<Words | null>(null);
  const [busy, setBusy] = useState(false);
  const [waitUntil, setWaitUntil] = useState(0);
  const [now, setNow] = useState(Date.now());

  useEffect(() => {
    if (waitUntil <= now) return;
    const id = setTimeout(() => setNow(Date.now()), 500);
    return () => clearTimeout(id);
  }, [waitUntil, now]);

  const waiting = Math.ceil((waitUntil - now) / 1000);
  // a 401 in the middle of use brings the viewer here with ?ended=1 (main.tsx): say why
  const ended = new URLSearchParams(location.search).get("ended") === "1";

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await api.login(name.trim(), password);
      onLoggedIn(res.user, res.csrf_token, res.preferences);
    } catch (e) {
      const err = e as ApiError;
      if (err.status === 429 && err.retryAfter) {
        setWaitUntil(Date.now() + err.retryAfter * 1000);
        setNow(Date.now());
      }
      setError(err.status === 401 ? words("login.wrong") : err.message);
      setPassword("");
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form onSubmit={submit} class="card" aria-labelledby="login-title">
        <div class="login-head">
          <h1 id="login-title">Vigil</h1>
          <LanguageSwitch />
        </div>
        {ended && !error && (
          <p class="notice" role="status">
            {t("login.ended")}
          </p>
        )}
        <label>
          {t("login.userName")}
          <input name="username" autoComplete="username" value={name} required onInput={(e) => setName(e.currentTarget.value)} />
        </label>
        <label>
          {t("login.password")}
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            required
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </label>
        <p class="error" role="alert">
          {textOf(error)}
          {waiting > 0 ? ` ${t("login.retryIn", { count: waiting })}` : ""}
        </p>
        <button type="submit" disabled={busy || waiting > 0}>
          {busy ? t("login.signingIn") : t("login.signIn")}
        </button>
      </form>
    </main>
  );
}
