// "Share…" on a finished export: a link for 1 h, 24 h or 7 days, optionally with a password. The link
// is shown once (only its hash is stored), with a copy button.
import { useState } from "preact/hooks";
import { evidenceApi } from "../api-evidence";

const LIFETIMES: [string, number][] = [
  ["1 hour", 3600],
  ["24 hours", 24 * 3600],
  ["7 days", 7 * 24 * 3600],
];

export function ShareBox({ exportId, onShared }: { exportId: string; onShared: () => void }) {
  const [open, setOpen] = useState(false);
  const [ttl, setTtl] = useState(24 * 3600);
  const [password, setPassword] = useState("");
  const [made, setMade] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    try {
      const r = await evidenceApi.share(exportId, ttl, password || null);
      setMade(`${location.origin}${r.path}`);
      onShared();
    } catch (e) {
      setError((e as Error).message);
    }
  };

  if (!open) {
    return (
      <button type="button" onClick={() => setOpen(true)} aria-label="Share export">
        Share…
      </button>
    );
  }
  if (made) {
    return (
      <div class="share-made" role="status">
        <label>
          Link (shown once){" "}
          <input readOnly value={made} size={Math.min(made.length, 60)} aria-label="Share link" onFocus={(e) => (e.target as HTMLInputElement).select()} />
        </label>{" "}
        <button type="button" onClick={() => void navigator.clipboard?.writeText(made)}>
          Copy
        </button>
      </div>
    );
  }
  return (
    <form class="share-form" onSubmit={submit} aria-label="Share this export">
      <label>
        Valid for{" "}
        <select value={ttl} onChange={(e) => setTtl(Number((e.target as HTMLSelectElement).value))}>
          {LIFETIMES.map(([label, s]) => (
            <option key={s} value={s}>
              {label}
            </option>
          ))}
        </select>
      </label>{" "}
      <label>
        Password (optional, at least 8 characters){" "}
        <input type="password" value={password} minLength={8} maxLength={128} autoComplete="new-password"
          onInput={(e) => setPassword((e.target as HTMLInputElement).value)} />
      </label>{" "}
      <button type="submit">Create link</button>{" "}
      <button type="button" class="link" onClick={() => setOpen(false)}>
        Cancel
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
