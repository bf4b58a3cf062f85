// Below the exports: the links you shared (state, opens, downloads, revoke), the site's public key, and
// a check of a downloaded file against its manifest, done in this browser.
import { useEffect, useState } from "preact/hooks";
import { evidenceApi, type PublicKey, type ShareInfo } from "../api-evidence";
import { Time } from "../ui/Time";
import { VerificationBox } from "./VerificationBox";
import { verifyInPage, type PageVerdict } from "./verify";

export function SharedLinks({ refresh }: { refresh: number }) {
  const [shares, setShares] = useState<ShareInfo[] | null>(null);
  const [tick, setTick] = useState(0);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    evidenceApi.shares().then((r) => setShares(r.shares), (e: Error) => setError(e.message));
  }, [refresh, tick]);
  if (error) return <p class="error" role="alert">{error}</p>;
  if (!shares || shares.length === 0) return null;
  return (
    <section aria-label="Shared links">
      <h2>Links you shared</h2>
      <table class="shares">
        <thead>
          <tr>
            <th>Camera</th>
            <th>Export</th>
            <th>State</th>
            <th>Until</th>
            <th>Opens</th>
            <th>Downloads</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {shares.map((s) => (
            <tr key={s.id} data-share={s.id} data-state={s.state}>
              <td>{s.camera}</td>
              <td>{s.export_id}</td>
              <td>{s.state}{s.password ? " (password)" : ""}</td>
              <td>
                <Time ms={s.expires} />
              </td>
              <td>{s.opens}</td>
              <td>{s.downloads}</td>
              <td>
                {s.state === "active" && (
                  <button type="button" class="danger" aria-label={`Revoke link ${s.id}`}
                    onClick={() => void evidenceApi.revoke(s.id).then(() => setTick((t) => t + 1), (e: Error) => setError(e.message))}>
                    Revoke
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

export function VerifyPanel() {
  const [key, setKey] = useState<PublicKey | null>(null);
  const [keyError, setKeyError] = useState<string | null>(null);
  const [file, setFile] = useState<File | null>(null);
  const [manifest, setManifest] = useState<File | null>(null);
  const [verdict, setVerdict] = useState<PageVerdict | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    evidenceApi.publicKey().then(setKey, (e: Error) => setKeyError(e.message));
  }, []);
  const check = async (ev: Event) => {
    ev.preventDefault();
    if (!file || !manifest || !key) return;
    setBusy(true);
    try {
      setVerdict(await verifyInPage(await manifest.text(), file, key.pem, key.key_id));
    } catch (e) {
      setVerdict({ ok: false, checks: [], problems: [(e as Error).message] });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-label="Verify a file" class="card">
      <h2>Verify an exported file</h2>
      {key && (
        <p class="hint">
          Exports are signed with this site's Ed25519 key <code data-key-id>{key.key_id}</code> (
          <a href="/api/v1/evidence/public-key">download the public key</a>).
        </p>
      )}
      {keyError && <p class="error">{keyError}</p>}
      <form onSubmit={check}>
        <label>
          MP4 <input type="file" accept="video/mp4" aria-label="MP4 file" onChange={(e) => setFile((e.target as HTMLInputElement).files?.[0] ?? null)} />
        </label>{" "}
        <label>
          Manifest <input type="file" accept=".json,application/json" aria-label="Manifest file"
            onChange={(e) => setManifest((e.target as HTMLInputElement).files?.[0] ?? null)} />
        </label>{" "}
        <button type="submit" disabled={!file || !manifest || !key || busy}>
          {busy ? "Checking…" : "Verify"}
        </button>
      </form>
      {verdict && <VerificationBox verdict={verdict} />}
    </section>
  );
}
